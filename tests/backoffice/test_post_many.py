"""`ledger.post_many`: several transactions booked at once, under every rule `post` keeps, on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from shahr.backoffice import ledger
from shahr.backoffice.errors import ImmutableRecord, InvalidCommand, UnbalancedPostings, UnknownAccount
from shahr.backoffice.tables import AccountKind, Transaction, TransactionKind

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
CARD_A = "card:a"
CARD_B = "card:b"


@pytest.fixture
def accounts(session: Session) -> Session:
    ledger.open_account(session, CARD_A, AccountKind.CARD_LIABILITY)
    ledger.open_account(session, CARD_B, AccountKind.CARD_LIABILITY)
    return session


def fare(card: str, amount: int, reference: str, at: datetime = T0) -> ledger.Entry:
    return ledger.Entry(
        TransactionKind.FARE,
        [(card, amount), (ledger.CLEARING_FARES, -amount)],
        effective_at=at,
        reason="fare",
        reference=reference,
    )


def test_books_each_entry_as_post_would(accounts: Session) -> None:
    entries = [
        fare(CARD_A, 20_000, "card-day:a:2025-03-01"),
        fare(CARD_B, 22_000, "card-day:b:2025-03-01", T0 + timedelta(hours=1)),
        fare(CARD_A, -2_000, "card-day:a:2025-03-01", T0 + timedelta(hours=2)),
    ]
    ids = ledger.post_many(accounts, entries)
    assert len(ids) == 3 and ids == sorted(ids)
    booked = [accounts.get(Transaction, transaction_id) for transaction_id in ids]
    assert [(t.reference, t.effective_at) for t in booked if t is not None] == [
        (e.reference, e.effective_at) for e in entries
    ]
    postings = [[(p.account.code, p.amount_minor) for p in t.postings] for t in booked if t is not None]
    assert postings == [entry.postings for entry in entries]
    assert ledger.balance(accounts, CARD_A) == -18_000  # a card account is credit-normal: it paid 18,000
    assert ledger.balance(accounts, CARD_B) == -22_000
    assert ledger.balance(accounts, ledger.CLEARING_FARES) == 40_000  # clearing:fares opened on first use
    assert ledger.is_balanced(accounts)
    assert ledger.post_many(accounts, []) == []


def test_an_unbalanced_entry_is_refused_naming_it_and_nothing_is_booked(accounts: Session) -> None:
    wrong = ledger.Entry(
        TransactionKind.FARE,
        [(CARD_B, 500), (ledger.CLEARING_FARES, -400)],
        effective_at=T0,
        reason="typo",
        reference="card-day:b:2025-03-01",
    )
    with pytest.raises(UnbalancedPostings, match=r"sum to \+100") as refused:
        ledger.post_many(accounts, [fare(CARD_A, 1_000, "card-day:a:2025-03-01"), wrong])
    assert refused.value.__notes__ == ["entry 2 of 2: 'typo', reference card-day:b:2025-03-01"]
    assert accounts.scalars(select(Transaction)).all() == []


def test_every_check_of_post_holds(accounts: Session) -> None:
    naive = fare(CARD_A, 1_000, "r", at=datetime(2025, 3, 1, 8, 0))
    with pytest.raises(InvalidCommand, match="no time zone"):
        ledger.post_many(accounts, [naive])
    with pytest.raises(InvalidCommand, match="postings of 0 to card:a"):
        ledger.post_many(accounts, [fare(CARD_A, 0, "r")])
    with pytest.raises(UnknownAccount, match="'card:nope'"):
        ledger.post_many(accounts, [fare(CARD_A, 1_000, "r"), fare("card:nope", 1_000, "r")])
    ledger.open_account(accounts, "card:dollars", AccountKind.CARD_LIABILITY, currency="USD")
    with pytest.raises(InvalidCommand, match="several currencies") as refused:
        ledger.post_many(accounts, [fare(CARD_A, 1_000, "r"), fare("card:dollars", 1_000, "usd")])
    assert refused.value.__notes__ == ["entry 2 of 2: 'fare', reference usd"]
    assert accounts.scalars(select(Transaction)).all() == []


def test_what_it_books_cannot_change(accounts: Session) -> None:
    [transaction_id] = ledger.post_many(accounts, [fare(CARD_A, 1_000, "card-day:a:2025-03-01")])
    accounts.commit()
    booked = accounts.get(Transaction, transaction_id)
    assert booked is not None
    booked.reason = "edited"
    with pytest.raises(ImmutableRecord, match="cannot be changed"):
        accounts.flush()
    accounts.rollback()
    accounts.delete(booked.postings[0])
    with pytest.raises(ImmutableRecord, match="cannot be deleted"):
        accounts.flush()
    accounts.rollback()
    assert ledger.balance(accounts, CARD_A) == -1_000
