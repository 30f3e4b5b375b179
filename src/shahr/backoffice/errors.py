"""Errors of the back office's money core; the tree is drawn in `shahr.errors`.

Each message names the card, account, transaction or key involved and the likely cause, so an operator
reading a log line knows what to look at without the stack.
"""

from __future__ import annotations

from datetime import date, datetime

from shahr.errors import ShahrError


class BackofficeError(ShahrError):
    """Base of the back office's errors: a command refused, nothing booked by it."""


class InvalidCommand(BackofficeError):
    """A command's arguments are wrong in themselves: a non-positive amount, a time without a time zone,
    a youth card without a birth date. `field` names the argument when one is to blame."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)


class ServiceDayNotEnded(InvalidCommand):
    """Closing a service day before its end (04:00 the next morning): taps of it may still arrive."""

    def __init__(self, service_date: date, end: datetime) -> None:
        self.service_date = service_date
        self.end = end
        super().__init__(f"service day {service_date} ends at {end.isoformat()}: too early to close it")


class IdempotencyConflict(BackofficeError):
    """An idempotency key already used for a different request: the client reused a key it should not."""

    def __init__(self, scope: str, key: str) -> None:
        self.scope = scope
        self.key = key
        super().__init__(
            f"idempotency key {key!r} ({scope}) was already used for a different request; "
            "use a new key for a new request"
        )


class LedgerError(BackofficeError):
    """The ledger refuses a posting or a correction."""


class UnbalancedPostings(LedgerError):
    """Postings that do not sum to zero (or no postings at all): money would appear or vanish."""

    def __init__(self, total_minor: int, postings: list[tuple[str, int]]) -> None:
        self.total_minor = total_minor
        self.postings = postings
        detail = ", ".join(f"{code} {amount:+d}" for code, amount in postings) or "no postings"
        super().__init__(f"postings must sum to 0, they sum to {total_minor:+d} ({detail})")


class UnknownAccount(LedgerError):
    """A posting names an account code that was never opened (a typo, or a card from another database)."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(f"unknown account {code!r}: open it first (cards open theirs when created)")


class TransactionNotFound(LedgerError):
    """No transaction with this id."""

    def __init__(self, transaction_id: int) -> None:
        self.transaction_id = transaction_id
        super().__init__(f"no transaction with id {transaction_id}")


class AlreadyReversed(LedgerError):
    """A transaction can be reversed once; reversing it again would undo it twice."""

    def __init__(self, transaction_id: int, reversal_id: int) -> None:
        self.transaction_id = transaction_id
        self.reversal_id = reversal_id
        super().__init__(f"transaction {transaction_id} is already reversed by transaction {reversal_id}")


class ImmutableRecord(LedgerError):
    """Code tried to update or delete a booked transaction or posting; corrections are new transactions."""


class CardError(BackofficeError):
    """A card command refused for the card's own reasons."""


class CardNotFound(CardError):
    """No card with this id."""

    def __init__(self, card_id: str) -> None:
        self.card_id = card_id
        super().__init__(f"no card with id {card_id!r}")


class CardNotUsable(CardError):
    """The card's status does not allow the command (e.g. topping up a replaced or lost card)."""

    def __init__(self, card_id: str, status: str, command: str, hint: str = "") -> None:
        self.card_id = card_id
        self.status = status
        self.command = command
        super().__init__(f"card {card_id!r} is {status}: {command} is not allowed{hint}")


class InsufficientBalance(CardError):
    """A refund or prepaid pass larger than the card's balance: money the rider never loaded."""

    def __init__(self, card_id: str, requested_minor: int, balance_minor: int, what: str = "refund") -> None:
        self.card_id = card_id
        self.requested_minor = requested_minor
        self.balance_minor = balance_minor
        super().__init__(
            f"card {card_id!r}: {what} of {requested_minor} exceeds the balance of {balance_minor}"
        )


class PassOverlap(CardError):
    """A pass whose days overlap a pass the card already holds: which one a day fell under would be
    ambiguous, and the rider would pay twice for the same days."""

    def __init__(self, card_id: str, held: str, first_day: date, last_day: date) -> None:
        self.card_id = card_id
        self.field = "body.first_day"
        super().__init__(f"card {card_id!r} already holds {held!r} from {first_day} to {last_day}")
