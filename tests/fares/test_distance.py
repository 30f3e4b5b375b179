"""Distance surcharge on seoul-2025: base distance 10 km (30 km with a wide-area bus), +100 per 5 km or
part of it to 50 km, +100 per 8 km or part beyond; youth 80 a step, children 50."""

from __future__ import annotations

import pytest

from shahr.fares.load import load_policy
from shahr.fares.rules.distance import surcharge
from tests.factories import trip

SEOUL = load_policy("seoul-2025").versions[-1]


@pytest.mark.parametrize(
    ("km", "expected"),
    [
        ("10.0", 1550),  # within the base distance: 1,550 + 0
        ("10.1", 1650),  # 0.1 km past 10 is a part of a step: 1 x 100
        ("15.0", 1650),  # 5.0 km past 10: exactly 1 step
        ("15.1", 1750),  # 5.1 km past 10: 2 steps (one whole, one part)
        ("50.0", 2350),  # 40 km / 5 = 8 steps: 1,550 + 800
        ("50.1", 2450),  # 8 steps + 0.1 km in the 8 km band = 9 steps: 1,550 + 900
    ],
)
def test_subway_alone_edge_distances_adult(km: str, expected: int) -> None:
    assert trip().subway(km).quote().total_minor == expected


@pytest.mark.parametrize(
    ("rider", "km", "expected"),
    [
        ("youth", "15.1", 1060),  # 900 + 2 steps x 80
        ("child", "50.1", 1000),  # 550 + 9 steps x 50
        ("youth", "10.0", 900),  # base only
    ],
)
def test_subway_alone_other_categories(rider: str, km: str, expected: int) -> None:
    assert trip().subway(km).quote(rider=rider).total_minor == expected


def test_surcharge_rule_reports_steps_per_band() -> None:
    # 66.0 km: band 1 covers 10-50 km, 40/5 = 8 steps; band 2 covers 50-66 km, 16/8 = 2 steps: 10 x 100.
    amount, steps = surcharge(66_000, 10_000, SEOUL.distance_bands, "adult")
    assert amount == 1000
    assert [(s.from_m, s.to_m, s.steps) for s in steps] == [(10_000, 50_000, 8), (50_000, 66_000, 2)]


def test_surcharge_at_base_distance_is_nothing() -> None:
    assert surcharge(10_000, 10_000, SEOUL.distance_bands, "adult") == (0, ())
    assert surcharge(0, 10_000, SEOUL.distance_bands, "adult") == (0, ())


@pytest.mark.parametrize(
    ("km", "expected"),
    [
        ("30.0", 3000),  # wide-area base distance is 30 km
        ("30.1", 3100),  # one part step
        ("50.0", 3400),  # 20 km / 5 = 4 steps from 30 to 50
        ("50.1", 3500),  # 4 steps + 1 part step of the 8 km band
    ],
)
def test_wide_area_bus_has_a_30_km_base(km: str, expected: int) -> None:
    assert trip().ride("wide-area", km).quote().total_minor == expected


def test_city_bus_alone_is_flat_whatever_the_distance() -> None:
    # A single city bus ride with no transfer pays its base fare only.
    assert trip().bus(25).quote().total_minor == 1500
    assert trip().ride("village", 40).quote().total_minor == 1200


def test_wide_area_base_distance_applies_to_the_whole_journey() -> None:
    # trunk 20 km then wide-area 15 km: base max(1,500, 3,000) = 3,000; 35 km total past 30 km:
    # 5 km / 5 = 1 step = 100. Total 3,100.
    assert trip().bus(20).ride("wide-area", 15).quote().total_minor == 3100
