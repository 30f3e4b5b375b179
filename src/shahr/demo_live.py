"""`shahr demo`, while it serves: keeps the service busy so its dashboard (`/fa/dashboard`) moves. A
background thread simulates today's service day and the same weekday a week before for the demo's riders
(its cards, read from the demo database), uploads last week's day and closes it (the dashboard's
comparison), replays today's taps up to now in about a minute, then sends each tap as its time comes,
every two seconds, until the demo stops. At night, when the simulated city sleeps, nothing moves until
the morning's first taps.

Taps go through the API a city's validators use: signed batches (`DeviceClient`) from one validator per
operator, registered by the demo's admin. Nothing here runs for `shahr demo --no-serve`.
"""

from __future__ import annotations

import itertools
import threading
import time
import traceback
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TextIO

import polars as pl
from sqlalchemy import select

from shahr.backoffice.rating import service_day_end
from shahr.backoffice.tables import Card, CardStatus
from shahr.batch.simulate import SimulationOptions, simulate_taps
from shahr.db import make_engine, session_factory
from shahr.demo_morning import device_operator
from shahr.fares.load import Policy
from shahr.network import Network
from shahr.web.device_client import DeviceClient, StaffClient

if TYPE_CHECKING:
    from gtfs_kit import Feed

TICK_S = 2.0
"""How often due taps are sent: the dashboard's own refresh."""
REPLAY_S = 60.0
"""Today's taps up to now are replayed over this long, so the dashboard is seen filling up."""
BATCH_TAPS = 500
"""Taps a validator sends at most in one upload (the API takes up to 1,000)."""
LAST_WEEK = timedelta(days=7)


class LiveFeed:
    """The demo's feeder thread: `with LiveFeed(...): wait()`. Its log is `folder/live.log`; an error
    stops the feeding (and is logged), never the demo."""

    def __init__(
        self,
        base_url: str,
        token: str,
        database_url: str,
        feed: Feed,
        network: Network,
        policy: Policy,
        *,
        seed: int,
        folder: Path,
        replay_s: float = REPLAY_S,
    ) -> None:
        self._base_url = base_url
        self._token = token
        self._database_url = database_url
        self._feed = feed
        self._network = network
        self._policy = policy
        self._seed = seed
        self._folder = folder
        self._replay_s = replay_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="shahr-demo-live", daemon=True)
        self.sent = 0
        """Taps uploaded so far."""

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        with (self._folder / "live.log").open("a", encoding="utf-8") as log:
            try:
                with (
                    StaffClient(self._base_url, self._token) as staff,
                    _Validators(self._base_url, self._network, staff) as validators,
                ):
                    riders = _riders(self._database_url)
                    while not self._stop.is_set():
                        self._feed_day(
                            self._policy.service_date(datetime.now(UTC)), riders, validators, staff, log
                        )
            except Exception:  # the feeder is a show: it must not take the demo down
                log.write(traceback.format_exc())

    def _feed_day(
        self, today: date, riders: _Riders, validators: _Validators, staff: StaffClient, log: TextIO
    ) -> None:
        """Last week's day at once (and closed), then today's up to now quickly, then as its taps come
        due; returns when the service day changes or the feeder stops."""
        before = today - LAST_WEEK
        self.sent += validators.send(self._simulate(before, riders))
        staff.close_service_day(before)
        log.write(f"{datetime.now(UTC):%H:%M:%S} {before}: {self.sent} taps sent, day closed\n")
        taps = self._simulate(today, riders)
        start = service_day_end(self._policy, today - timedelta(days=1))
        began = time.monotonic()
        while not self._stop.is_set() and self._policy.service_date(datetime.now(UTC)) == today:
            now = datetime.now(UTC)
            share = min(1.0, (time.monotonic() - began) / self._replay_s) if self._replay_s else 1.0
            cutoff = (start + (now - start) * share).astimezone(UTC)  # polars compares in the column's zone
            due = taps.filter(pl.col("tapped_at") <= cutoff)
            if len(due):
                self.sent += validators.send(due)
                taps = taps.slice(len(due))
                log.write(f"{now:%H:%M:%S} {today}: {self.sent} taps sent, up to {due['tapped_at'][-1]}\n")
                log.flush()
            self._stop.wait(TICK_S)

    def _simulate(self, day: date, riders: _Riders) -> pl.DataFrame:
        """A simulated day of the demo's riders, in time order, each tap under a demo card of its rider's
        category; a seed of its own for each day, so that no two days are the same."""
        out = self._folder / f"live-{day.isoformat()}.parquet"
        seed = self._seed + day.toordinal() % 1_000
        simulate_taps(
            self._feed,
            SimulationOptions(cards=riders.count, service_date=day, seed=seed),
            out,
            feed_name="live",
        )
        taps = pl.read_parquet(out).sort("tapped_at", "card_id", "seq")
        cards = taps.unique("card_id").sort("card_id")
        issued = {
            sim_id: riders.next_card(category)
            for sim_id, category in zip(cards["card_id"], cards["rider_category"], strict=True)
        }
        return taps.with_columns(pl.col("card_id").replace_strict(issued, return_dtype=pl.String))


class _Riders:
    """The demo's active cards by rider category, dealt out in turn."""

    def __init__(self, cards: Sequence[tuple[str, str]]) -> None:
        if not cards:
            raise RuntimeError("the demo database has no active card to ride with")
        self.count = len(cards)
        by_category: dict[str, list[str]] = {}
        for card_id, category in cards:
            by_category.setdefault(category, []).append(card_id)
        self._cycles: dict[str, Iterator[str]] = {c: itertools.cycle(ids) for c, ids in by_category.items()}
        self._any = itertools.cycle([card_id for card_id, _ in cards])

    def next_card(self, category: str) -> str:
        return next(self._cycles.get(category, self._any))


def _riders(database_url: str) -> _Riders:
    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as session:
            query = select(Card.id, Card.rider_category).where(Card.status == CardStatus.ACTIVE)
            return _Riders([(c, r) for c, r in session.execute(query.order_by(Card.created_at, Card.id))])
    finally:
        engine.dispose()


class _Validators:
    """One validator per operator, registered on first use, numbering its taps as a device does."""

    def __init__(self, base_url: str, network: Network, staff: StaffClient) -> None:
        self._base_url = base_url
        self._network = network
        self._staff = staff
        self._clients = ExitStack()
        self._devices: dict[str, DeviceClient] = {}
        self._seq: dict[str, int] = {}

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self._clients.close()

    def send(self, taps: pl.DataFrame) -> int:
        """Upload the taps, each by its operator's validator; how many were sent."""
        by_operator: dict[str, list[dict[str, Any]]] = {}
        for row in taps.iter_rows(named=True):
            operator = device_operator(self._network, row["stop_id"], row["route_id"])
            by_operator.setdefault(operator, []).append(self._tap(operator, row))
        for operator, rows in by_operator.items():
            device = self._device(operator)
            for first in range(0, len(rows), BATCH_TAPS):
                device.send_batch(rows[first : first + BATCH_TAPS])
        return len(taps)

    def _tap(self, operator: str, row: Mapping[str, Any]) -> dict[str, Any]:
        self._seq[operator] = self._seq.get(operator, 0) + 1
        fields = ("card_id", "kind", "tapped_at", "stop_id", "route_id", "trip_id", "medium")
        return {"seq": self._seq[operator], **{name: row[name] for name in fields}}

    def _device(self, operator: str) -> DeviceClient:
        if operator not in self._devices:
            device_id = f"live-{operator}"
            secret = self._staff.register_device(device_id, operator)
            self._devices[operator] = self._clients.enter_context(
                DeviceClient(self._base_url, device_id, secret)
            )
        return self._devices[operator]
