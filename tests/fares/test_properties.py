"""Properties of the fare engine over generated journeys and tap sequences (hypothesis)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from shahr.fares.engine import FareEngine, Rating
from shahr.fares.load import Policy, load_policy
from shahr.fares.model import Tap, TapKind
from shahr.fares.pricing import price_journey
from shahr.fares.quote import QuoteLeg, quote
from tests.factories import DAY, TEHRAN, LineNetwork

POLICIES = {name: load_policy(name) for name in ("seoul-2025", "mashhad-distance", "mashhad-flat")}


@st.composite
def stated_journeys(draw: st.DrawFn, policy: Policy) -> tuple[list[QuoteLeg], str, str]:
    tariff = policy.versions[-1]
    start = datetime.combine(DAY, datetime.min.time()) + timedelta(minutes=draw(st.integers(0, 24 * 60 - 1)))
    legs = []
    clock = start
    for i in range(draw(st.integers(1, 8))):
        if i:
            clock += timedelta(minutes=draw(st.integers(0, 90)))
        board = clock
        clock += timedelta(minutes=draw(st.integers(1, 120)))
        legs.append(
            QuoteLeg(
                mode=draw(st.sampled_from(sorted(tariff.modes))),
                distance_m=draw(st.integers(0, 150_000)),
                board=board.time(),
                alight=clock.time(),
                route_id=draw(st.sampled_from([None, "r1", "r2"])),
            )
        )
    rider = draw(st.sampled_from(tariff.rider_categories))
    medium = draw(st.sampled_from(tariff.media))
    return legs, rider, medium


def _alone(policy: Policy, rating: Rating, legs: list[QuoteLeg], rider: str, medium: str) -> list[int]:
    """Each journey's legs charged as separate journeys, on the day each leg was boarded."""
    totals = []
    for journey in rating.journeys:
        total = 0
        for leg in journey.legs:
            index = int(leg.board.stop_id.removeprefix("q").removesuffix(":on")) - 1
            day = leg.board.time.astimezone(policy.tz).date()
            total += quote(policy, [legs[index]], rider=rider, medium=medium, day=day).total_minor
        totals.append(total)
    return totals


@given(
    st.sampled_from(sorted(POLICIES)).flatmap(
        lambda name: st.tuples(st.just(name), stated_journeys(POLICIES[name]))
    )
)
def test_journey_never_costs_more_than_its_legs_alone(
    case: tuple[str, tuple[list[QuoteLeg], str, str]],
) -> None:
    name, (legs, rider, medium) = case
    policy = POLICIES[name]
    rating = quote(policy, legs, rider=rider, medium=medium, day=DAY)
    for journey, alone in zip(rating.journeys, _alone(policy, rating, legs, rider, medium), strict=True):
        assert journey.fare_minor <= alone


@given(
    st.sampled_from(sorted(POLICIES)).flatmap(
        lambda name: st.tuples(st.just(name), stated_journeys(POLICIES[name]))
    )
)
def test_charges_are_never_negative_and_add_up_to_the_fares(
    case: tuple[str, tuple[list[QuoteLeg], str, str]],
) -> None:
    name, (legs, rider, medium) = case
    policy = POLICIES[name]
    rating = quote(policy, legs, rider=rider, medium=medium, day=DAY)
    assert all(charge >= 0 for charge in rating.charges_minor)
    assert sum(rating.charges_minor) == rating.total_minor
    for journey in rating.journeys:
        # Batch: the fare priced afresh from the journey's final legs is the fare the taps collected.
        tariff = policy.version_for(policy.service_date(journey.start))
        fresh, _ = price_journey(policy, tariff, journey.legs)
        assert journey.fare_minor == fresh


@given(stated_journeys(POLICIES["mashhad-flat"]))
def test_flat_policy_charges_boardings_times_the_fare(case: tuple[list[QuoteLeg], str, str]) -> None:
    legs, rider, medium = case
    rating = quote(POLICIES["mashhad-flat"], legs, rider=rider, medium=medium, day=date(2025, 9, 1))
    assert rating.total_minor == 20000 * len(legs)


NET = LineNetwork(
    rail={"s0": 0, "s4": 4, "s11": 11, "s27": 27},
    routes={
        "T01": {"a0": 0, "a3": 3, "a9": 9},
        "BRT1": {"c0": 0, "c6": 6, "c15": 15},
        "F01": {"d0": 0, "d2": 2},
    },
)
STOPS = {
    "RAIL": ["s0", "s4", "s11", "s27"],
    "T01": ["a0", "a3", "a9"],
    "BRT1": ["c0", "c6", "c15"],
    "F01": ["d0", "d2"],
}


@st.composite
def tap_sequences(draw: st.DrawFn) -> list[Tap]:
    """Raw taps with every kind of trouble: missing and orphan taps, duplicates, clock skew, bad stops."""
    clock = datetime.combine(DAY, datetime.min.time(), tzinfo=TEHRAN) + timedelta(
        hours=draw(st.integers(4, 23))
    )
    taps = []
    for i in range(draw(st.integers(1, 14))):
        clock += timedelta(seconds=draw(st.integers(-120, 3600)))
        route = draw(st.sampled_from(sorted(STOPS)))
        stop = draw(st.sampled_from([*STOPS[route], "zz"]))
        kind = draw(st.sampled_from(list(TapKind)))
        taps.append(Tap(kind, clock, stop, None if route == "RAIL" else route, tap_id=f"t{i}"))
    return taps


@given(st.sampled_from(sorted(POLICIES)), tap_sequences())
def test_every_tap_is_charged_once_or_named_by_an_anomaly(name: str, taps: list[Tap]) -> None:
    rating = FareEngine(POLICIES[name], NET).rate(taps)
    assert all(charge >= 0 for charge in rating.charges_minor)
    assert sum(rating.charges_minor) == rating.total_minor
    # No tap is used by two legs (a penalty leg for an orphan tap-off uses its one tap as both ends).
    in_legs = [
        tap_id for j in rating.journeys for leg in j.legs for tap_id in _tap_ids(leg.board, leg.alight)
    ]
    assert len(in_legs) == len(set(in_legs))
    named = {a.tap.tap_id for a in rating.anomalies}
    assert {t.tap_id for t in taps} <= set(in_legs) | named


def _tap_ids(board: Tap, alight: Tap | None) -> set[str | None]:
    return {board.tap_id} | ({alight.tap_id} if alight is not None else set())
