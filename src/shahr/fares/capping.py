"""Fare caps and passes: how much of a card-day's fares the card actually pays.

The engine prices journeys; caps and passes then limit what a card pays over a period. Each one is a
`Limit` on the card-day: what may still be charged that day under it (a daily cap: the cap; a monthly
cap: the cap less what the month's earlier days paid; a prepaid pass: nothing; a postpaid pass: its
price less what its earlier days paid). The day pays its fares up to the tightest limit. Taking the
minimum of a rising total keeps charges monotone, so a validator applying the same limits tap by tap
never refunds. Pure: the back office supplies the amounts paid and the passes held.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import jdatetime  # type: ignore[import-untyped]

from shahr.fares.policy import PassProduct, Tariff

Calendar = Literal["jalali", "gregorian"]


@dataclass(frozen=True, slots=True)
class Limit:
    """What a card-day may still be charged under one cap or pass; `product` names it for riders."""

    product: str
    allowance_minor: int


@dataclass(frozen=True, slots=True)
class HeldPass:
    """A pass on a card for its days, `first_day` to `last_day` inclusive, at the price it was sold at
    (a later change of the product's price does not change passes already held)."""

    name: str
    payment: Literal["prepaid", "postpaid"]
    first_day: date
    last_day: date
    price_minor: int

    @classmethod
    def of(cls, product: PassProduct, first_day: date, price_minor: int) -> HeldPass:
        return cls(
            product.name,
            product.payment,
            first_day,
            first_day + timedelta(days=product.days - 1),
            price_minor,
        )

    def covers(self, service_date: date) -> bool:
        return self.first_day <= service_date <= self.last_day


@dataclass(frozen=True, slots=True)
class Capped:
    """A card-day's fares before and after its limits, and the limit that bound (None: none did)."""

    fares_minor: int
    charged_minor: int
    binding: Limit | None

    @property
    def saved_minor(self) -> int:
        return self.fares_minor - self.charged_minor


def month_of(service_date: date, calendar: Calendar) -> tuple[date, date]:
    """The first and last service date of the month `service_date` falls in (Jalali or Gregorian)."""
    if calendar == "gregorian":
        first = service_date.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return first, following - timedelta(days=1)
    local = jdatetime.date.fromgregorian(date=service_date)
    first_j = jdatetime.date(local.year, local.month, 1)
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    following_j = jdatetime.date(year, month, 1)
    first = first_j.togregorian()
    return first, following_j.togregorian() - timedelta(days=1)


def limits(
    tariff: Tariff,
    rider_category: str,
    service_date: date,
    *,
    paid_in_month_before: int,
    passes: Iterable[tuple[HeldPass, int]] = (),
) -> list[Limit]:
    """The limits on one card-day. `paid_in_month_before`: what the month's earlier days were charged;
    `passes`: each pass held with what its earlier days were charged (used by postpaid passes)."""
    found: list[Limit] = []
    daily = tariff.caps.daily.get(rider_category)
    if daily is not None:
        found.append(Limit("daily cap", daily))
    monthly = tariff.caps.monthly.get(rider_category)
    if monthly is not None:
        found.append(Limit("monthly cap", max(0, monthly - paid_in_month_before)))
    for held, paid_before in passes:
        if not held.covers(service_date):
            continue
        if held.payment == "prepaid":
            found.append(Limit(held.name, 0))
        else:
            found.append(Limit(held.name, max(0, held.price_minor - paid_before)))
    return found


def cap_day(fares_minor: int, day_limits: Sequence[Limit]) -> Capped:
    """The card-day's charge: its fares, or the tightest limit when that is lower (the first listed of
    equally tight limits names the cap)."""
    tightest = min(day_limits, key=lambda limit: limit.allowance_minor, default=None)
    if tightest is None or tightest.allowance_minor >= fares_minor:
        return Capped(fares_minor, fares_minor, None)
    return Capped(fares_minor, tightest.allowance_minor, tightest)


def split_charge(fares: Sequence[int], charged_minor: int) -> list[int]:
    """What each journey of a card-day pays when the day pays `charged_minor` in all: in time order,
    each its fare until the charge is used up (the journey that reached the cap pays part of its fare,
    later ones nothing)."""
    left = charged_minor
    parts = []
    for fare in fares:
        part = min(fare, left)
        parts.append(part)
        left -= part
    return parts
