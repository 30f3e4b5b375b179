"""The double-entry ledger: every movement of money is a transaction whose postings sum to zero.

Postings are signed: debit positive, credit negative. A booked transaction is never updated or deleted
(a session guard refuses it): a mistake is corrected by a new transaction, `reverse` for the common case,
so the ledger is its own audit trail and a balance at any past instant can be recomputed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, func, insert, select
from sqlalchemy.orm import Session

from shahr.backoffice.errors import (
    AlreadyReversed,
    IdempotencyConflict,
    ImmutableRecord,
    InvalidCommand,
    LedgerError,
    TransactionNotFound,
    UnbalancedPostings,
    UnknownAccount,
)
from shahr.backoffice.tables import CURRENCY, Account, AccountKind, Posting, Transaction, TransactionKind

FLOAT_TOPUPS = "float:topups"
CLEARING_FARES = "clearing:fares"
ADJUSTMENTS = "adjustments"
PASS_SALES = "clearing:passes"
"""Prepaid passes sold, not yet shared between operators."""

SYSTEM_ACCOUNTS: dict[str, AccountKind] = {
    FLOAT_TOPUPS: AccountKind.FLOAT,
    CLEARING_FARES: AccountKind.CLEARING,
    PASS_SALES: AccountKind.CLEARING,
    ADJUSTMENTS: AccountKind.ADJUSTMENTS,
}
"""Accounts that exist once per ledger, opened on first use."""

NORMAL_SIGN: dict[AccountKind, int] = {
    AccountKind.CARD_LIABILITY: -1,
    AccountKind.OPERATOR_REVENUE: -1,
    AccountKind.CLEARING: -1,
    AccountKind.FLOAT: 1,
    AccountKind.ADJUSTMENTS: 1,
}
"""How `balance` reports an account: credit-normal accounts (what is owed) as -sum, so a card holding
50,000 rials reads 50,000; debit-normal accounts as +sum."""


def check_aware(name: str, value: datetime) -> datetime:
    """`value` in UTC; a naive datetime is refused because its instant is unknown."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidCommand(f"{name} {value.isoformat()} has no time zone")
    return value.astimezone(UTC)


def open_account(session: Session, code: str, kind: AccountKind, currency: str = CURRENCY) -> Account:
    """Open an account (e.g. `operator:<agency_id>`); refused if the code is taken."""
    if find_account(session, code) is not None:
        raise InvalidCommand(f"account {code!r} is already open")
    return _insert_account(session, code, kind, currency)


def _insert_account(session: Session, code: str, kind: AccountKind, currency: str) -> Account:
    account = Account(code=code, kind=kind, currency=currency)
    session.add(account)
    session.flush()
    return account


def find_account(session: Session, code: str) -> Account | None:
    return session.scalars(select(Account).where(Account.code == code)).one_or_none()


def get_account(session: Session, code: str) -> Account:
    """The account with `code`; a system account is opened on first use, any other must exist."""
    account = find_account(session, code)
    if account is not None:
        return account
    if code in SYSTEM_ACCOUNTS:
        # Not through `open_account`: its second look would call an account that a concurrent first use
        # committed meanwhile "already open" (422). Inserting leaves that race to the unique code: an
        # IntegrityError, answered 409 `concurrent_request`, which clients retry.
        return _insert_account(session, code, SYSTEM_ACCOUNTS[code], CURRENCY)
    raise UnknownAccount(code)


@dataclass(frozen=True, slots=True)
class Entry:
    """A transaction to book with `post_many`: the arguments `post` takes, without an idempotency key."""

    kind: TransactionKind
    postings: list[tuple[str, int]]
    effective_at: datetime
    reason: str
    reference: str | None = None


def post(
    session: Session,
    kind: TransactionKind,
    postings: list[tuple[str, int]],
    *,
    effective_at: datetime,
    reason: str,
    reference: str | None = None,
    idempotency_key: str | None = None,
) -> Transaction:
    """Book one transaction of `postings` (account code, amount: debit positive, credit negative).

    Refused when the postings are empty or do not sum to zero (`UnbalancedPostings`, naming the sum).
    `effective_at` is the instant the money moves (a late tap's fare applies at the tap's time).
    With `idempotency_key`, posting the same transaction again returns the first one; the key with a
    different transaction raises `IdempotencyConflict`. Flushed, not committed.
    """
    if idempotency_key is not None:
        existing = session.scalars(
            select(Transaction).where(Transaction.idempotency_key == idempotency_key)
        ).one_or_none()
        if existing is not None:
            return _same_or_conflict(existing, kind, postings, effective_at, reason, reference)
    return _book(session, kind, postings, effective_at, reason, reference, idempotency_key, None)


def post_many(session: Session, entries: Sequence[Entry]) -> list[int]:
    """Book several transactions at once (a batch of taps books one per card-day that changed) and return
    their ids, in order.

    Every check `post` makes holds for each entry (balanced, no zero posting, a reason, known accounts in
    one currency, an aware time), and all are made before anything is written, so a refused entry books
    none of them; the error carries a note naming the entry. The accounts are looked up once for all
    entries, then the transactions and their postings are inserted in one statement each, which is what
    makes a batch cheap. No idempotency key: callers that need one use `post`. Flushed, not committed.
    """
    if not entries:
        return []
    for number, entry in enumerate(entries, start=1):
        with _naming(entry, number, len(entries)):
            _check(entry.postings, entry.reason)
            check_aware("effective_at", entry.effective_at)
    accounts = _account_ids(session, {code for entry in entries for code, _ in entry.postings})
    for number, entry in enumerate(entries, start=1):
        with _naming(entry, number, len(entries)):
            _one_currency([accounts[code] for code, _ in entry.postings])
    ids = _insert_transactions(session, entries)
    session.execute(
        insert(Posting),
        [
            {"transaction_id": transaction_id, "account_id": accounts[code][0], "amount_minor": amount}
            for transaction_id, entry in zip(ids, entries, strict=True)
            for code, amount in entry.postings
        ],
    )
    return ids


def reverse(session: Session, transaction_id: int, reason: str, *, at: datetime | None = None) -> Transaction:
    """Book the mirror image of a transaction (same kind and reference, every amount negated).

    By default the reversal is effective at the original's instant, so balances at every instant read as
    if the original never happened; pass `at` to correct from that instant on and leave earlier balances
    as they were reported. A transaction is reversed at most once (`AlreadyReversed`).
    """
    original = session.get(Transaction, transaction_id)
    if original is None:
        raise TransactionNotFound(transaction_id)
    reversal_id = session.scalars(
        select(Transaction.id).where(Transaction.reverses_id == transaction_id)
    ).one_or_none()
    if reversal_id is not None:
        raise AlreadyReversed(transaction_id, reversal_id)
    mirrored = [(posting.account.code, -posting.amount_minor) for posting in original.postings]
    effective_at = original.effective_at if at is None else at
    return _book(
        session, original.kind, mirrored, effective_at, reason, original.reference, None, transaction_id
    )


def balance(session: Session, account_code: str, at: datetime | None = None) -> int:
    """The account's balance in its normal sign (see `NORMAL_SIGN`), counting the transactions effective
    at or before `at` (all of them when `at` is None). An unopened system account has balance 0."""
    account = find_account(session, account_code)
    if account is None:
        if account_code in SYSTEM_ACCOUNTS:
            return 0
        raise UnknownAccount(account_code)
    query = select(func.coalesce(func.sum(Posting.amount_minor), 0)).where(Posting.account_id == account.id)
    if at is not None:
        query = query.join(Transaction).where(Transaction.effective_at <= check_aware("at", at))
    return NORMAL_SIGN[account.kind] * int(session.scalars(query).one())


def trial_balance(session: Session) -> dict[str, int]:
    """Every account's raw sum of postings (debit positive), so the values sum to 0 in a sound ledger."""
    rows = session.execute(
        select(Account.code, func.coalesce(func.sum(Posting.amount_minor), 0))
        .outerjoin(Posting, Posting.account_id == Account.id)
        .group_by(Account.code)
        .order_by(Account.code)
    )
    return {code: int(total) for code, total in rows}


def is_balanced(session: Session) -> bool:
    """True when every transaction's postings sum to 0, hence all postings together do."""
    unbalanced = session.scalars(
        select(Posting.transaction_id)
        .group_by(Posting.transaction_id)
        .having(func.sum(Posting.amount_minor) != 0)
        .limit(1)
    ).first()
    return unbalanced is None


@contextmanager
def _naming(entry: Entry, number: int, count: int) -> Iterator[None]:
    """A refusal of one entry of `post_many` says which one (as a note: the message stays `post`'s)."""
    try:
        yield
    except (LedgerError, InvalidCommand) as exc:
        exc.add_note(f"entry {number} of {count}: {entry.reason!r}, reference {entry.reference}")
        raise


def _check(postings: list[tuple[str, int]], reason: str) -> None:
    """What every transaction must be: postings that sum to zero, none of them zero, and a reason."""
    total = sum(amount for _, amount in postings)
    if not postings or total != 0:
        raise UnbalancedPostings(total, postings)
    zero = [code for code, amount in postings if amount == 0]
    if zero:
        raise InvalidCommand(f"postings of 0 to {', '.join(zero)}: leave them out")
    if not reason.strip():
        raise InvalidCommand("a transaction needs a reason")


def _one_currency(accounts: Sequence[tuple[int, str]]) -> None:
    """A transaction moves money in one currency: its accounts' (id, currency) must agree."""
    currencies = {currency for _, currency in accounts}
    if len(currencies) > 1:
        raise InvalidCommand(f"postings in several currencies {sorted(currencies)}: one transaction, one")


def _account_ids(session: Session, codes: set[str]) -> dict[str, tuple[int, str]]:
    """Each code's (account id, currency), in one query; a system account not yet open is opened, any
    other unknown code is refused (`UnknownAccount`)."""
    rows = session.execute(select(Account.code, Account.id, Account.currency).where(Account.code.in_(codes)))
    found = {code: (account_id, currency) for code, account_id, currency in rows}
    for code in sorted(codes - found.keys()):
        account = get_account(session, code)
        found[code] = (account.id, account.currency)
    return found


def _insert_transactions(session: Session, entries: Sequence[Entry]) -> list[int]:
    """Insert the entries' transactions in one statement; their ids in entry order."""
    created_at = datetime.now(UTC)
    rows = [
        {
            "kind": entry.kind,
            "created_at": created_at,
            "effective_at": check_aware("effective_at", entry.effective_at),
            "reason": entry.reason,
            "reference": entry.reference,
        }
        for entry in entries
    ]
    returning = insert(Transaction).returning(Transaction.id, sort_by_parameter_order=True)
    return [int(transaction_id) for transaction_id in session.scalars(returning, rows)]


def _book(
    session: Session,
    kind: TransactionKind,
    postings: list[tuple[str, int]],
    effective_at: datetime,
    reason: str,
    reference: str | None,
    idempotency_key: str | None,
    reverses_id: int | None,
) -> Transaction:
    _check(postings, reason)
    accounts = [get_account(session, code) for code, _ in postings]
    _one_currency([(account.id, account.currency) for account in accounts])
    transaction = Transaction(
        kind=kind,
        created_at=datetime.now(UTC),
        effective_at=check_aware("effective_at", effective_at),
        reason=reason,
        reference=reference,
        idempotency_key=idempotency_key,
        reverses_id=reverses_id,
        postings=[
            Posting(account=account, amount_minor=amount)
            for account, (_, amount) in zip(accounts, postings, strict=True)
        ],
    )
    session.add(transaction)
    session.flush()
    return transaction


def _same_or_conflict(
    existing: Transaction,
    kind: TransactionKind,
    postings: list[tuple[str, int]],
    effective_at: datetime,
    reason: str,
    reference: str | None,
) -> Transaction:
    asked = (kind, Counter(postings), check_aware("effective_at", effective_at), reason, reference)
    booked = (
        existing.kind,
        Counter((posting.account.code, posting.amount_minor) for posting in existing.postings),
        existing.effective_at,
        existing.reason,
        existing.reference,
    )
    if asked != booked:
        raise IdempotencyConflict("ledger", existing.idempotency_key or "")
    return existing


@event.listens_for(Session, "before_flush")
def _refuse_ledger_changes(session: Session, _context: Any, _instances: Any) -> None:
    """Booked transactions and postings are append-only; a posting added to a booked transaction would
    unbalance it."""
    for record in session.dirty:
        if isinstance(record, Transaction | Posting) and session.is_modified(record):
            raise ImmutableRecord(f"{type(record).__name__} {record.id} is booked: it cannot be changed")
    for record in session.deleted:
        if isinstance(record, Transaction | Posting):
            raise ImmutableRecord(f"{type(record).__name__} {record.id} is booked: it cannot be deleted")
    for record in session.new:
        booked = record.transaction if isinstance(record, Posting) else None
        if booked is not None and booked not in session.new:
            raise ImmutableRecord(f"transaction {booked.id} is booked: add no postings to it")
