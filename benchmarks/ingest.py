"""Benchmark: signed tap uploads over loopback into `shahr serve`, taps/s and batch latency, against the
HTTP floor.

Run: `.venv/bin/python benchmarks/ingest.py [--seconds 30] [--devices 4] [--cards 3000] [--workers 1]
[--postgres-url postgresql://postgres@127.0.0.1:5432/test] [--warm-up 0]`. For each database (a SQLite
file in a temp dir; a fresh PostgreSQL database on --postgres-url or SHAHR_TEST_POSTGRES_URL, skipped with
a message when neither is set) it starts `shahr serve`, issues the cards (with money on them) and
registers the devices over the API. A second process then streams batches of 100 taps from `--devices`
validators at once (a thread each) for `--seconds`: a day generated on the demo feed
(`shahr.batch.simulate`: real stops, routes and trips, tap-ons and tap-offs, duplicates and missing
tap-offs), replayed on earlier days when it runs out, each validator's taps in time order with its own
seq. It prints taps/s, p50/p99 batch latency and the CPU the server and the client used. Then the floor,
in the same run since this machine is noisy: the same signed bodies posted to the device ping (HTTP, body,
signature, one device lookup and commit; no ingestion) for up to 10 s, and the ratio. With `--warm-up S`
the database is first put in service (`warm_up`): S seconds of uploads not counted, then ANALYZE.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import statistics
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from multiprocessing import get_context
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any
from zoneinfo import ZoneInfo

import httpx2
import polars as pl
import psutil  # type: ignore[import-untyped]
import psycopg
from sqlalchemy.engine import make_url

from shahr.backoffice.auth import device_signature
from shahr.backoffice.auth_tables import StaffRole
from shahr.batch.simulate import SimulationOptions, simulate_taps
from shahr.network import load_feed
from shahr.web.device_client import DeviceClient, ServiceProcess, StaffClient, issue_staff_token

FEED = Path(__file__).parents[1] / "data" / "mashhad-demo.zip"
DAY = date(2025, 10, 5)
TEHRAN = ZoneInfo("Asia/Tehran")
BATCH = 100
FLOOR_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class Run:
    """What the streaming process measured: taps acknowledged, wall time, each batch's latency."""

    taps: int
    wall_s: float
    latencies_s: list[float]
    client_cpu_s: float
    resent: int


def generate_day(cards: int, out: Path) -> Path:
    """A day of `cards` cards' taps on the demo feed, seed 1: the same taps every run."""
    path = out / "taps.parquet"
    simulate_taps(load_feed(FEED), SimulationOptions(cards, DAY, seed=1), path, feed_name=FEED.name)
    return path


def set_up(base_url: str, token: str, day: Path, devices: int) -> tuple[dict[int, str], dict[str, str]]:
    """Cards for the day's card numbers (youth ones with a birth date) with 10 M rials each, and the
    devices with their secrets; four requests at a time."""
    categories = dict(pl.read_parquet(day, columns=["card_id", "rider_category"]).unique().iter_rows())
    with StaffClient(base_url, token) as staff, ThreadPoolExecutor(4) as pool:

        def issue(category: str) -> str:
            birth = date(2010, 1, 1) if category == "youth" else None
            return staff.create_card(category, top_up_minor=10_000_000, birth_date=birth)

        numbers = sorted(categories)
        card_ids = dict(zip(numbers, pool.map(issue, [categories[n] for n in numbers]), strict=True))
        device_ids = [f"bench-{n}" for n in range(devices)]
        return card_ids, {d: staff.register_device(d, "metro") for d in device_ids}


def validator_streams(
    day: Path, card_ids: dict[int, str], devices: int, days_back: int = 0
) -> list[Iterator[list[dict[str, Any]]]]:
    """The day's taps dealt to `devices` validators by generated validator (all of one gate or vehicle's
    taps to the same one), each stream in time order, then the same day again 1, 2, ... days earlier;
    cut into batches of 100 with the validator's own seq."""
    rows = pl.read_parquet(day).sort("tapped_at", "device_id", "seq")
    owner = rows["device_id"].to_numpy() % devices
    dealt = [rows.filter(owner == n).to_dicts() for n in range(devices)]
    if not all(dealt):
        raise ValueError(f"{devices} devices but the day has taps of fewer generated validators")

    def stream(taps: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
        seq, batch, back = 0, [], days_back
        while True:
            shift = timedelta(days=back)
            for tap in taps:
                seq += 1
                batch.append(
                    {
                        "seq": seq,
                        "card_id": card_ids[tap["card_id"]],
                        "kind": tap["kind"],
                        "tapped_at": (tap["tapped_at"] - shift).astimezone(TEHRAN).isoformat(),
                        "stop_id": tap["stop_id"],
                        "route_id": tap["route_id"],
                        "trip_id": tap["trip_id"],
                        "medium": tap["medium"],
                    }
                )
                if len(batch) == BATCH:
                    yield batch
                    batch = []
            back += 1

    return [stream(taps) for taps in dealt]


def stream_batches(
    base_url: str,
    day: Path,
    card_ids: dict[int, str],
    secrets_by_device: dict[str, str],
    seconds: float,
    floor: bool,
    days_back: int = 0,
) -> Run:
    """In the second process: one thread per validator sends batches until `seconds` have passed. The
    floor posts the same signed bodies to the device's ping instead."""
    devices = sorted(secrets_by_device)
    streams = validator_streams(day, card_ids, len(devices), days_back)
    latencies: list[float] = []
    acknowledged = [0]
    resent = [0]
    lock = threading.Lock()
    started = time.perf_counter()
    deadline = started + seconds

    def upload(device_id: str, batches: Iterator[list[dict[str, Any]]]) -> None:
        with DeviceClient(base_url, device_id, secrets_by_device[device_id]) as client:
            for batch in batches:
                if time.perf_counter() >= deadline:
                    break
                sent = time.perf_counter()
                answer = client.send_batch(batch)
                took = time.perf_counter() - sent
                if len(answer.answers) != len(batch):
                    raise RuntimeError(f"{device_id}: {len(answer.answers)} answers for {len(batch)} taps")
                with lock:
                    latencies.append(took)
                    acknowledged[0] += len(batch)
        with lock:
            resent[0] += client.resent

    def ping(device_id: str, batches: Iterator[list[dict[str, Any]]]) -> None:
        secret = secrets_by_device[device_id]
        with httpx2.Client(base_url=base_url) as http:
            for batch in batches:
                if time.perf_counter() >= deadline:
                    break
                body = json.dumps({"taps": batch}, separators=(",", ":")).encode()
                stamp = str(int(time.time()))
                headers = {
                    "Content-Type": "application/json",
                    "X-Device-Id": device_id,
                    "X-Timestamp": stamp,
                    "X-Signature": device_signature(secret, stamp, body),
                }
                sent = time.perf_counter()
                http.post(f"/devices/{device_id}/ping", content=body, headers=headers).raise_for_status()
                took = time.perf_counter() - sent
                with lock:
                    latencies.append(took)
                    acknowledged[0] += len(batch)

    work = ping if floor else upload
    cpu = time.process_time()
    threads = [threading.Thread(target=work, args=pair) for pair in zip(devices, streams, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall_s = time.perf_counter() - started
    return Run(acknowledged[0], wall_s, latencies, time.process_time() - cpu, resent[0])


def measure(
    server: ServiceProcess,
    day: Path,
    card_ids: dict[int, str],
    devices: dict[str, str],
    seconds: float,
    floor: bool,
    days_back: int = 0,
) -> tuple[Run, float]:
    """Run the stream in a second process; also the CPU seconds the server's processes used meanwhile."""
    main = psutil.Process(server.pid)
    server_processes = [main, *main.children(recursive=True)]
    before = sum(_cpu(p) for p in server_processes)
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        run = pool.submit(
            stream_batches, server.base_url, day, card_ids, devices, seconds, floor, days_back
        ).result()
    return run, sum(_cpu(p) for p in server_processes) - before


def _cpu(process: psutil.Process) -> float:
    try:
        times = process.cpu_times()
    except psutil.NoSuchProcess:
        return 0.0
    return float(times.user + times.system)


def report(label: str, run: Run, server_cpu_s: float) -> None:
    cuts = statistics.quantiles(run.latencies_s, n=100)
    p50_ms, p99_ms = cuts[49] * 1000, cuts[98] * 1000
    print(
        f"  {label}: {run.taps / run.wall_s:,.0f} taps/s ({run.taps:,} taps in {run.wall_s:.1f} s, "
        f"{len(run.latencies_s):,} batches); latency p50 {p50_ms:.0f} ms, p99 {p99_ms:.0f} ms; "
        f"CPU: server {server_cpu_s / run.wall_s:.2f} cores, client {run.client_cpu_s / run.wall_s:.2f}; "
        f"{run.resent} re-sent (5xx or lost race)"
    )


def bench(name: str, database_url: str, work: Path, day: Path, args: argparse.Namespace) -> None:
    """One database: a fresh server, set-up, the stream, the floor on the same server, the ratio."""
    env = {"SHAHR_ENVIRONMENT": "test", "SHAHR_FEED": str(FEED), "SHAHR_POLICY": "mashhad-distance"}
    log = work / f"serve-{name}.log"
    with ServiceProcess(database_url, log, env=env, workers=args.workers) as server:
        started = time.perf_counter()
        token = issue_staff_token(database_url, "benchmark", StaffRole.ADMIN)
        card_ids, devices = set_up(server.base_url, token, day, args.devices)
        print(
            f"{name}: {len(card_ids):,} cards and {len(devices)} devices set up over the API in "
            f"{time.perf_counter() - started:.1f} s; uvicorn workers: {args.workers}"
        )
        if args.warm_up:
            warm_up(server, token, day, card_ids, args, database_url)
        run, server_cpu = measure(server, day, card_ids, devices, args.seconds, floor=False)
        report("ingest", run, server_cpu)
        floor, floor_cpu = measure(
            server, day, card_ids, devices, min(args.seconds, FLOOR_SECONDS), floor=True
        )
        report("floor (same bodies to the signed ping)", floor, floor_cpu)
        ratio = (floor.taps / floor.wall_s) / (run.taps / run.wall_s)
        print(f"  ratio floor/ingest: {ratio:.1f}x")
    print(f"  uploads answered (server log): {upload_statuses(log.read_text())}")


def warm_up(
    server: ServiceProcess,
    token: str,
    day: Path,
    card_ids: dict[int, str],
    args: argparse.Namespace,
    database_url: str,
) -> None:
    """Put a database in service first: `--warm-up` seconds of the same taps 90 days earlier (another
    Jalali month, so no cap reaches the measured days) from other devices, then ANALYZE on PostgreSQL,
    as autovacuum does in service. A fresh database has no statistics, and the plans its connections
    prepare while its tables are nearly empty go on scanning them whole as they grow, until autovacuum
    (every minute) analyzes them."""
    with StaffClient(server.base_url, token) as staff:
        devices = {f"warm-{n}": staff.register_device(f"warm-{n}", "metro") for n in range(args.devices)}
    run, server_cpu = measure(server, day, card_ids, devices, args.warm_up, floor=False, days_back=90)
    report("warm-up, not counted (the same day 90 days earlier)", run, server_cpu)
    if database_url.startswith("postgresql"):
        with psycopg.connect(database_url, autocommit=True) as connection:
            connection.execute("ANALYZE")


def upload_statuses(log: str) -> str:
    """How the server answered the uploads, from its access log, and why it failed: a re-sent batch was
    a 5xx (say SQLite's lock wait running out) or a 409 `concurrent_request` (a lost race)."""
    statuses = Counter(re.findall(r'"POST /devices/[^/ ]+/taps HTTP/1.1" (\d{3})', log))
    errors = Counter(re.findall(r"^(\w+(?:\.\w+)+(?:Error|Exception)\b[^\n]{0,60})", log, re.MULTILINE))
    answered = ", ".join(f"{status} x{count:,}" for status, count in sorted(statuses.items()))
    return answered + "".join(f"; {line} x{count}" for line, count in errors.most_common(3))


@contextmanager
def fresh_postgres(server: str) -> Iterator[str]:
    """A new database on `server`, dropped afterwards."""
    name = f"shahr_bench_{secrets.token_hex(6)}"
    admin = make_url(server).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--devices", type=int, default=4)
    parser.add_argument("--cards", type=int, default=3_000)
    parser.add_argument(
        "--workers", type=int, default=1, help="uvicorn worker processes (shahr serve --workers)"
    )
    parser.add_argument("--postgres-url", default=os.environ.get("SHAHR_TEST_POSTGRES_URL"))
    parser.add_argument(
        "--warm-up",
        type=float,
        default=0.0,
        help="seconds of uploads (90 days earlier, other devices) before measuring, then ANALYZE: a "
        "database in service rather than a fresh one",
    )
    args = parser.parse_args()

    with TemporaryDirectory() as tmp:
        work = Path(tmp)
        day = generate_day(args.cards, work)
        taps = pl.scan_parquet(day).select(pl.len()).collect().item()
        print(f"a day of {taps:,} taps of {args.cards:,} cards on {FEED.name}, {DAY}")
        bench("sqlite", f"sqlite:///{work / 'shahr.sqlite3'}", work, day, args)
        if not args.postgres_url:
            print("postgresql: skipped (no --postgres-url and SHAHR_TEST_POSTGRES_URL is not set)")
            return
        with fresh_postgres(args.postgres_url) as url:
            bench("postgresql", url, work, day, args)


if __name__ == "__main__":
    main()
