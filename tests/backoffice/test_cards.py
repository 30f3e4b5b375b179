"""Card commands, one test per outcome, with exact amounts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shahr.backoffice import cards, ledger
from shahr.backoffice.errors import (
    CardNotFound,
    CardNotUsable,
    IdempotencyConflict,
    InsufficientBalance,
    InvalidCommand,
)
from shahr.backoffice.tables import CardStatus, Transaction, TransactionKind

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def transactions(session: Session) -> int:
    return session.scalars(select(func.count()).select_from(Transaction)).one()


def balance(session: Session, card_id: str, at: datetime | None = None) -> int:
    return ledger.balance(session, f"card:{card_id}", at)


def test_create_card(session: Session) -> None:
    card = cards.create_card(session, "adult")
    assert len(card.id) == 16
    assert card.status == CardStatus.ACTIVE
    assert card.medium == "card"
    assert card.category_valid_until is None
    assert cards.get_card(session, card.id) is card
    assert balance(session, card.id) == 0


def test_youth_card_ends_the_day_before_the_19th_birthday(session: Session) -> None:
    born = date(datetime.now(UTC).year - 12, 5, 17)
    card = cards.create_card(session, "youth", medium="qr", birth_date=born)
    assert card.category_valid_until == date(born.year + 19, 5, 16)


def test_valid_until_for_a_leap_day_birth() -> None:
    assert cards.valid_until(date(2008, 2, 29), 19) == date(2027, 2, 28)
    assert cards.valid_until(date(2008, 3, 1), 19) == date(2027, 2, 28)
    assert cards.valid_until(date(2005, 2, 28), 19) == date(2024, 2, 27)


def test_youth_card_needs_a_birth_date_still_young(session: Session) -> None:
    with pytest.raises(InvalidCommand, match="needs the rider's birth date"):
        cards.create_card(session, "youth")
    with pytest.raises(InvalidCommand, match="category ended on 2019-12-31"):
        cards.create_card(session, "youth", birth_date=date(2001, 1, 1))


def test_card_ids_never_pass_for_bank_card_numbers() -> None:
    draws = iter(["4111111111111111", "4012888888881881", "4111111111111112"])
    assert cards.looks_like_bank_card("4111111111111111")
    assert not cards.looks_like_bank_card("4111111111111112")
    assert not cards.looks_like_bank_card("4111aa1111111111")
    assert not cards.looks_like_bank_card("41111111111")
    assert cards.new_card_id(lambda: next(draws)) == "4111111111111112"


def test_find_and_get_missing_card(session: Session) -> None:
    assert cards.find_card(session, "nope") is None
    with pytest.raises(CardNotFound, match="'nope'"):
        cards.get_card(session, "nope")
    with pytest.raises(CardNotFound):
        cards.top_up(session, "nope", 1_000, key="k", at=T0)


def test_top_up_and_refund(session: Session) -> None:
    card = cards.create_card(session, "adult")
    first = cards.top_up(session, card.id, 50_000, key="t1", at=T0)
    assert (first.amount_minor, first.balance_minor, first.replayed) == (50_000, 50_000, False)
    cards.top_up(session, card.id, 20_000, key="t2", at=T0 + timedelta(minutes=5))
    refunded = cards.refund(session, card.id, 45_000, key="r1", at=T0 + timedelta(hours=1))
    assert refunded.balance_minor == 25_000
    assert balance(session, card.id) == 25_000
    assert ledger.balance(session, ledger.FLOAT_TOPUPS) == 25_000
    assert ledger.is_balanced(session)


def test_refund_beyond_balance_refused(session: Session) -> None:
    card = cards.create_card(session, "adult")
    cards.top_up(session, card.id, 10_000, key="t1", at=T0)
    with pytest.raises(InsufficientBalance, match="refund of 10001 exceeds the balance of 10000"):
        cards.refund(session, card.id, 10_001, key="r1", at=T0)
    assert cards.refund(session, card.id, 10_000, key="r1", at=T0).balance_minor == 0


def test_amounts_must_be_positive(session: Session) -> None:
    card = cards.create_card(session, "adult")
    with pytest.raises(InvalidCommand, match="positive, got 0"):
        cards.top_up(session, card.id, 0, key="t1", at=T0)
    with pytest.raises(InvalidCommand, match="positive, got -5"):
        cards.refund(session, card.id, -5, key="r1", at=T0)
    with pytest.raises(InvalidCommand, match="adjustment of 0"):
        cards.adjust(session, card.id, 0, key="a1", at=T0, reason="nothing")


def test_replayed_top_up_books_nothing(session: Session) -> None:
    card = cards.create_card(session, "adult")
    first = cards.top_up(session, card.id, 50_000, key="t1", at=T0)
    cards.top_up(session, card.id, 10_000, key="t2", at=T0)
    # a retry, stamped later by the client: the same request, the first answer
    again = cards.top_up(session, card.id, 50_000, key="t1", at=T0 + timedelta(seconds=30))
    assert again == cards.Receipt(first.transaction_id, card.id, 50_000, 50_000, replayed=True)
    assert transactions(session) == 2
    assert balance(session, card.id) == 60_000


def test_reused_key_with_another_request_conflicts(session: Session) -> None:
    card = cards.create_card(session, "adult")
    other = cards.create_card(session, "adult")
    cards.top_up(session, card.id, 50_000, key="t1", at=T0)
    with pytest.raises(IdempotencyConflict, match="'t1' \\(top_up\\) was already used"):
        cards.top_up(session, card.id, 60_000, key="t1", at=T0)
    with pytest.raises(IdempotencyConflict):
        cards.top_up(session, other.id, 50_000, key="t1", at=T0)
    # the same key in another command's scope is a different key
    assert cards.refund(session, card.id, 1_000, key="t1", at=T0).balance_minor == 49_000
    assert transactions(session) == 2


def test_replay_survives_commit(session: Session) -> None:
    card = cards.create_card(session, "adult")
    first = cards.top_up(session, card.id, 50_000, key="t1", at=T0)
    session.commit()
    session.expire_all()
    assert cards.top_up(session, card.id, 50_000, key="t1", at=T0).transaction_id == first.transaction_id
    assert transactions(session) == 1


def test_adjust_both_ways(session: Session) -> None:
    card = cards.create_card(session, "senior")
    cards.top_up(session, card.id, 10_000, key="t1", at=T0)
    credited = cards.adjust(session, card.id, 3_000, key="a1", at=T0, reason="validator fault, goodwill")
    assert credited.balance_minor == 13_000
    debited = cards.adjust(session, card.id, -15_000, key="a2", at=T0, reason="missed fare")
    assert debited.balance_minor == -2_000
    assert ledger.balance(session, ledger.ADJUSTMENTS) == -12_000
    with pytest.raises(IdempotencyConflict):
        cards.adjust(session, card.id, 3_000, key="a1", at=T0, reason="another reason")
    assert ledger.is_balanced(session)


def test_block_and_report_lost(session: Session) -> None:
    card = cards.create_card(session, "adult")
    cards.top_up(session, card.id, 10_000, key="t1", at=T0)
    assert cards.block(session, card.id).status == CardStatus.BLOCKED
    assert cards.block(session, card.id).status == CardStatus.BLOCKED
    with pytest.raises(CardNotUsable, match="is blocked: top_up is not allowed"):
        cards.top_up(session, card.id, 1_000, key="t2", at=T0)
    assert cards.refund(session, card.id, 4_000, key="r1", at=T0).balance_minor == 6_000
    assert cards.report_lost(session, card.id).status == CardStatus.LOST
    with pytest.raises(CardNotUsable, match="is lost: refund is not allowed"):
        cards.refund(session, card.id, 1_000, key="r2", at=T0)
    with pytest.raises(CardNotUsable, match="is lost: block is not allowed"):
        cards.block(session, card.id)


def test_replace_moves_exactly_the_balance(session: Session) -> None:
    card = cards.create_card(session, "youth", birth_date=date(datetime.now(UTC).year - 15, 1, 2))
    cards.top_up(session, card.id, 50_000, key="t1", at=T0)
    cards.refund(session, card.id, 12_345, key="r1", at=T0 + timedelta(minutes=1))
    cards.report_lost(session, card.id)
    replaced_at = T0 + timedelta(hours=3)
    new = cards.replace(session, card.id, key="x1", at=replaced_at)
    assert (new.rider_category, new.medium, new.status) == ("youth", "card", CardStatus.ACTIVE)
    assert new.category_valid_until == card.category_valid_until
    assert (card.status, card.replaced_by) == (CardStatus.REPLACED, new.id)
    assert balance(session, card.id) == 0
    assert balance(session, new.id) == 37_655
    assert balance(session, new.id, at=replaced_at - timedelta(seconds=1)) == 0
    transfer = session.scalars(select(Transaction).where(Transaction.kind == TransactionKind.TRANSFER)).one()
    assert sorted(p.amount_minor for p in transfer.postings) == [-37_655, 37_655]
    assert ledger.is_balanced(session)


def test_replaced_card_takes_nothing(session: Session) -> None:
    card = cards.create_card(session, "adult")
    new = cards.replace(session, card.id, key="x1", at=T0)
    assert transactions(session) == 0  # nothing to move
    with pytest.raises(
        CardNotUsable, match=f"is replaced: top_up is not allowed; it was replaced by '{new.id}'"
    ):
        cards.top_up(session, card.id, 1_000, key="t1", at=T0)
    with pytest.raises(CardNotUsable):
        cards.replace(session, card.id, key="x2", at=T0)
    with pytest.raises(CardNotUsable):
        cards.adjust(session, card.id, 1_000, key="a1", at=T0, reason="late credit")


def test_replayed_replacement_returns_the_same_card(session: Session) -> None:
    card = cards.create_card(session, "adult")
    cards.top_up(session, card.id, 8_000, key="t1", at=T0)
    new = cards.replace(session, card.id, key="x1", at=T0)
    assert cards.replace(session, card.id, key="x1", at=T0).id == new.id
    with pytest.raises(IdempotencyConflict):
        cards.replace(session, new.id, key="x1", at=T0)
    assert balance(session, new.id) == 8_000
    assert transactions(session) == 2


def test_naive_time_refused(session: Session) -> None:
    card = cards.create_card(session, "adult")
    with pytest.raises(InvalidCommand, match="at 2025-03-01T08:00:00 has no time zone"):
        cards.top_up(session, card.id, 1_000, key="t1", at=datetime(2025, 3, 1, 8, 0))
