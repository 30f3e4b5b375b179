"""A card holder's own figures for a consultation: their journeys of the last 30 service days priced
under the reference policy and under the proposal, journey by journey with the engine's explanations,
beside what the card was actually charged.

Every fare is `FareEngine.rate`'s over the card's taps of a service day (all taps the back office
assigned to it, in the order it rates them; the engine refuses duplicates and the like under each
policy as it would), so nothing here prices a journey. A day's charge under a policy is its fares within
that policy's daily and monthly caps (`fares.capping`, as the back office caps a card-day); to count a
month's earlier days, the days from the start of the window's first month are priced too, and shown only
within the window. Passes are not applied: a card's passes are products of the policy in force, not of
the proposal. What the card was charged is the back office's booking (`card_days`), caps and passes
included. A journey still open today is priced as if the day ended now (the engine's `close`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shahr.backoffice.cards import get_card
from shahr.backoffice.tables import Card
from shahr.backoffice.taps import CardDay, RatedJourney, TapIn, TapRecord, tap_label
from shahr.errors import PolicyError
from shahr.fares.capping import cap_day, limits, month_of
from shahr.fares.engine import FareEngine
from shahr.fares.explain import explain_lines
from shahr.fares.load import Policy
from shahr.fares.model import Journey, Tap
from shahr.fares.network import FareNetwork
from shahr.fares.policy import Tariff

WINDOW_DAYS = 30


@dataclass(frozen=True)
class JourneyFare:
    """One journey as a policy prices it, with the engine's explanation lines (in English)."""

    start: datetime
    fare_minor: int
    modes: tuple[str, ...]
    distance_m: int
    lines: tuple[str, ...]


@dataclass(frozen=True)
class DayFares:
    """A service day under one policy: its journeys, the sum of their fares, what the day would be
    charged within the policy's caps (`capped_by` names the cap that bound), and why taps were refused."""

    journeys: tuple[JourneyFare, ...]
    fares_minor: int
    charged_minor: int
    capped_by: str | None
    refused: tuple[str, ...]


@dataclass(frozen=True)
class Charged:
    """What the back office booked for the card-day, caps and passes included."""

    charged_minor: int
    fares_minor: int
    capped_by: str | None
    journeys: int
    closed: bool


@dataclass(frozen=True)
class RiderDay:
    service_date: date
    taps: int
    reference: DayFares
    proposed: DayFares
    charged: Charged | None
    """None: nothing booked for the day (its taps were all refused)."""


@dataclass(frozen=True)
class RiderFares:
    """The card's days with taps in the window, oldest first, and the window's totals."""

    rider_category: str
    currency: str
    first_day: date
    last_day: date
    days: tuple[RiderDay, ...]

    @property
    def reference_minor(self) -> int:
        return sum(day.reference.charged_minor for day in self.days)

    @property
    def proposed_minor(self) -> int:
        return sum(day.proposed.charged_minor for day in self.days)

    @property
    def charged_minor(self) -> int:
        return sum(day.charged.charged_minor for day in self.days if day.charged is not None)

    @property
    def journeys(self) -> tuple[int, int]:
        """Journeys under the reference and under the proposal (a transfer may join two into one)."""
        return (
            sum(len(day.reference.journeys) for day in self.days),
            sum(len(day.proposed.journeys) for day in self.days),
        )


def rider_fares(
    session: Session,
    card_id: str,
    *,
    proposed: Policy,
    reference: Policy,
    network: FareNetwork,
    today: date,
    days: int = WINDOW_DAYS,
) -> RiderFares:
    """The card's last `days` service days up to `today` (the service's current service day) under both
    policies; `CardNotFound` for a card the back office does not know."""
    card = get_card(session, card_id)
    first = today - timedelta(days=days - 1)
    since = min(month_of(first, "jalali")[0], month_of(first, "gregorian")[0])
    taps = _read_taps(session, card, since, today)
    under_reference = _price(FareEngine(reference, network), card.rider_category, taps)
    under_proposal = _price(FareEngine(proposed, network), card.rider_category, taps)
    charged = _read_charged(session, card_id, first, today)
    shown = [when for when in sorted(taps) if when >= first]
    return RiderFares(
        rider_category=card.rider_category,
        currency=proposed.currency,
        first_day=first,
        last_day=today,
        days=tuple(
            RiderDay(when, len(taps[when]), under_reference[when], under_proposal[when], charged.get(when))
            for when in shown
        ),
    )


def _price(engine: FareEngine, category: str, taps: Mapping[date, list[Tap]]) -> dict[date, DayFares]:
    """Each day's journeys under the engine's policy, in date order, each day capped with what the days
    before it in its month were charged."""
    policy = engine.policy
    charged: dict[date, int] = {}
    priced: dict[date, DayFares] = {}
    for when in sorted(taps):
        rating = engine.rate(taps[when])
        fares = rating.total_minor
        tariff = _tariff(policy, when)
        charge, capped_by = fares, None
        if tariff is not None:
            month_first = month_of(when, tariff.caps.month_calendar)[0]
            paid = sum(amount for day, amount in charged.items() if month_first <= day < when)
            capped = cap_day(fares, limits(tariff, category, when, paid_in_month_before=paid))
            charge = capped.charged_minor
            capped_by = capped.binding.product if capped.binding is not None else None
        charged[when] = charge
        refused = tuple(dict.fromkeys(a.detail for a in rating.anomalies if a.rejects_tap))
        journeys = tuple(_journey(policy, journey) for journey in rating.journeys)
        priced[when] = DayFares(journeys, fares, charge, capped_by, refused)
    return priced


def _journey(policy: Policy, journey: Journey) -> JourneyFare:
    return JourneyFare(
        start=journey.start,
        fare_minor=journey.fare_minor,
        modes=tuple(leg.mode for leg in journey.legs),
        distance_m=journey.distance_m,
        lines=tuple(explain_lines(policy, journey)),
    )


def _tariff(policy: Policy, service_date: date) -> Tariff | None:
    """The tariff in force, or None before the policy's first version (the engine refuses those taps)."""
    try:
        return policy.version_for(service_date)
    except PolicyError:
        return None


def _read_taps(session: Session, card: Card, since: date, until: date) -> dict[date, list[Tap]]:
    """The card's taps assigned to service days `since` to `until`, in the order the back office rates
    a card-day (`rating._read_taps`), as the engine's taps: the rider category, and unless the device
    says, the medium, are the card's."""
    rows = session.execute(
        select(TapRecord.service_date, TapRecord.device_id, TapRecord.seq, TapRecord.payload)
        .where(TapRecord.card_id == card.id, TapRecord.service_date.between(since, until))
        .order_by(TapRecord.service_date, TapRecord.tapped_at, TapRecord.device_id, TapRecord.seq)
    )
    taps: dict[date, list[Tap]] = {}
    for service_date, device_id, seq, payload in rows:
        tap = TapIn.model_validate(payload)
        taps.setdefault(service_date, []).append(
            Tap(
                tap.kind,
                tap.tapped_at,
                tap.stop_id,
                tap.route_id,
                tap.trip_id,
                medium=tap.medium or card.medium,
                rider_category=card.rider_category,
                tap_id=tap_label(device_id, seq),
            )
        )
    return taps


def _read_charged(session: Session, card_id: str, first: date, last: date) -> dict[date, Charged]:
    """The card-days booked from `first` to `last`, with how many rated journeys each holds."""
    counts = dict(
        session.execute(
            select(RatedJourney.service_date, func.count())
            .where(RatedJourney.card_id == card_id, RatedJourney.service_date.between(first, last))
            .group_by(RatedJourney.service_date)
        ).all()
    )
    days = session.scalars(
        select(CardDay).where(CardDay.card_id == card_id, CardDay.service_date.between(first, last))
    )
    return {
        day.service_date: Charged(
            day.total_minor, day.fares_minor, day.capped_by, counts.get(day.service_date, 0), day.closed
        )
        for day in days
    }
