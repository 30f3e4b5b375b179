"""The ledger: balanced postings only, signs by account kind, balances at an instant, reversals, and
nothing booked ever changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from shahr.backoffice import ledger
from shahr.backoffice.errors import (
    AlreadyReversed,
    IdempotencyConflict,
    ImmutableRecord,
    InvalidCommand,
    TransactionNotFound,
    UnbalancedPostings,
    UnknownAccount,
)
from shahr.backoffice.tables import AccountKind, Posting, Transaction, TransactionKind

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
TEHRAN = timezone(timedelta(hours=3, minutes=30))
CARD = "card:c1"
OPERATOR = "operator:metro"


@pytest.fixture
def accounts(session: Session) -> Session:
    ledger.open_account(session, CARD, AccountKind.CARD_LIABILITY)
    ledger.open_account(session, OPERATOR, AccountKind.OPERATOR_REVENUE)
    return session


def top_up(session: Session, amount: int, at: datetime = T0, key: str | None = None) -> Transaction:
    return ledger.post(
        session,
        TransactionKind.TOP_UP,
        [(ledger.FLOAT_TOPUPS, amount), (CARD, -amount)],
        effective_at=at,
        reason="top-up",
        idempotency_key=key,
    )


def test_balances_in_normal_sign(accounts: Session) -> None:
    top_up(accounts, 50_000)
    ledger.post(
        accounts,
        TransactionKind.FARE,
        [(CARD, 20_000), (ledger.CLEARING_FARES, -20_000)],
        effective_at=T0 + timedelta(hours=1),
        reason="fare",
        reference="journey-1",
    )
    ledger.post(
        accounts,
        TransactionKind.CLEARING,
        [(ledger.CLEARING_FARES, 20_000), (OPERATOR, -20_000)],
        effective_at=T0 + timedelta(days=1),
        reason="day settlement",
    )
    assert ledger.balance(accounts, CARD) == 30_000
    assert ledger.balance(accounts, ledger.FLOAT_TOPUPS) == 50_000
    assert ledger.balance(accounts, ledger.CLEARING_FARES) == 0
    assert ledger.balance(accounts, OPERATOR) == 20_000
    assert ledger.trial_balance(accounts) == {
        CARD: -30_000,
        ledger.CLEARING_FARES: 0,
        ledger.FLOAT_TOPUPS: 50_000,
        OPERATOR: -20_000,
    }
    assert ledger.is_balanced(accounts)


def test_balance_at_a_past_instant(accounts: Session) -> None:
    top_up(accounts, 50_000, at=T0)
    top_up(accounts, 30_000, at=T0 + timedelta(hours=2))
    # a late tap: booked last, effective between the two top-ups
    ledger.post(
        accounts,
        TransactionKind.FARE,
        [(CARD, 15_000), (ledger.CLEARING_FARES, -15_000)],
        effective_at=T0 + timedelta(hours=1),
        reason="late tap",
    )
    assert ledger.balance(accounts, CARD, at=T0 - timedelta(seconds=1)) == 0
    assert ledger.balance(accounts, CARD, at=T0) == 50_000
    assert ledger.balance(accounts, CARD, at=T0 + timedelta(hours=1)) == 35_000
    # the same instant in Tehran time reads the same
    assert ledger.balance(accounts, CARD, at=(T0 + timedelta(hours=1)).astimezone(TEHRAN)) == 35_000
    assert ledger.balance(accounts, CARD, at=T0 + timedelta(hours=2)) == 65_000
    assert ledger.balance(accounts, CARD) == 65_000


def test_times_come_back_aware_in_utc(accounts: Session) -> None:
    booked = top_up(accounts, 1_000, at=datetime(2025, 3, 1, 11, 30, tzinfo=TEHRAN))
    accounts.commit()
    accounts.expire_all()
    loaded = accounts.get(Transaction, booked.id)
    assert loaded is not None
    assert loaded.effective_at == T0
    assert loaded.effective_at.tzinfo == UTC
    assert loaded.created_at.tzinfo == UTC


def test_unbalanced_postings_refused_naming_the_sum(accounts: Session) -> None:
    with pytest.raises(UnbalancedPostings, match=r"sum to \+500 \(adjustments \+1000, card:c1 -500\)"):
        ledger.post(
            accounts,
            TransactionKind.ADJUSTMENT,
            [(ledger.ADJUSTMENTS, 1_000), (CARD, -500)],
            effective_at=T0,
            reason="typo",
        )
    assert accounts.scalars(select(Transaction)).all() == []


def test_empty_postings_refused(accounts: Session) -> None:
    with pytest.raises(UnbalancedPostings, match="no postings"):
        ledger.post(accounts, TransactionKind.ADJUSTMENT, [], effective_at=T0, reason="nothing")


def test_zero_posting_refused(accounts: Session) -> None:
    with pytest.raises(InvalidCommand, match="postings of 0 to operator:metro"):
        ledger.post(
            accounts,
            TransactionKind.TOP_UP,
            [(ledger.FLOAT_TOPUPS, 1_000), (CARD, -1_000), (OPERATOR, 0)],
            effective_at=T0,
            reason="top-up",
        )


def test_naive_time_refused(accounts: Session) -> None:
    with pytest.raises(InvalidCommand, match="no time zone"):
        top_up(accounts, 1_000, at=datetime(2025, 3, 1, 8, 0))


def test_unknown_account_refused(accounts: Session) -> None:
    with pytest.raises(UnknownAccount, match="'card:nope'"):
        ledger.post(
            accounts,
            TransactionKind.TOP_UP,
            [(ledger.FLOAT_TOPUPS, 1), ("card:nope", -1)],
            effective_at=T0,
            reason="top-up",
        )
    with pytest.raises(UnknownAccount):
        ledger.balance(accounts, "card:nope")


def test_unopened_system_account_reads_zero(accounts: Session) -> None:
    assert ledger.balance(accounts, ledger.ADJUSTMENTS) == 0


def test_account_opened_once(accounts: Session) -> None:
    with pytest.raises(InvalidCommand, match="already open"):
        ledger.open_account(accounts, CARD, AccountKind.CARD_LIABILITY)


def test_idempotent_post_returns_the_first(accounts: Session) -> None:
    first = top_up(accounts, 5_000, key="k1")
    again = top_up(accounts, 5_000, key="k1")
    assert again.id == first.id
    assert ledger.balance(accounts, CARD) == 5_000
    with pytest.raises(IdempotencyConflict, match="'k1'"):
        top_up(accounts, 6_000, key="k1")


def test_reverse_as_if_never_booked(accounts: Session) -> None:
    top_up(accounts, 50_000, at=T0)
    wrong = top_up(accounts, 30_000, at=T0 + timedelta(hours=1))
    reversal = ledger.reverse(accounts, wrong.id, "double top-up at the kiosk")
    assert reversal.kind == TransactionKind.TOP_UP
    assert reversal.reverses_id == wrong.id
    assert reversal.effective_at == wrong.effective_at
    assert sorted((p.account.code, p.amount_minor) for p in reversal.postings) == [
        (CARD, 30_000),
        (ledger.FLOAT_TOPUPS, -30_000),
    ]
    assert ledger.balance(accounts, CARD, at=T0 + timedelta(hours=1)) == 50_000
    assert ledger.balance(accounts, CARD) == 50_000
    assert ledger.is_balanced(accounts)


def test_reverse_from_a_later_instant_keeps_history(accounts: Session) -> None:
    wrong = top_up(accounts, 30_000, at=T0)
    ledger.reverse(accounts, wrong.id, "correction", at=T0 + timedelta(days=1))
    assert ledger.balance(accounts, CARD, at=T0 + timedelta(hours=1)) == 30_000
    assert ledger.balance(accounts, CARD) == 0


def test_reverse_once_only(accounts: Session) -> None:
    booked = top_up(accounts, 1_000)
    reversal = ledger.reverse(accounts, booked.id, "mistake")
    with pytest.raises(AlreadyReversed, match=f"already reversed by transaction {reversal.id}"):
        ledger.reverse(accounts, booked.id, "mistake again")
    with pytest.raises(TransactionNotFound):
        ledger.reverse(accounts, 999_999, "no such")


def test_booked_records_cannot_change(accounts: Session) -> None:
    booked = top_up(accounts, 1_000)
    accounts.commit()
    booked.postings[0].amount_minor = 2_000
    with pytest.raises(ImmutableRecord, match="cannot be changed"):
        accounts.flush()
    accounts.rollback()
    accounts.delete(booked.postings[0])
    with pytest.raises(ImmutableRecord, match="cannot be deleted"):
        accounts.flush()
    accounts.rollback()
    accounts.add(Posting(transaction=booked, account=booked.postings[0].account, amount_minor=5))
    with pytest.raises(ImmutableRecord):
        accounts.flush()
    accounts.rollback()
    assert ledger.balance(accounts, CARD) == 1_000
