"""Any sequence of card commands and reversals keeps the ledger sound, and a model in plain dicts agrees
with `balance()` for every card. SQLite only: a fresh copy of a migrated database per example keeps it
fast; the PostgreSQL behaviour of the same commands is covered example by example in test_cards."""

from __future__ import annotations

import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from shahr.backoffice import cards, ledger
from shahr.backoffice.errors import (
    AlreadyReversed,
    CardNotUsable,
    IdempotencyConflict,
    InsufficientBalance,
)
from shahr.backoffice.tables import Account, CardStatus, Posting, Transaction, TransactionKind
from shahr.db import make_engine, session_factory, upgrade

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
AMOUNTS = st.integers(min_value=1, max_value=200_000)


class LedgerMachine(RuleBasedStateMachine):
    cards = Bundle("cards")

    def __init__(self, template: Path) -> None:
        super().__init__()
        self.directory = tempfile.mkdtemp()
        path = Path(self.directory) / "shahr.sqlite3"
        shutil.copy(template, path)
        self.engine = make_engine(f"sqlite:///{path}")
        self.session = session_factory(self.engine)()
        self.steps = 0
        self.balances: dict[str, int] = {}
        self.statuses: dict[str, CardStatus] = {}
        self.effects: dict[int, dict[str, int]] = {}
        """Each transaction's change to card balances, so a reversal can be modelled."""
        self.reversed: set[int] = set()
        self.top_up_keys: dict[str, tuple[str, int, int]] = {}
        """key -> (card, amount, transaction id) of the first top-up under it."""

    def teardown(self) -> None:
        self.session.close()
        self.engine.dispose()
        shutil.rmtree(self.directory)

    def _at(self) -> datetime:
        self.steps += 1
        return T0 + timedelta(minutes=self.steps)

    def _key(self) -> str:
        return f"unique-{self.steps}"

    def _booked(self, transaction_id: int, effect: dict[str, int]) -> None:
        self.effects[transaction_id] = effect
        for card_id, delta in effect.items():
            self.balances[card_id] += delta
        self.session.commit()

    @rule(target=cards, category=st.sampled_from(["adult", "senior"]))
    def create(self, category: str) -> str:
        card = cards.create_card(self.session, category)
        self.session.commit()
        self.balances[card.id] = 0
        self.statuses[card.id] = CardStatus.ACTIVE
        return card.id

    @rule(card_id=cards, amount=AMOUNTS, key=st.sampled_from(["k1", "k2", "k3"]))
    def top_up(self, card_id: str, amount: int, key: str) -> None:
        at = self._at()
        if key in self.top_up_keys:
            first_card, first_amount, first_id = self.top_up_keys[key]
            if (first_card, first_amount) != (card_id, amount):
                with pytest.raises(IdempotencyConflict):
                    cards.top_up(self.session, card_id, amount, key=key, at=at)
                return
            receipt = cards.top_up(self.session, card_id, amount, key=key, at=at)
            assert (receipt.transaction_id, receipt.replayed) == (first_id, True)
            return
        if self.statuses[card_id] != CardStatus.ACTIVE:
            with pytest.raises(CardNotUsable):
                cards.top_up(self.session, card_id, amount, key=key, at=at)
            return
        receipt = cards.top_up(self.session, card_id, amount, key=key, at=at)
        self.top_up_keys[key] = (card_id, amount, receipt.transaction_id)
        self._booked(receipt.transaction_id, {card_id: amount})

    @rule(card_id=cards, amount=AMOUNTS)
    def refund(self, card_id: str, amount: int) -> None:
        at, key = self._at(), self._key()
        if self.statuses[card_id] not in cards.ALLOWED["refund"]:
            with pytest.raises(CardNotUsable):
                cards.refund(self.session, card_id, amount, key=key, at=at)
        elif amount > self.balances[card_id]:
            with pytest.raises(InsufficientBalance):
                cards.refund(self.session, card_id, amount, key=key, at=at)
        else:
            receipt = cards.refund(self.session, card_id, amount, key=key, at=at)
            assert receipt.balance_minor >= 0
            self._booked(receipt.transaction_id, {card_id: -amount})

    @rule(card_id=cards, amount=st.integers(min_value=-50_000, max_value=50_000).filter(bool))
    def adjust(self, card_id: str, amount: int) -> None:
        at, key = self._at(), self._key()
        if self.statuses[card_id] == CardStatus.REPLACED:
            with pytest.raises(CardNotUsable):
                cards.adjust(self.session, card_id, amount, key=key, at=at, reason="test")
            return
        receipt = cards.adjust(self.session, card_id, amount, key=key, at=at, reason="test")
        self._booked(receipt.transaction_id, {card_id: amount})

    @rule(card_id=cards)
    def block(self, card_id: str) -> None:
        if self.statuses[card_id] in cards.ALLOWED["block"]:
            cards.block(self.session, card_id)
            self.statuses[card_id] = CardStatus.BLOCKED
            self.session.commit()

    @rule(target=cards, card_id=cards)
    def replace(self, card_id: str) -> str:
        at, key = self._at(), self._key()
        if self.statuses[card_id] == CardStatus.REPLACED:
            with pytest.raises(CardNotUsable):
                cards.replace(self.session, card_id, key=key, at=at)
            return card_id
        new = cards.replace(self.session, card_id, key=key, at=at)
        moved = self.balances[card_id]
        self.statuses[card_id] = CardStatus.REPLACED
        self.statuses[new.id] = CardStatus.ACTIVE
        self.balances[new.id] = 0
        if moved:
            transfer_id = self.session.scalars(
                select(Transaction.id).where(
                    Transaction.kind == TransactionKind.TRANSFER, Transaction.reference == card_id
                )
            ).one()
            self._booked(transfer_id, {card_id: -moved, new.id: moved})
        self.session.commit()
        return new.id

    @precondition(lambda self: bool(self.effects))
    @rule(pick=st.integers(min_value=0))
    def reverse(self, pick: int) -> None:
        ids = sorted(self.effects)
        original = ids[pick % len(ids)]
        if original in self.reversed:
            with pytest.raises(AlreadyReversed):
                ledger.reverse(self.session, original, "test")
            return
        reversal = ledger.reverse(self.session, original, "test")
        self.reversed.add(original)
        self._booked(reversal.id, {card: -delta for card, delta in self.effects[original].items()})

    @invariant()
    def ledger_balances(self) -> None:
        assert ledger.is_balanced(self.session)
        assert sum(ledger.trial_balance(self.session).values()) == 0

    @invariant()
    def model_agrees(self) -> None:
        for card_id, expected in self.balances.items():
            assert ledger.balance(self.session, f"card:{card_id}") == expected
            own = self.session.scalars(
                select(func.coalesce(func.sum(Posting.amount_minor), 0))
                .join(Account)
                .where(Account.code == f"card:{card_id}")
            ).one()
            assert -own == expected


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "shahr.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


def test_ledger_state_machine(template: Path) -> None:
    run_state_machine_as_test(
        lambda: LedgerMachine(template),
        settings=settings(max_examples=40, stateful_step_count=30, deadline=None),
    )
