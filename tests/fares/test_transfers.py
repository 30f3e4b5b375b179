"""Integration on seoul-2025: chaining legs into journeys, the highest base fare, windows by time of day,
at most 4 transfers, same-route re-boarding, media without transfers."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from shahr.fares.engine import FareEngine
from shahr.fares.load import load_policy
from shahr.fares.model import Tap, TapKind
from shahr.fares.quote import QuoteNetwork
from tests.factories import DAY, SEOUL, trip


@pytest.mark.parametrize(
    ("rider", "expected"),
    [
        # trunk 4 km then subway 9 km, 13 km in all: highest base + 1 step (3 km past 10 km).
        ("adult", 1650),  # max(1,500, 1,550) + 100
        ("youth", 980),  # max(900, 900) + 80
        ("child", 600),  # max(550, 550) + 50
    ],
)
def test_bus_then_subway_by_rider_category(rider: str, expected: int) -> None:
    rating = trip().bus(4).subway(9).quote(rider=rider)
    assert len(rating.journeys) == 1
    assert rating.total_minor == expected


def test_charges_at_each_tap_follow_the_validator() -> None:
    # Tap on trunk: its base 1,500. Tap off after 4 km: nothing (within the base distance).
    # Tap on subway: the difference to the higher base, 1,550 - 1,500 = 50. Tap off at 13 km: 1 step, 100.
    rating = trip().bus(4).subway(9).quote()
    assert rating.charges_minor == (1500, 0, 50, 100, 0)


def _two_legs_with_gap(board_first: str, gap: timedelta) -> int:
    """trunk 5 km for 10 minutes, then subway 5 km boarded `gap` after the trunk tap-off."""
    policy = load_policy("seoul-2025")
    start = datetime.fromisoformat(f"{DAY.isoformat()}T{board_first}").replace(tzinfo=SEOUL)
    off = start + timedelta(minutes=10)
    on = off + gap
    network = QuoteNetwork({"q1": 5000, "q2": 5000}, {"r1", "r2"})
    taps = [
        Tap(TapKind.ON, start, "q1:on", "r1", mode="trunk"),
        Tap(TapKind.OFF, off, "q1:off", "r1", mode="trunk"),
        Tap(TapKind.ON, on, "q2:on", "r2", mode="subway"),
        Tap(TapKind.OFF, on + timedelta(minutes=10), "q2:off", "r2", mode="subway"),
    ]
    return FareEngine(policy, network).rate(taps).total_minor


def test_day_gap_of_exactly_30_minutes_is_a_transfer() -> None:
    # One journey: max(1,500, 1,550) = 1,550; 10 km total is within the base.
    assert _two_legs_with_gap("08:00:00", timedelta(minutes=30)) == 1550


def test_day_gap_just_over_30_minutes_starts_a_new_journey() -> None:
    # 30 min 1 s: two journeys, trunk alone 1,500 + subway alone (5 km) 1,550 = 3,050.
    assert _two_legs_with_gap("08:00:00", timedelta(minutes=30, seconds=1)) == 3050


def test_night_gap_of_45_minutes_is_a_transfer() -> None:
    # Boarding at 22:55 is inside 21:00-07:00: the window is 60 minutes. One journey: 1,550.
    assert _two_legs_with_gap("22:00:00", timedelta(minutes=45)) == 1550


def test_night_gap_just_over_60_minutes_starts_a_new_journey() -> None:
    # 60 min 1 s at night: 1,500 + 1,550 = 3,050.
    assert _two_legs_with_gap("22:00:00", timedelta(minutes=60, seconds=1)) == 3050


def test_window_is_chosen_by_the_boarding_time() -> None:
    # Tap-off 20:40, boarding 21:15 (35 min): the boarding is in the night band, 60 min: one journey.
    assert _two_legs_with_gap("20:30:00", timedelta(minutes=35)) == 1550


def test_sixth_boarding_starts_a_new_journey() -> None:
    # Six trunk legs of 1 km on different routes, 5 minutes apart. The first five (4 transfers) are one
    # journey: 1,500 + nothing for 5 km. The sixth pays a new base fare: 1,500. Total 3,000.
    builder = trip()
    for i in range(6):
        builder.bus(1, minutes=5, route=f"r{i}")
    rating = builder.quote()
    assert [len(j.legs) for j in rating.journeys] == [5, 1]
    assert rating.total_minor == 3000


def test_reboarding_the_same_route_starts_a_new_journey() -> None:
    # trunk 100 then trunk 100 again: 1,500 + 1,500. On another route it is a transfer: 1,500 for 6 km.
    assert trip().bus(3, route="100").bus(3, route="100").quote().total_minor == 3000
    assert trip().bus(3, route="100").bus(3, route="101").quote().total_minor == 1500


def test_subway_then_subway_via_the_street_is_not_a_transfer() -> None:
    # The subway is one route: leaving and entering again elsewhere pays again (5 km each: 1,550 x 2).
    assert trip().subway(5).subway(5).quote().total_minor == 3100


def test_subway_bus_subway_is_one_journey() -> None:
    # subway 6 + trunk 3 + subway 6 = 15 km: 1,550 + 1 step (5 km past 10) = 1,650.
    assert trip().subway(6).bus(3).subway(6).quote().total_minor == 1650


def test_cash_gets_no_transfer() -> None:
    # Cash trunk 1,500 then cash subway single ticket 1,650 (5 km, within the base): 3,150.
    rating = trip().bus(4).subway(5).quote(medium="cash")
    assert len(rating.journeys) == 2
    assert rating.total_minor == 3150


def test_transfer_discount_is_explained() -> None:
    # trunk 4 + subway 9: alone 1,500 + 1,550 = 3,050; together 1,650: discount 1,400.
    journey = trip().bus(4).subway(9).quote().journeys[0]
    assert journey.explanation.standalone_minor == 3050
    assert journey.explanation.transfer_discount_minor == 1400
    assert journey.explanation.base_mode == "subway"
