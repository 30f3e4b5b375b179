"""Passes on cards: a prepaid pass bought from stored value, or a postpaid pass that caps what the card
pays over its days at the pass price. Either way the fares are still rated by the engine; the pass only
limits what the card is charged (`rating`, through `fares.capping`).

A pass starts on a service date that is not in the past: its first day may be today, and then the
day's journeys already charged are re-capped at once (a rider who buys a day pass after the first ride
is not charged twice). Passes of one card never overlap, so which pass a day falls under is never a
question. A prepaid pass is a sale of the city, not an operator's fare: its money waits in
`clearing:passes` (see docs/backoffice.md).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shahr.backoffice import idempotency, ledger
from shahr.backoffice.cards import usable
from shahr.backoffice.errors import InsufficientBalance, InvalidCommand, PassOverlap
from shahr.backoffice.rating import Booking, cap_horizon, recap
from shahr.backoffice.tables import CardPass, TransactionKind
from shahr.fares.capping import HeldPass
from shahr.fares.load import Policy
from shahr.fares.policy import PassProduct

MAX_DAYS_AHEAD = 30
"""How far ahead a pass may be bought to start."""


@dataclass(frozen=True, slots=True)
class PassReceipt:
    """A pass sold or enrolled: its row, what it cost now (0 for postpaid), the card's balance after, and
    the fare bookings its first days' re-capping made."""

    pass_id: int
    card_id: str
    product_id: str
    name: str
    payment: str
    first_day: date
    last_day: date
    price_minor: int
    paid_minor: int
    balance_minor: int
    rebooked_minor: int
    replayed: bool = False


def buy_pass(
    session: Session,
    policy: Policy,
    card_id: str,
    product_id: str,
    first_day: date,
    *,
    key: str,
    at: datetime,
) -> PassReceipt:
    """Sell (prepaid) or enrol (postpaid) the pass `product_id` from `first_day` on the card. Idempotent
    by `key`. Refused: a product the tariff in force that day does not sell, or not to the card's rider
    category; a first day in the past or more than `MAX_DAYS_AHEAD` days ahead; a pass overlapping one
    the card holds; a prepaid price above the balance."""
    ledger.check_aware("at", at)
    request = {"card_id": card_id, "product_id": product_id, "first_day": first_day.isoformat()}
    stored = idempotency.replay(session, "buy_pass", key, request)
    if stored is not None:
        return PassReceipt(**_parsed(stored), replayed=True)
    card = usable(session, card_id, "buy_pass")
    today = policy.service_date(at)
    if not today <= first_day <= today + timedelta(days=MAX_DAYS_AHEAD):
        raise InvalidCommand(
            f"first_day {first_day} must be from today's service date {today} to {MAX_DAYS_AHEAD} days ahead",
            field="body.first_day",
        )
    product = _product(policy, product_id, first_day)
    price = product.price.get(card.rider_category)
    if price is None:
        raise InvalidCommand(
            f"pass {product_id!r} is not sold to rider category {card.rider_category!r}",
            field="body.product_id",
        )
    held = HeldPass.of(product, first_day, price)
    _check_no_overlap(session, card.id, held)
    transaction_id = None
    if product.payment == "prepaid":
        available = ledger.balance(session, card.account_code)
        if price > available:
            raise InsufficientBalance(card.id, price, available, what=product.name)
        transaction_id = ledger.post(
            session,
            TransactionKind.PASS_SALE,
            [(card.account_code, price), (ledger.PASS_SALES, -price)],
            effective_at=at,
            reason=f"{product.name} from {first_day.isoformat()} to {held.last_day.isoformat()}",
            reference=f"pass:{product.id}",
            idempotency_key=f"buy_pass:{key}",
        ).id
    row = CardPass(
        card_id=card.id,
        product_id=product.id,
        name=product.name,
        payment=product.payment,
        first_day=first_day,
        last_day=held.last_day,
        price_minor=price,
        transaction_id=transaction_id,
        created_at=datetime.now(UTC),
    )
    session.add(row)
    session.flush()
    bookings = _recap_pass_days(session, policy, card_id, held, at)
    receipt = PassReceipt(
        pass_id=row.id,
        card_id=card.id,
        product_id=product.id,
        name=product.name,
        payment=product.payment,
        first_day=first_day,
        last_day=held.last_day,
        price_minor=price,
        paid_minor=price if transaction_id is not None else 0,
        balance_minor=ledger.balance(session, card.account_code),
        rebooked_minor=sum(booking.amount_minor for booking in bookings),
    )
    response = asdict(receipt)
    del response["replayed"]
    idempotency.remember(session, "buy_pass", key, request, _serialisable(response))
    return receipt


def card_passes(session: Session, card_id: str) -> list[CardPass]:
    """The card's passes, latest first."""
    return list(
        session.scalars(
            select(CardPass).where(CardPass.card_id == card_id).order_by(CardPass.first_day.desc())
        )
    )


def _product(policy: Policy, product_id: str, first_day: date) -> PassProduct:
    tariff = policy.version_for(first_day)
    for product in tariff.passes:
        if product.id == product_id:
            return product
    sold = ", ".join(p.id for p in tariff.passes) or "none"
    raise InvalidCommand(
        f"no pass {product_id!r} in policy {policy.id} on {first_day} (sold: {sold})", field="body.product_id"
    )


def _check_no_overlap(session: Session, card_id: str, held: HeldPass) -> None:
    clash = session.scalars(
        select(CardPass).where(
            CardPass.card_id == card_id,
            CardPass.first_day <= held.last_day,
            CardPass.last_day >= held.first_day,
        )
    ).first()
    if clash is not None:
        raise PassOverlap(card_id, clash.name, clash.first_day, clash.last_day)


def _recap_pass_days(
    session: Session, policy: Policy, card_id: str, held: HeldPass, at: datetime
) -> list[Booking]:
    """Re-cap the card's days the pass covers that are already rated, and the days whose caps follow."""
    card = usable(session, card_id, "buy_pass")
    last = max(held.last_day, cap_horizon(session, policy, card, held.last_day))
    return recap(session, policy, card, held.first_day, last, reason=f"{held.name} bought", at=at)


def _serialisable(response: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in response.items()}


def _parsed(stored: dict[str, Any]) -> dict[str, Any]:
    return {
        k: date.fromisoformat(v) if k in ("first_day", "last_day") and isinstance(v, str) else v
        for k, v in stored.items()
    }
