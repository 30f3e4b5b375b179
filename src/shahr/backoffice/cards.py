"""Card commands: create, top up, refund, adjust, block, report lost, replace.

Every command that moves money takes an idempotency key (a retry after a timeout gets the first answer
and books nothing) and the instant the money moves. Commands flush but do not commit: the caller owns
the transaction, so a command and whatever the caller does with it commit or roll back together.
Which statuses allow which command is the table `ALLOWED`, not branches.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from shahr.backoffice import idempotency, ledger
from shahr.backoffice.errors import CardNotFound, CardNotUsable, InsufficientBalance, InvalidCommand
from shahr.backoffice.tables import (
    AccountKind,
    Card,
    CardStatus,
    TransactionKind,
    card_account_code,
)

AGE_LIMITS: dict[str, int] = {"youth": 19}
"""Categories that end at a birthday: youth fares apply until the 19th birthday."""

_ANY_BUT_REPLACED = frozenset({CardStatus.ACTIVE, CardStatus.BLOCKED, CardStatus.LOST})
ALLOWED: dict[str, frozenset[CardStatus]] = {
    "top_up": frozenset({CardStatus.ACTIVE}),
    "refund": frozenset({CardStatus.ACTIVE, CardStatus.BLOCKED}),
    "adjust": _ANY_BUT_REPLACED,
    "block": frozenset({CardStatus.ACTIVE, CardStatus.BLOCKED}),
    "report_lost": _ANY_BUT_REPLACED,
    "replace": _ANY_BUT_REPLACED,
    "buy_pass": frozenset({CardStatus.ACTIVE}),
}
"""The statuses each command accepts. A lost card takes no top-up or refund (whoever holds it is not
known to be the rider): its balance moves to a replacement. A replaced card takes nothing."""


@dataclass(frozen=True, slots=True)
class Receipt:
    """What a money command did: the transaction booked, the amount (signed for adjustments) and the
    card's balance just after it. `replayed` is True when the key had been seen and nothing was booked."""

    transaction_id: int
    card_id: str
    amount_minor: int
    balance_minor: int
    replayed: bool = False


def valid_until(birth_date: date, age: int) -> date:
    """The last day before the `age`th birthday. Born on 29 February: the birthday in a common year is
    taken as 1 March, so the last day is 28 February."""
    try:
        birthday = birth_date.replace(year=birth_date.year + age)
    except ValueError:
        birthday = date(birth_date.year + age, 3, 1)
    return birthday - timedelta(days=1)


def looks_like_bank_card(card_id: str) -> bool:
    """12 to 19 digits passing the Luhn check: a string that could be read as a payment card number."""
    if not (card_id.isdigit() and 12 <= len(card_id) <= 19):
        return False
    digits = [int(d) for d in reversed(card_id)]
    total = sum(digits[0::2]) + sum(sum(divmod(2 * d, 10)) for d in digits[1::2])
    return total % 10 == 0


def new_card_id(draw: Callable[[], str] = lambda: secrets.token_hex(8)) -> str:
    """A random opaque id (16 hex characters), drawn again in the rare case it could pass for a bank card
    number, so no system downstream mistakes it for one."""
    while looks_like_bank_card(card_id := draw()):
        pass
    return card_id


def create_card(
    session: Session, rider_category: str, medium: str = "card", birth_date: date | None = None
) -> Card:
    """Issue a card with its own liability account. For an age-limited category (`AGE_LIMITS`) the birth
    date is required and only the end of the category is kept, never the birth date itself."""
    if not rider_category or not medium:
        raise InvalidCommand(f"rider_category {rider_category!r} and medium {medium!r} must be given")
    until = None
    if rider_category in AGE_LIMITS:
        if birth_date is None:
            raise InvalidCommand(f"a {rider_category} card needs the rider's birth date")
        until = valid_until(birth_date, AGE_LIMITS[rider_category])
        if until < datetime.now(UTC).date():
            raise InvalidCommand(f"born {birth_date}: the {rider_category} category ended on {until}")
    return _issue(session, rider_category, until, medium)


def find_card(session: Session, card_id: str) -> Card | None:
    return session.get(Card, card_id)


def get_card(session: Session, card_id: str) -> Card:
    card = find_card(session, card_id)
    if card is None:
        raise CardNotFound(card_id)
    return card


def top_up(session: Session, card_id: str, amount: int, *, key: str, at: datetime) -> Receipt:
    """Load `amount` onto the card: debit the top-up float, credit the card."""
    _positive(amount)
    return _money_command(
        session,
        _Request("top_up", key, card_id, amount, "top-up"),
        at,
        lambda card: [(ledger.FLOAT_TOPUPS, amount), (card.account_code, -amount)],
    )


def refund(session: Session, card_id: str, amount: int, *, key: str, at: datetime) -> Receipt:
    """Pay `amount` back to the rider: debit the card, credit the float. Refused beyond the balance."""
    _positive(amount)

    def postings(card: Card) -> list[tuple[str, int]]:
        available = ledger.balance(session, card.account_code)
        if amount > available:
            raise InsufficientBalance(card.id, amount, available)
        return [(card.account_code, amount), (ledger.FLOAT_TOPUPS, -amount)]

    return _money_command(session, _Request("refund", key, card_id, amount, "refund"), at, postings)


def adjust(session: Session, card_id: str, amount: int, *, key: str, at: datetime, reason: str) -> Receipt:
    """Credit (positive) or debit (negative) the card against the adjustments account: goodwill,
    corrections of a fare. A debit may take the balance below zero; the rider then owes it."""
    if amount == 0:
        raise InvalidCommand(f"card {card_id!r}: an adjustment of 0 changes nothing")
    return _money_command(
        session,
        _Request("adjust", key, card_id, amount, reason),
        at,
        lambda card: [(ledger.ADJUSTMENTS, amount), (card.account_code, -amount)],
    )


def block(session: Session, card_id: str) -> Card:
    """Stop the card being used (suspected misuse); blocking a blocked card changes nothing."""
    return _set_status(session, card_id, "block", CardStatus.BLOCKED)


def report_lost(session: Session, card_id: str) -> Card:
    """Mark the card lost: no more top-ups or refunds; `replace` moves its balance to a new card."""
    return _set_status(session, card_id, "report_lost", CardStatus.LOST)


def replace(session: Session, card_id: str, *, key: str, at: datetime) -> Card:
    """Issue a new card of the same category and medium, move the old card's whole balance to it with a
    `transfer` transaction effective at `at` (none when the balance is 0), and mark the old card
    `replaced` pointing at the new one. Returns the new card; a replayed key returns the same card."""
    request = {"card_id": card_id}
    stored = idempotency.replay(session, "replace", key, request)
    if stored is not None:
        return get_card(session, stored["new_card_id"])
    old = usable(session, card_id, "replace")
    new = _issue(session, old.rider_category, old.category_valid_until, old.medium)
    moved = ledger.balance(session, old.account_code)
    transfer_id = None
    if moved != 0:
        transfer = ledger.post(
            session,
            TransactionKind.TRANSFER,
            [(old.account_code, moved), (new.account_code, -moved)],
            effective_at=at,
            reason=f"card {old.id} replaced by {new.id}",
            reference=old.id,
            idempotency_key=f"replace:{key}",
        )
        transfer_id = transfer.id
    old.status = CardStatus.REPLACED
    old.replaced_by = new.id
    session.flush()
    idempotency.remember(
        session, "replace", key, request, {"new_card_id": new.id, "transfer_id": transfer_id}
    )
    return new


def _issue(session: Session, rider_category: str, until: date | None, medium: str) -> Card:
    card_id = new_card_id()
    account = ledger.open_account(session, card_account_code(card_id), AccountKind.CARD_LIABILITY)
    card = Card(
        id=card_id,
        rider_category=rider_category,
        category_valid_until=until,
        medium=medium,
        status=CardStatus.ACTIVE,
        account_id=account.id,
        created_at=datetime.now(UTC),
    )
    session.add(card)
    session.flush()
    return card


@dataclass(frozen=True, slots=True)
class _Request:
    """A money command as asked; `fields` is what its idempotency fingerprint covers. The instant is left
    out on purpose: a client retrying may stamp the retry with a new time, and that is the same request."""

    scope: str
    key: str
    card_id: str
    amount_minor: int
    reason: str

    @property
    def kind(self) -> TransactionKind:
        return _KINDS[self.scope]

    def fields(self) -> dict[str, Any]:
        return {"card_id": self.card_id, "amount_minor": self.amount_minor, "reason": self.reason}


_KINDS = {
    "top_up": TransactionKind.TOP_UP,
    "refund": TransactionKind.REFUND,
    "adjust": TransactionKind.ADJUSTMENT,
}


def _money_command(
    session: Session,
    request: _Request,
    at: datetime,
    postings: Callable[[Card], list[tuple[str, int]]],
) -> Receipt:
    """The shape every money command shares: replay, check the card, book, remember the answer."""
    ledger.check_aware("at", at)
    fields = request.fields()
    stored = idempotency.replay(session, request.scope, request.key, fields)
    if stored is not None:
        return Receipt(**stored, replayed=True)
    card = usable(session, request.card_id, request.scope)
    # Asked again under the card's lock: a concurrent first use of the key that held the lock has
    # committed by now (PostgreSQL), and this call is its retry, not a different request.
    stored = idempotency.replay(session, request.scope, request.key, fields)
    if stored is not None:
        return Receipt(**stored, replayed=True)
    transaction = ledger.post(
        session,
        request.kind,
        postings(card),
        effective_at=at,
        reason=request.reason,
        idempotency_key=f"{request.scope}:{request.key}",
    )
    after = ledger.balance(session, card.account_code)
    receipt = Receipt(transaction.id, card.id, request.amount_minor, after)
    response = asdict(receipt)
    del response["replayed"]
    idempotency.remember(session, request.scope, request.key, fields, response)
    return receipt


def usable(session: Session, card_id: str, command: str) -> Card:
    """The card, locked for the rest of the transaction (PostgreSQL; SQLite serialises writers), if its
    status allows `command`."""
    card = session.get(Card, card_id, with_for_update=True)
    if card is None:
        raise CardNotFound(card_id)
    if card.status not in ALLOWED[command]:
        hint = f"; it was replaced by {card.replaced_by!r}" if card.replaced_by else ""
        raise CardNotUsable(card.id, card.status.value, command, hint)
    return card


def _set_status(session: Session, card_id: str, command: str, status: CardStatus) -> Card:
    card = usable(session, card_id, command)
    card.status = status
    session.flush()
    return card


def _positive(amount: int) -> None:
    if amount <= 0:
        raise InvalidCommand(f"amount must be positive, got {amount}")
