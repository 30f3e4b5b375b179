"""Caps and passes as pure arithmetic: limits on a card-day, the day's charge, its split over journeys,
and months in the Jalali calendar."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shahr.fares.capping import HeldPass, Limit, cap_day, limits, month_of, split_charge
from shahr.fares.load import Policy


@pytest.mark.parametrize(
    ("day", "first", "last"),
    [
        # 13 Mehr 1404 -> Mehr runs 1 Mehr (23 Sep 2025) to 30 Mehr (22 Oct 2025): months 7-11 have 30 days.
        (date(2025, 10, 5), date(2025, 9, 23), date(2025, 10, 22)),
        # 1 Aban 1404 is 23 Oct 2025: the first day of the next month.
        (date(2025, 10, 23), date(2025, 10, 23), date(2025, 11, 21)),
        # 31 Shahrivar 1404 (22 Sep 2025): months 1-6 have 31 days; Shahrivar began 23 Aug 2025.
        (date(2025, 9, 22), date(2025, 8, 23), date(2025, 9, 22)),
        # Esfand 1403 begins 19 Feb 2025; 1403 is a leap year, so Esfand has 30 days and ends 20 Mar 2025
        # (1 Farvardin 1404 is 21 Mar 2025).
        (date(2025, 3, 1), date(2025, 2, 19), date(2025, 3, 20)),
    ],
)
def test_jalali_months(day: date, first: date, last: date) -> None:
    assert month_of(day, "jalali") == (first, last)


def test_gregorian_months_end_on_their_last_day() -> None:
    assert month_of(date(2024, 2, 10), "gregorian") == (date(2024, 2, 1), date(2024, 2, 29))
    assert month_of(date(2025, 12, 31), "gregorian") == (date(2025, 12, 1), date(2025, 12, 31))


def test_limits_of_an_adult_card_day(mashhad_distance: Policy) -> None:
    tariff = mashhad_distance.version_for(date(2025, 10, 5))
    monthly_pass = HeldPass(
        "30-day pass, postpaid", "postpaid", date(2025, 10, 1), date(2025, 10, 30), 800_000
    )
    found = limits(
        tariff, "adult", date(2025, 10, 5), paid_in_month_before=990_000, passes=[(monthly_pass, 790_000)]
    )
    # daily 60,000; monthly 1,000,000 - 990,000 = 10,000; postpaid pass 800,000 - 790,000 = 10,000.
    assert found == [
        Limit("daily cap", 60_000),
        Limit("monthly cap", 10_000),
        Limit("30-day pass, postpaid", 10_000),
    ]
    # The first of equally tight limits names the cap.
    assert cap_day(25_000, found).binding == Limit("monthly cap", 10_000)


def test_a_prepaid_pass_allows_nothing_and_a_pass_outside_its_days_nothing_at_all(
    mashhad_distance: Policy,
) -> None:
    tariff = mashhad_distance.version_for(date(2025, 10, 5))
    day_pass = HeldPass("1-day pass", "prepaid", date(2025, 10, 5), date(2025, 10, 5), 50_000)
    on_day = limits(tariff, "child", date(2025, 10, 5), paid_in_month_before=0, passes=[(day_pass, 0)])
    next_day = limits(tariff, "child", date(2025, 10, 6), paid_in_month_before=0, passes=[(day_pass, 0)])
    # child: daily cap 18,000, monthly cap 300,000.
    assert on_day == [Limit("daily cap", 18_000), Limit("monthly cap", 300_000), Limit("1-day pass", 0)]
    assert next_day == [Limit("daily cap", 18_000), Limit("monthly cap", 300_000)]
    capped = cap_day(14_000, on_day)
    assert (capped.charged_minor, capped.saved_minor) == (0, 14_000)


def test_a_day_within_its_limits_pays_its_fares() -> None:
    capped = cap_day(40_000, [Limit("daily cap", 60_000)])
    assert (capped.charged_minor, capped.binding) == (40_000, None)
    assert cap_day(40_000, []).charged_minor == 40_000


def test_the_charge_is_split_over_journeys_in_order() -> None:
    # 22,000 + 20,000 + 20,000 = 62,000 capped at 60,000: the third journey pays 18,000, a fourth nothing.
    assert split_charge([22_000, 20_000, 20_000, 20_000], 60_000) == [22_000, 20_000, 18_000, 0]
    assert split_charge([], 0) == []


@given(
    fares=st.lists(st.integers(0, 100_000), max_size=8),
    allowances=st.lists(st.integers(0, 300_000), max_size=4),
)
def test_a_capped_day_never_pays_more_than_its_fares_or_any_limit(
    fares: list[int], allowances: list[int]
) -> None:
    day_limits = [Limit(f"limit {i}", a) for i, a in enumerate(allowances)]
    capped = cap_day(sum(fares), day_limits)
    assert 0 <= capped.charged_minor <= sum(fares)
    assert all(capped.charged_minor <= a for a in allowances)
    assert capped.charged_minor == min([sum(fares), *allowances])
    parts = split_charge(fares, capped.charged_minor)
    assert sum(parts) == capped.charged_minor
    assert all(0 <= part <= fare for part, fare in zip(parts, fares, strict=True))


@given(steps=st.lists(st.integers(0, 50_000), max_size=10), allowance=st.integers(0, 200_000))
def test_capping_a_rising_total_never_refunds(steps: list[int], allowance: int) -> None:
    """A validator caps the running total tap by tap: each tap's charge is the rise of the capped total."""
    running = 0
    charged = []
    for step in steps:
        before = cap_day(running, [Limit("cap", allowance)]).charged_minor
        running += step
        charged.append(cap_day(running, [Limit("cap", allowance)]).charged_minor - before)
    assert all(charge >= 0 for charge in charged)
    assert sum(charged) == min(sum(steps), allowance)
