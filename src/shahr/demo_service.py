"""`shahr demo`, second part: the fare-collection service at work. `shahr serve` runs as a child process
on a fresh demo database; staff issue a card for each simulated rider and register the validators over
the API; the validators upload a simulated morning in signed batches; finance closes the day and reads the
clearing between operators. Then residents' past weeks of reports and proposals are seeded
(`demo_civic`), and the service keeps running for the user to try, until Ctrl-C.

The fares go through the API a real deployment uses (`shahr.web.device_client`), so the demo is also an
end-to-end check: the clearing must match the cards' debits to the rial. The civic weeks go through the
civic commands directly, each at its moment in the past, which the API (always now) cannot do.
"""

from __future__ import annotations

import shutil
import signal
import socket
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import httpx2
import polars as pl
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from shahr.backoffice.auth_tables import StaffRole
from shahr.backoffice.cards import AGE_LIMITS
from shahr.backoffice.clearing import ClearingReport
from shahr.batch.simulate import SimulationOptions
from shahr.demo_civic import CivicOutcome, Step, seed_city
from shahr.demo_lab import publish_open_data, run_lab
from shahr.demo_live import LiveFeed
from shahr.demo_morning import Morning, device_operator, simulate_morning
from shahr.demo_report import Outcome, print_civic, print_clearing, print_lab, print_open_data, print_service
from shahr.errors import ShahrError
from shahr.fares.load import load_policy
from shahr.network import Network, load_feed
from shahr.settings import Settings
from shahr.web.device_client import (
    SHAHR,
    DeviceClient,
    ServiceProcess,
    StaffClient,
    free_port,
    issue_staff_token,
)

if TYPE_CHECKING:
    from gtfs_kit import Feed

DEMO_DIR = Path(".shahr-demo")
"""In the working directory, made afresh each run: the database, the simulated taps, the service's log."""
POLICY = "mashhad-distance"
TOP_UP_MINOR = 500_000
"""Loaded onto every card: a few mornings' fares."""
BIRTH_YEARS_UNDER_LIMIT = 3
"""A card of an age-limited category (youth) belongs to a rider this many years under the limit."""
QUARANTINE_LISTED = 1_000
"""Quarantined taps read back to count their reasons: the most `GET /quarantine` gives at once."""


class ServiceDemoError(ShahrError):
    """The service could not be started or refused the demo's set-up: nothing the user typed is wrong."""


class DemoService(ServiceProcess):
    """`ServiceProcess` on a port chosen by the caller: it always takes a random free one, and the demo
    prefers a port the user can remember."""

    def __init__(self, database_url: str, log: Path, *, port: int, env: Mapping[str, str]) -> None:
        super().__init__(database_url, log, env=env)
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        self._command = [*SHAHR, "serve", f"--port={port}", "--workers=1"]


class DemoStaff(StaffClient):
    """`StaffClient` plus the two reads the demo reports from: the clearing and the quarantine."""

    def clearing_report(self, service_date: date) -> ClearingReport:
        response = self._http.get(f"/clearing/{service_date.isoformat()}").raise_for_status()
        return ClearingReport.model_validate_json(response.content)

    def quarantine_reasons(self) -> Counter[str]:
        response = self._http.get("/quarantine", params={"limit": QUARANTINE_LISTED}).raise_for_status()
        return Counter(str(tap["reason_code"]) for tap in response.json())


def run_service_demo(feed: Path, *, cards: int, seed: int, port: int, serve: bool, console: Console) -> None:
    """Start the service, feed it a simulated morning of `cards` cards on yesterday's service day, print
    the clearing, seed the residents' past weeks (`seed` also draws them), then serve until Ctrl-C (or
    stop at once when not `serve`). `port` 0: any free port."""
    policy = load_policy(POLICY)
    service_date = policy.service_date(datetime.now(UTC)) - timedelta(days=1)
    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    DEMO_DIR.mkdir()
    database_url = f"sqlite:///{(DEMO_DIR / 'demo.sqlite3').resolve()}"
    env = {"SHAHR_FEED": str(feed.resolve()), "SHAHR_POLICY": POLICY}
    server = DemoService(database_url, DEMO_DIR / "service.log", port=_pick_port(port), env=env)
    options = SimulationOptions(cards=cards, service_date=service_date, seed=seed)
    try:
        token = issue_staff_token(database_url, "demo", StaffRole.ADMIN)
        with _sigterm_as_interrupt(), server:
            loaded = load_feed(feed)
            network = Network.from_feed(loaded)
            morning = simulate_morning(
                loaded, policy, options, DEMO_DIR / "taps.parquet", feed_name=feed.name
            )
            with DemoStaff(server.base_url, token) as staff:
                outcome = _put_to_work(staff, server.base_url, morning, network, console)
            print_clearing(console, outcome)
            print_civic(console, _seed_city(database_url, loaded, network, seed, console))
            with (
                console.status("policy lab: yesterday's riders under both fares"),
                DemoStaff(server.base_url, token) as staff,
            ):
                lab = run_lab(staff, loaded, network, service_date, DEMO_DIR / "lab", seed)
            print_lab(console, lab)
            print_open_data(console, publish_open_data(database_url, network, service_date))
            consultation = (lab.consultation_id, outcome.rider)
            print_service(
                console,
                server.base_url,
                token,
                service_date,
                DEMO_DIR,
                consultation=consultation,
                serve=serve,
            )
            if serve:
                live = LiveFeed(
                    server.base_url, token, database_url, loaded, network, policy, seed=seed, folder=DEMO_DIR
                )
                with live:  # today's taps keep coming, so the dashboard moves
                    _wait_for_interrupt(console)
    except (RuntimeError, httpx2.HTTPError) as exc:
        raise ServiceDemoError(f"the demo service failed: {exc}; see {DEMO_DIR / 'service.log'}") from exc


def _put_to_work(
    staff: DemoStaff, base_url: str, morning: Morning, network: Network, console: Console
) -> Outcome:
    """Issue the cards, register the validators, upload the morning, close the day, read the clearing."""
    with _progress(console) as progress:
        issued = {
            sim_id: staff.create_card(
                category, top_up_minor=TOP_UP_MINOR, birth_date=_birth_date(category, morning.service_date)
            )
            for sim_id, category in progress.track(morning.cards.items(), description="cards issued")
        }
        card_ids = {sim_id: card.card_id for sim_id, card in issued.items()}
        first_taps = {int(batch["device_id"][0]): batch.row(0, named=True) for batch in morning.batches}
        secrets = {
            device: staff.register_device(
                _device_id(device), device_operator(network, tap["stop_id"], tap["route_id"])
            )
            for device, tap in progress.track(first_taps.items(), description="devices")
        }
        replayed = 0
        uploading = progress.add_task("taps uploaded", total=morning.taps)
        with ExitStack() as clients:
            devices = {
                device: clients.enter_context(DeviceClient(base_url, _device_id(device), secret))
                for device, secret in secrets.items()
            }
            for batch in morning.batches:
                taps = [_tap(row, card_ids) for row in batch.iter_rows(named=True)]
                result = devices[int(batch["device_id"][0])].send_batch(taps)
                replayed += sum(answer.replayed for answer in result.answers)
                progress.advance(uploading, len(batch))
    staff.close_service_day(morning.service_date)
    report = staff.clearing_report(morning.service_date)
    busiest = pl.concat(morning.batches)["card_id"].value_counts(sort=True)["card_id"][0]
    return Outcome(morning.taps, replayed, report, staff.quarantine_reasons(), issued[busiest])


def _seed_city(database_url: str, feed: Feed, network: Network, seed: int, console: Console) -> CivicOutcome:
    """The residents' past weeks, with a progress bar (a few thousand steps: most of them supports)."""
    with _progress(console) as progress:

        def track(steps: Sequence[Step]) -> Iterable[Step]:
            return progress.track(steps, description="residents' weeks")

        now = datetime.now(UTC)
        return seed_city(
            database_url, feed, network, seed=seed, now=now, secret=Settings().secret_key, track=track
        )


def _progress(console: Console) -> Progress:
    """Progress bars whose columns line up from one part of the demo to the next."""
    columns = (TextColumn("{task.description:<16}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    return Progress(*columns, console=console)


def _tap(row: Mapping[str, Any], card_ids: Mapping[int, str]) -> dict[str, Any]:
    """A simulated tap as a validator sends it, under the card id the back office issued."""
    return {
        "seq": row["seq"],
        "card_id": card_ids[row["card_id"]],
        "kind": row["kind"],
        "tapped_at": row["tapped_at"],
        "stop_id": row["stop_id"],
        "route_id": row["route_id"],
        "trip_id": row["trip_id"],
        "medium": row["medium"],
    }


def _device_id(device: int) -> str:
    return f"validator-{device}"


def _birth_date(category: str, service_date: date) -> date | None:
    """A birth date for an age-limited category (the API requires one), None for the others."""
    if category not in AGE_LIMITS:
        return None
    return date(service_date.year - AGE_LIMITS[category] + BIRTH_YEARS_UNDER_LIMIT, 1, 1)


def _pick_port(preferred: int) -> int:
    """`preferred` when it is free now, else (and for 0) any free loopback port."""
    if preferred:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            try:
                probe.bind(("127.0.0.1", preferred))
            except OSError:
                return free_port()
            return preferred
    return free_port()


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (a supervisor, `timeout`) ends the demo as Ctrl-C does, so the child service is stopped
    rather than left running in its own session."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _wait_for_interrupt(console: Console) -> None:
    """Until Ctrl-C (or SIGTERM). Short sleeps: the signal may land in another thread (polars' or numba's
    pools), which wakes no long wait of the main thread; its handler runs when the sleep ends."""
    try:
        while True:
            time.sleep(0.2)
    except KeyboardInterrupt:
        console.print("Stopping the service.")
