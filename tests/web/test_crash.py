"""Crash safety end to end, on SQLite and PostgreSQL: a real `shahr serve` is SIGKILLed twice while a
validator streams a day of taps (generated on the demo feed): once while it works on a batch it cannot
commit yet (the test holds the database), once right after it committed and answered a batch (the answer
never reaches the validator). Each time it is started again on the same database, and the validator
re-sends the unanswered batch as it was. Afterwards every tap is stored once, each card-day holds the
engine's journeys once and is charged their fares within the daily cap, and the ledger balances."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx2
import polars as pl
import psycopg
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from shahr.backoffice import ledger
from shahr.backoffice.auth_tables import StaffRole
from shahr.backoffice.taps import RatedJourney, TapRecord
from shahr.batch.simulate import SimulationOptions, simulate_taps
from shahr.db import make_engine, session_factory
from shahr.fares.capping import cap_day, limits
from shahr.fares.engine import FareEngine
from shahr.fares.load import Policy
from shahr.fares.model import Tap, TapKind
from shahr.network import Network, load_feed
from shahr.web.device_client import DeviceClient, ServiceProcess, StaffClient, issue_staff_token

pytestmark = pytest.mark.slow

FEED = Path(__file__).parents[2] / "data" / "mashhad-demo.zip"
TEHRAN = ZoneInfo("Asia/Tehran")
DAY = date(2025, 10, 5)
"""A past day of the demo feed: its taps are not ahead of the server's clock and it can be closed."""
CARDS = 60
BATCH = 30
IN_FLIGHT, ANSWER_LOST = 3, 8
"""Batches (from 0) at which the server is killed: after three, then after four more, acknowledged."""
TOP_UP = 1_000_000
DEVICE = "validator-1"


@pytest.fixture(scope="module")
def day_of_taps(tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    """A generated day of 60 cards (about 390 taps, with duplicate taps and missing tap-offs), in time
    order: what one validator uploads, numbered by its own counter."""
    path = tmp_path_factory.mktemp("taps") / "taps.parquet"
    options = SimulationOptions(cards=CARDS, service_date=DAY, seed=7)
    simulate_taps(load_feed(FEED), options, path, feed_name=FEED.name)
    day = pl.read_parquet(path).sort("tapped_at", "device_id", "seq").drop("device_id", "seq")
    return day.with_row_index("seq", offset=1)


@contextmanager
def writes_blocked(database_url: str) -> Iterator[None]:
    """Hold the database so the service can read but not commit: SQLite's write lock (the service waits
    for it up to its 5 s busy timeout), a PostgreSQL lock on `cards` that its rating's `FOR UPDATE` waits
    for. What the service does meanwhile stays uncommitted."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        holder = sqlite3.connect(str(url.database), isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")
            yield
            holder.execute("ROLLBACK")
        finally:
            holder.close()
        return
    with psycopg.connect(url.set(drivername="postgresql").render_as_string(hide_password=False)) as locker:
        locker.execute("LOCK TABLE cards IN EXCLUSIVE MODE")
        yield
        locker.rollback()


class CrashingTransport(httpx2.BaseTransport):
    """Between the validator and the service, with two crashes: the server is killed while it works on
    the batch starting at `in_flight_seq` (unable to commit it: `writes_blocked`), and right after it
    answered the batch starting at `answer_lost_seq` (the answer is dropped). A thread starts it again
    on the same database each time; meanwhile the validator's attempts find no server."""

    def __init__(self, server: ServiceProcess, *, in_flight_seq: int, answer_lost_seq: int) -> None:
        self._inner = httpx2.HTTPTransport()
        self._server = server
        self._in_flight_seq = in_flight_seq
        self._answer_lost_seq = answer_lost_seq
        self.restarts: list[threading.Thread] = []
        self.failed: list[int] = []
        """The first seq of each attempt that got no answer."""

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        if not request.url.path.endswith("/taps"):
            return self._inner.handle_request(request)
        first: int = json.loads(request.content)["taps"][0]["seq"]
        try:
            if first == self._in_flight_seq and not self.restarts:
                return self._killed_at_work(request)
            response = self._inner.handle_request(request)
            if first == self._answer_lost_seq and len(self.restarts) == 1:
                response.read()  # committed and answered; the validator never hears it
                self._server.kill()
                self._restart()
                raise httpx2.ReadError("connection reset before the answer arrived", request=request)
        except httpx2.TransportError:
            self.failed.append(first)
            raise
        return response

    def _killed_at_work(self, request: httpx2.Request) -> httpx2.Response:
        try:
            with writes_blocked(self._server.database_url):
                killer = threading.Timer(0.5, self._server.kill)
                killer.start()
                try:
                    return self._inner.handle_request(request)
                finally:
                    killer.join()
        finally:
            self._restart()

    def _restart(self) -> None:
        restart = threading.Thread(target=self._server.start)
        self.restarts.append(restart)
        restart.start()

    def close(self) -> None:
        """Wait for the restarts too, so the server fixture stops the last server even after a failure."""
        for restart in self.restarts:
            restart.join()
        self._inner.close()


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[ServiceProcess]:
    env = {"SHAHR_ENVIRONMENT": "test", "SHAHR_FEED": str(FEED), "SHAHR_POLICY": "mashhad-distance"}
    process = ServiceProcess(database_url, tmp_path / "serve.log", env=env)
    process.start()
    try:
        yield process
    finally:
        process.stop()


def payload(row: dict[str, Any], card_ids: dict[int, str]) -> dict[str, Any]:
    """A generated tap as the validator sends it: its own seq, the card's id, local Tehran time."""
    return {
        "seq": row["seq"],
        "card_id": card_ids[row["card_id"]],
        "kind": row["kind"],
        "tapped_at": row["tapped_at"].astimezone(TEHRAN).isoformat(),
        "stop_id": row["stop_id"],
        "route_id": row["route_id"],
        "trip_id": row["trip_id"],
        "medium": row["medium"],
    }


def test_a_server_killed_mid_stream_stores_each_tap_once_and_charges_each_journey_once(
    database_url: str,
    server: ServiceProcess,
    day_of_taps: pl.DataFrame,
    mashhad_distance: Policy,
    mashhad_network: Network,
) -> None:
    token = issue_staff_token(database_url, "crash test", StaffRole.ADMIN)
    categories = dict(day_of_taps.select("card_id", "rider_category").unique().iter_rows())
    with StaffClient(server.base_url, token) as staff:
        card_ids = {
            card: staff.create_card(
                category, top_up_minor=TOP_UP, birth_date=date(2010, 1, 1) if category == "youth" else None
            ).card_id
            for card, category in sorted(categories.items())
        }
        taps = [payload(row, card_ids) for row in day_of_taps.iter_rows(named=True)]
        batches = [taps[i : i + BATCH] for i in range(0, len(taps), BATCH)]
        first_seqs = {
            "in_flight_seq": batches[IN_FLIGHT][0]["seq"],
            "answer_lost_seq": batches[ANSWER_LOST][0]["seq"],
        }
        crashing = CrashingTransport(server, **first_seqs)
        secret = staff.register_device(DEVICE, "metro")
        with DeviceClient(
            server.base_url, DEVICE, secret, attempts=40, backoff_s=0.05, transport=crashing
        ) as device:
            assert device.ping().device_id == DEVICE  # as a validator checks its secret and clock at boot
            answers = [device.send_batch(batch) for batch in batches]

        # Only the two batches cut off were sent again (until the server was back), and the answers say
        # what the service had stored: nothing of the batch it was killed at work on, all of the answered
        # one (replayed, nothing booked again), and no other batch was seen twice.
        assert set(crashing.failed) == {first_seqs["in_flight_seq"], first_seqs["answer_lost_seq"]}
        assert len(crashing.restarts) == 2
        assert [a.replayed for a in answers[ANSWER_LOST].answers] == [True] * BATCH
        assert [n for n, answer in enumerate(answers) if any(a.replayed for a in answer.answers)] == [
            ANSWER_LOST
        ]
        assert [len(answer.answers) for answer in answers] == [len(batch) for batch in batches]
        assert staff.close_service_day(DAY).service_date == DAY
        paid = {card_id: TOP_UP - staff.balance(card_id) for card_id in card_ids.values()}

    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as session:
            check_stored_once(session, taps)
            rates = FareEngine(mashhad_distance, mashhad_network)
            for card, card_id in card_ids.items():
                check_charged_once(session, rates, card_id, categories[card], taps, paid[card_id])
            assert sum(ledger.trial_balance(session).values()) == 0
            assert ledger.is_balanced(session)
    finally:
        engine.dispose()


def check_stored_once(session: Session, taps: list[dict[str, Any]]) -> None:
    """Each tap sent is one row, found by (device_id, seq)."""
    key = (TapRecord.device_id, TapRecord.seq)
    rows = session.execute(select(*key, func.count()).group_by(*key).order_by(TapRecord.seq)).all()
    assert [tuple(row) for row in rows] == [(DEVICE, tap["seq"], 1) for tap in taps]


def check_charged_once(
    session: Session,
    rates: FareEngine,
    card_id: str,
    rider_category: str,
    taps: list[dict[str, Any]],
    paid: int,
) -> None:
    """The card's day holds the engine's journeys, each once at its fare, and the card paid (`paid`, from
    its balance) their sum within the policy's daily cap: a journey charged twice would show as an extra
    journey."""
    rating = rates.rate([engine_tap(tap, rider_category) for tap in taps if tap["card_id"] == card_id])
    journeys = session.scalars(
        select(RatedJourney.fare_minor)
        .where(RatedJourney.card_id == card_id)
        .order_by(RatedJourney.journey_seq)
    ).all()
    assert list(journeys) == [journey.fare_minor for journey in rating.journeys], card_id
    tariff = rates.policy.version_for(DAY)
    capped = cap_day(rating.total_minor, limits(tariff, rider_category, DAY, paid_in_month_before=0))
    assert paid == capped.charged_minor, card_id


def engine_tap(sent: dict[str, Any], rider_category: str) -> Tap:
    """The tap as the service rates it: the card's category, the device's medium; taps are sent in time
    order by one device, so the service's (tapped_at, device_id, seq) order is the order sent."""
    return Tap(
        TapKind(sent["kind"]),
        datetime.fromisoformat(sent["tapped_at"]),
        sent["stop_id"],
        sent["route_id"],
        sent["trip_id"],
        medium=sent["medium"],
        rider_category=rider_category,
    )
