"""Base fares on seoul-2025: media, early bird, free riders, the cap, and effective dates."""

from __future__ import annotations

from datetime import date

from shahr.fares.load import load_policy, parse_policy
from tests.factories import trip


def test_early_bird_takes_20_percent_off_the_first_boarding() -> None:
    # Subway 12 km boarded 06:10 by adult card: 1,550 x 0.8 = 1,240, + 1 step (2 km past 10) = 1,340.
    rating = trip("06:10").subway(12).quote()
    assert rating.total_minor == 1340
    assert rating.journeys[0].explanation.time_rules == ("early-bird",)


def test_early_bird_ends_at_0630() -> None:
    # Boarded 06:30: no discount, 1,550 + 100.
    assert trip("06:30").subway(12).quote().total_minor == 1650


def test_early_bird_is_for_adult_cards_only() -> None:
    assert trip("06:10").subway(12).quote(rider="youth").total_minor == 980  # 900 + 80
    assert trip("06:10").subway(12).quote(medium="cash").total_minor == 1750  # 1,650 + 100


def test_early_bird_then_a_higher_base_pays_the_difference() -> None:
    # Subway 06:10 (1,240), transfer to trunk at 06:25: base max(1,240, 1,500) = 1,500; 8 km: no steps.
    rating = trip("06:10").subway(5, minutes=10).bus(3, minutes=10).quote()
    assert rating.total_minor == 1500
    assert rating.charges_minor == (1240, 0, 260, 0, 0)


def test_senior_rides_the_subway_free() -> None:
    rating = trip().subway(20).quote(rider="senior")
    assert rating.total_minor == 0
    assert rating.journeys[0].explanation.rules == ("free_ride",)


def test_senior_pays_adult_fare_on_buses() -> None:
    assert trip().bus(5).quote(rider="senior").total_minor == 1500


def test_free_subway_leg_stands_apart_from_bus_legs() -> None:
    # Senior: trunk 5 km (1,500), then the subway free (a journey of its own at 0).
    rating = trip().bus(5).subway(20).quote(rider="senior")
    assert [j.fare_minor for j in rating.journeys] == [1500, 0]


def test_cap_at_the_sum_of_the_legs_own_fares() -> None:
    # Child, trunk 100 km + trunk 100 km on two routes. Uncapped: 550 + 8 steps (10-50 km) + 19 steps
    # (150 km / 8 = 18.75 -> 19) = 550 + 27 x 50 = 1,900. Alone each is flat 550: cap 1,100.
    rating = trip().bus(100, minutes=120).bus(100, minutes=120).quote(rider="child")
    assert rating.total_minor == 1100
    assert rating.journeys[0].explanation.capped


def test_cap_counts_a_subway_leg_with_its_own_distance() -> None:
    # Adult subway 60 km: alone 1,550 + 8 + 2 steps (10 km / 8 -> 2) = 2,550. Then trunk 40 km: journey
    # 100 km = 1,550 + 8 + 7 steps (50 km / 8 -> 7) = 3,050; cap 2,550 + 1,500 = 4,050 does not bind.
    rating = trip().subway(60, minutes=60).bus(40, minutes=60).quote()
    assert rating.total_minor == 3050
    assert not rating.journeys[0].explanation.capped


def test_version_in_force_is_picked_by_service_date() -> None:
    flat = load_policy("mashhad-flat")
    # 1403 (from 2024-03-20): 15,000 a boarding; 1404 (from 2025-03-21): 20,000.
    assert trip("09:00", date(2024, 9, 1)).ride("bus", 3).quote(flat).total_minor == 15000
    assert trip("09:00", date(2025, 9, 1)).ride("bus", 3).quote(flat).total_minor == 20000


def test_service_day_starts_at_0400() -> None:
    flat = load_policy("mashhad-flat")
    # 02:00 on 2025-03-21 belongs to the service day of 2025-03-20: still 15,000.
    assert trip("02:00", date(2025, 3, 21)).ride("bus", 3).quote(flat).total_minor == 15000
    assert trip("04:00", date(2025, 3, 21)).ride("bus", 3).quote(flat).total_minor == 20000


def test_night_surcharge_rule_from_a_policy_file() -> None:
    # A policy may add 50% to every boarding from 23:00 to 05:00: 1,000 -> 1,500.
    text = """
id = "night-test"
name = "night"
currency = "IRR"
timezone = "Asia/Tehran"
effective_from = 2025-01-01
rider_categories = ["adult"]
media = ["card"]
[integration]
max_transfers = 0
[[time_rules]]
id = "night"
start = 23:00:00
end = 05:00:00
percent = 50
applies_to = "every_boarding"
[mode_mapping]
default = "bus"
[modes.bus]
name = "Bus"
base_fare = { card = { adult = 1000 } }
"""
    policy = parse_policy(text)
    assert trip("23:30").ride("bus", 3).quote(policy).total_minor == 1500
    assert trip("22:30").ride("bus", 3).quote(policy).total_minor == 1000
