"""Property: whatever batches the devices send (any subset of their taps, repeated, in any order, the day
closed at any point), each card ends up charged exactly `FareEngine.rate` of its taps in time order (within
the daily cap), the
ledger balances and each (device_id, seq) is stored once. SQLite in memory, a fresh database per example."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from shahr.backoffice import cards, ledger
from shahr.backoffice.ingest import ingest_batch
from shahr.backoffice.rating import close_service_day
from shahr.backoffice.taps import TapIn, TapRecord
from shahr.db import Base, make_engine, session_factory
from shahr.fares.engine import FareEngine
from shahr.fares.load import Policy
from shahr.fares.model import Tap
from shahr.network import Network
from tests.backoffice.test_ingest import DAY, at

# (card, device, seq, kind, local time, stop, route): two cards' days with transfers, late exits, a
# duplicate tap, an unknown stop, a tap after midnight (still the same service day) and a malformed tap.
POOL: tuple[tuple[int, str, int, str, str, str, str | None], ...] = (
    (0, "gate-vak", 1, "on", "07:30", "st_vakilabad", None),
    (0, "gate-vak", 2, "on", "07:31", "st_vakilabad", None),  # within 60 s: refused as a duplicate
    (0, "gate-air", 1, "off", "08:20", "st_airport", None),
    (0, "bus-12", 1, "on", "08:40", "b_airport", "T07"),
    (0, "bus-12", 2, "off", "09:10", "b_haram", "T07"),
    (0, "bus-12", 3, "on", "11:00", "b_nowhere", "T01"),  # unknown stop
    (1, "gate-kow", 1, "on", "07:45", "st_kowsar", None),
    (1, "gate-sha", 1, "off", "08:05", "st_shariati", None),
    (1, "bus-17", 1, "on", "08:12", "b_shariati", "T01"),
    (1, "bus-17", 2, "off", "08:25", "b_haram", "T01"),
    (1, "gate-kow", 2, "on", "01:30", "st_kowsar", None),  # 01:30 on the 6th: the 5th's service day
    (1, "gate-sha", 2, "sideways", "08:30", "st_shariati", None),  # malformed kind
)
AFTER_MIDNIGHT = date(2025, 10, 6)
CLOSE_AT = datetime.fromisoformat(at("04:00", AFTER_MIDNIGHT))
"""Every upload arrives then too: after the last tap, so none is from the future."""


def payload(index: int, card_ids: list[str]) -> dict[str, Any]:
    card, _, seq, kind, clock, stop, route = POOL[index]
    day = AFTER_MIDNIGHT if clock < "04:00" else DAY
    raw: dict[str, Any] = {"seq": seq, "card_id": card_ids[card], "kind": kind, "tapped_at": at(clock, day)}
    return raw | {"stop_id": stop} | ({"route_id": route} if route else {})


@st.composite
def uploads(draw: st.DrawFn) -> tuple[list[list[int]], int | None]:
    """Batches of pool indices (repeats and any order allowed) and after which batch the day closes."""
    batches = draw(st.lists(st.lists(st.sampled_from(range(len(POOL))), min_size=1, max_size=8), max_size=6))
    close_after = draw(st.none() | st.integers(0, max(len(batches) - 1, 0)))
    return batches, close_after


@contextmanager
def fresh_database() -> Iterator[Session]:
    engine = make_engine("sqlite://", poolclass=StaticPool)
    Base.metadata.create_all(engine)
    try:
        with session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


@settings(max_examples=50, deadline=None)
@given(plan=uploads())
def test_fares_booked_equal_the_engine_rating_whatever_the_uploads(
    plan: tuple[list[list[int]], int | None], mashhad_distance: Policy, mashhad_network: Network
) -> None:
    batches, close_after = plan
    rules = {"policy": mashhad_distance, "network": mashhad_network}
    with fresh_database() as session:
        card_ids = [cards.create_card(session, "adult").id for _ in range(2)]
        for number, batch in enumerate(batches):
            devices = sorted({POOL[i][1] for i in batch})
            for device in devices:  # a batch comes from one device
                taps = [payload(i, card_ids) for i in batch if POOL[i][1] == device]
                ingest_batch(session, device, taps, now=CLOSE_AT, **rules)
            if number == close_after:
                close_service_day(session, DAY, now=CLOSE_AT, **rules)
        close_service_day(session, DAY, now=CLOSE_AT, **rules)

        sent = sorted({i for batch in batches for i in batch})
        engine = FareEngine(mashhad_distance, mashhad_network)
        for card, card_id in enumerate(card_ids):
            ordered = sorted(
                (i for i in sent if POOL[i][0] == card and POOL[i][3] != "sideways"),
                key=lambda i: (payload(i, card_ids)["tapped_at"], POOL[i][1], POOL[i][2]),
            )
            rating = engine.rate([engine_tap(payload(i, card_ids)) for i in ordered])
            assert rating.total_minor == sum(rating.charges_minor)
            # The day pays its fares up to the adult daily cap (60,000 rials in mashhad-distance).
            daily_cap = mashhad_distance.version_for(DAY).caps.daily["adult"]
            assert -ledger.balance(session, f"card:{card_id}") == min(rating.total_minor, daily_cap)
        assert session.scalar(select(func.count()).select_from(TapRecord)) == len(sent)
        assert ledger.is_balanced(session)


def engine_tap(raw: dict[str, Any]) -> Tap:
    tap = TapIn.model_validate(raw)
    return Tap(tap.kind, tap.tapped_at, tap.stop_id, tap.route_id)
