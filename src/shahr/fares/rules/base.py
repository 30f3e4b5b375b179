"""Base fares: a mode's fare for a medium and rider category, adjusted by time-of-day rules
(Seoul's early-bird: 20% off the first boarding of a journey before 06:30, card only), and free rides."""

from __future__ import annotations

from datetime import time

from shahr.fares.policy import Tariff, TimeRule
from shahr.fares.rules.timebands import in_band


def is_free(tariff: Tariff, mode: str, category: str) -> bool:
    """Whether this rider category rides this mode free (Seoul: seniors on the subway)."""
    return any(mode in f.modes and category in f.categories for f in tariff.free_rides)


def base_fare(
    tariff: Tariff, mode: str, medium: str, category: str, boarded: time, *, first: bool
) -> tuple[int, tuple[str, ...]]:
    """A leg's base fare and the ids of the time rules applied; `first` is the journey's first boarding."""
    amount = tariff.modes[mode].base_fare[medium][category]
    applied: list[str] = []
    for rule in tariff.time_rules:
        if _applies(rule, mode, medium, category, boarded, first=first):
            amount = _adjust(amount, rule.percent)
            applied.append(rule.id)
    return amount, tuple(applied)


def _applies(rule: TimeRule, mode: str, medium: str, category: str, boarded: time, *, first: bool) -> bool:
    return (
        (first or rule.applies_to == "every_boarding")
        and in_band(boarded, rule.start, rule.end)
        and (not rule.modes or mode in rule.modes)
        and (not rule.media or medium in rule.media)
        and (not rule.categories or category in rule.categories)
    )


def _adjust(amount: int, percent: int) -> int:
    """amount x (100 + percent) / 100, rounded half up to a whole minor unit."""
    return (amount * (100 + percent) * 2 + 100) // 200
