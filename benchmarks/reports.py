"""Benchmark: concurrent Open311 report submissions over loopback into `shahr serve`, reports/s and request
latency, against two same-run floors.

Run: `.venv/bin/python benchmarks/reports.py [--seconds 30] [--clients 8] [--workers 1]
[--postgres-url postgresql://postgres@127.0.0.1:5432/test]`. For each database (a SQLite file in a temp
dir; a fresh PostgreSQL database on --postgres-url or SHAHR_TEST_POSTGRES_URL, skipped with a message when
neither is set) it starts `shahr serve` with the report rate limits raised out of the way through its
environment (`SHAHR_CIVIC_REPORT_LIMIT`: every request comes from one address) and issues an Open311 API
key over the staff API. A second process then runs `--clients` threads, each a resident's app with its own
keep-alive connection, that POST `/open311/v2/requests.json` form-encoded one after the other for
`--seconds`: api_key, service_code, lat/long near a stop of the demo feed inside a district, a Persian
description with the category's questions answered, a device_id and now and then the reporter's phone and
name (`shahr.demo_civic.random_report`, seed 1). It prints reports/s, p50/p99 latency, refusals and the CPU
the server and the clients used, and checks the database holds exactly the reports answered. Then the
floors, in the same run since this machine is noisy, at the same concurrency for up to 10 s each:
`GET /open311/v2/services.json` (HTTP, a session, one query of the categories, the Open311 rendering) and
`GET /health`, with the ratio of each to the submissions.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import secrets
import statistics
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path
from tempfile import TemporaryDirectory

import httpx2
import psutil  # type: ignore[import-untyped]
import psycopg
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from shahr.backoffice.auth_tables import StaffRole
from shahr.civic.geo import load_districts
from shahr.civic.reports.tables import Report
from shahr.db import make_engine, session_factory
from shahr.demo_civic import list_places, random_report
from shahr.network import Network, load_feed
from shahr.web.device_client import ServiceProcess, issue_staff_token

FEED = Path(__file__).parents[1] / "data" / "mashhad-demo.zip"
FORMS = 5_000
"""Distinct submissions generated, sent round-robin (a client starts at its own offset)."""
FLOOR_SECONDS = 10.0
NO_LIMIT = '{"per_person": 1000000000, "per_address": 1000000000}'
SUBMIT = "/open311/v2/requests.json"
FLOORS = (("services.json", "/open311/v2/services.json"), ("health", "/health"))


@dataclass(frozen=True, slots=True)
class Run:
    """What the clients measured: requests answered 2xx, wall time, each request's latency, refusals."""

    ok: int
    wall_s: float
    latencies_s: list[float]
    client_cpu_s: float
    refused: Counter[int]


def forms(api_key: str, count: int) -> list[dict[str, str]]:
    """`count` submissions as an Open311 client would form-encode them, the same every run."""
    feed = load_feed(FEED)
    districts = load_districts(None)
    places = list_places(feed, Network.from_feed(feed), districts)
    rng = random.Random(1)
    made = []
    for n in range(count):
        _, (lat, lon), new = random_report(rng, places, districts)
        form = {
            "api_key": api_key,
            "service_code": new.service_code,
            "lat": f"{lat:.6f}",
            "long": f"{lon:.6f}",
            "description": new.description,
            "device_id": f"bench-app-{n % 500}",
        }
        form |= {f"attribute[{code}]": values[0] for code, values in new.answers.items()}
        contact = new.contact
        form |= {k: v for k, v in (("phone", contact.phone), ("first_name", contact.first_name)) if v}
        made.append(form)
    return made


def issue_api_key(base_url: str, token: str) -> str:
    """An Open311 key, as an admin issues one for a client app."""
    headers = {"Authorization": f"Bearer {token}"}
    response = httpx2.post(f"{base_url}/civic/staff/open311-keys", json={"name": "bench"}, headers=headers)
    key: str = response.raise_for_status().json()["api_key"]
    return key


def submit(
    base_url: str, bodies: list[dict[str, str]], clients: int, seconds: float, path: str | None
) -> Run:
    """In the second process: `clients` threads, each on its own connection, send requests back to back
    until `seconds` have passed: the submissions, or GETs of `path` (a floor)."""
    latencies: list[float] = []
    refused: Counter[int] = Counter()
    lock = threading.Lock()
    started = time.perf_counter()
    deadline = started + seconds

    def client(number: int) -> None:
        mine: list[float] = []
        failed: Counter[int] = Counter()
        with httpx2.Client(base_url=base_url, timeout=30.0) as http:
            n = number * len(bodies) // clients
            while time.perf_counter() < deadline:
                sent = time.perf_counter()
                if path is None:
                    response = http.post(SUBMIT, data=bodies[n % len(bodies)])
                else:
                    response = http.get(path)
                took = time.perf_counter() - sent
                if response.is_success:
                    mine.append(took)
                else:
                    failed[response.status_code] += 1
                n += 1
        with lock:
            latencies.extend(mine)
            refused.update(failed)

    cpu = time.process_time()
    threads = [threading.Thread(target=client, args=(number,)) for number in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall_s = time.perf_counter() - started
    return Run(len(latencies), wall_s, latencies, time.process_time() - cpu, refused)


def measure(
    server: ServiceProcess, bodies: list[dict[str, str]], clients: int, seconds: float, path: str | None
) -> tuple[Run, float]:
    """Run the clients in a second process; also the CPU seconds the server's processes used meanwhile."""
    main = psutil.Process(server.pid)
    server_processes = [main, *main.children(recursive=True)]
    before = sum(_cpu(p) for p in server_processes)
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        run = pool.submit(submit, server.base_url, bodies, clients, seconds, path).result()
    return run, sum(_cpu(p) for p in server_processes) - before


def _cpu(process: psutil.Process) -> float:
    try:
        times = process.cpu_times()
    except psutil.NoSuchProcess:
        return 0.0
    return float(times.user + times.system)


def report(label: str, run: Run, server_cpu_s: float) -> None:
    cuts = statistics.quantiles(run.latencies_s, n=100)
    refused = ", ".join(f"{status} x{n:,}" for status, n in sorted(run.refused.items())) or "none"
    print(
        f"  {label}: {run.ok / run.wall_s:,.0f} requests/s ({run.ok:,} in {run.wall_s:.1f} s); latency "
        f"p50 {cuts[49] * 1000:.1f} ms, p99 {cuts[98] * 1000:.1f} ms; refused: {refused}; "
        f"CPU: server {server_cpu_s / run.wall_s:.2f} cores, clients {run.client_cpu_s / run.wall_s:.2f}"
    )


def stored_reports(database_url: str) -> int:
    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as session:
            return session.scalar(select(func.count()).select_from(Report)) or 0
    finally:
        engine.dispose()


def bench(name: str, database_url: str, work: Path, args: argparse.Namespace) -> None:
    """One database: a fresh server, a key, the submissions, the floors on the same server, the ratios."""
    env = {
        "SHAHR_ENVIRONMENT": "test",
        "SHAHR_FEED": str(FEED),
        "SHAHR_POLICY": "mashhad-distance",
        "SHAHR_CIVIC_REPORT_LIMIT": NO_LIMIT,
    }
    log = work / f"serve-{name}.log"
    with ServiceProcess(database_url, log, env=env, workers=args.workers) as server:
        token = issue_staff_token(database_url, "benchmark", StaffRole.ADMIN)
        bodies = forms(issue_api_key(server.base_url, token), FORMS)
        print(
            f"{name}: {args.clients} clients, uvicorn workers: {args.workers}, {datetime.now(UTC):%H:%M} UTC"
        )
        run, server_cpu = measure(server, bodies, args.clients, args.seconds, None)
        report("POST requests.json", run, server_cpu)
        stored = stored_reports(database_url)
        print(f"  reports stored: {stored:,} ({'as answered' if stored == run.ok else 'NOT as answered'})")
        for label, path in FLOORS:
            floor, floor_cpu = measure(server, bodies, args.clients, min(args.seconds, FLOOR_SECONDS), path)
            report(f"floor: GET {label}", floor, floor_cpu)
            print(f"  ratio {label}/submissions: {(floor.ok / floor.wall_s) / (run.ok / run.wall_s):.1f}x")
    print(f"  server log: {errors(log.read_text())}")


def errors(log: str) -> str:
    """The server's exceptions, from its log (`database is locked`, a lost race ...), if any."""
    found = Counter(re.findall(r"^(\w+(?:\.\w+)+(?:Error|Exception)\b[^\n]{0,60})", log, re.MULTILINE))
    return "; ".join(f"{line} x{count}" for line, count in found.most_common(3)) or "no errors"


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
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients, one connection each")
    parser.add_argument(
        "--workers", type=int, default=1, help="uvicorn worker processes (shahr serve --workers)"
    )
    parser.add_argument("--postgres-url", default=os.environ.get("SHAHR_TEST_POSTGRES_URL"))
    args = parser.parse_args()

    with TemporaryDirectory() as tmp:
        work = Path(tmp)
        bench("sqlite", f"sqlite:///{work / 'shahr.sqlite3'}", work, args)
        if not args.postgres_url:
            print("postgresql: skipped (no --postgres-url and SHAHR_TEST_POSTGRES_URL is not set)")
            return
        with fresh_postgres(args.postgres_url) as url:
            bench("postgresql", url, work, args)


if __name__ == "__main__":
    main()
