"""Stateful property: after any sequence of top-ups, refunds, tap uploads (any subset of two cards' taps,
repeated, in any order, from any device), pass sales, re-ratings and the day's close, the ledger balances,
each card's balance is its money in less its money out (top-ups, refunds, fares, passes), every tap is
stored once, and the clearing report's total equals the day's card debits once the day is closed (before,
the card-days' charges equal the debits). SQLite, a fresh copy of a migrated database per example."""

from __future__ import annotations

import shutil
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from shahr.backoffice import cards, ledger
from shahr.backoffice.clearing import clearing_report
from shahr.backoffice.errors import InsufficientBalance, PassOverlap
from shahr.backoffice.ingest import ingest_batch
from shahr.backoffice.passes import buy_pass
from shahr.backoffice.rating import close_service_day
from shahr.backoffice.tables import CardPass
from shahr.backoffice.taps import CardDay, TapRecord
from shahr.db import make_engine, session_factory, upgrade
from shahr.fares.load import Policy
from shahr.network import Network
from tests.backoffice.test_ingest_properties import AFTER_MIDNIGHT, CLOSE_AT, POOL, payload

DAY = AFTER_MIDNIGHT - timedelta(days=1)
BEFORE_FIRST_TAP = datetime.fromisoformat(payload(0, ["x", "y"])["tapped_at"]) - timedelta(hours=2)


class FareMachine(RuleBasedStateMachine):
    def __init__(self, template: Path, policy: Policy, network: Network) -> None:
        super().__init__()
        self.directory = tempfile.mkdtemp()
        path = Path(self.directory) / "shahr.sqlite3"
        shutil.copy(template, path)
        self.engine = make_engine(f"sqlite:///{path}")
        self.session = session_factory(self.engine)()
        self.rules = {"policy": policy, "network": network}
        self.policy = policy
        self.money_in: dict[str, int] = {}
        self.sent: set[int] = set()
        self.closed = False
        self.steps = 0

    def teardown(self) -> None:
        self.session.close()
        self.engine.dispose()
        shutil.rmtree(self.directory)

    def _key(self) -> str:
        self.steps += 1
        return f"key-{self.steps}"

    @initialize()
    def two_cards(self) -> None:
        self.card_ids = [cards.create_card(self.session, "adult").id for _ in range(2)]
        self.money_in = dict.fromkeys(self.card_ids, 0)
        self.session.commit()

    @rule(card=st.sampled_from([0, 1]), amount=st.integers(1, 900_000))
    def top_up(self, card: int, amount: int) -> None:
        card_id = self.card_ids[card]
        cards.top_up(self.session, card_id, amount, key=self._key(), at=BEFORE_FIRST_TAP)
        self.money_in[card_id] += amount
        self.session.commit()

    @rule(card=st.sampled_from([0, 1]), amount=st.integers(1, 100_000))
    def refund(self, card: int, amount: int) -> None:
        card_id = self.card_ids[card]
        try:
            cards.refund(self.session, card_id, amount, key=self._key(), at=CLOSE_AT)
        except InsufficientBalance:
            self.session.rollback()
            return
        self.money_in[card_id] -= amount
        self.session.commit()

    @rule(batch=st.lists(st.sampled_from(range(len(POOL))), min_size=1, max_size=6))
    def upload(self, batch: list[int]) -> None:
        for device in sorted({POOL[i][1] for i in batch}):
            taps = [payload(i, self.card_ids) for i in batch if POOL[i][1] == device]
            ingest_batch(self.session, device, taps, now=CLOSE_AT, **self.rules)
        self.sent |= set(batch)
        self.session.commit()

    @rule(card=st.sampled_from([0, 1]), product=st.sampled_from(["pass-1", "pass-30-postpaid"]))
    def buy_pass(self, card: int, product: str) -> None:
        card_id = self.card_ids[card]
        try:
            buy_pass(self.session, self.policy, card_id, product, DAY, key=self._key(), at=BEFORE_FIRST_TAP)
        except (InsufficientBalance, PassOverlap):
            self.session.rollback()
            return
        self.session.commit()

    @precondition(lambda self: not self.closed)
    @rule()
    def close_day(self) -> None:
        close_service_day(self.session, DAY, now=CLOSE_AT, **self.rules)
        self.closed = True
        self.session.commit()

    @invariant()
    def ledger_balances(self) -> None:
        assert ledger.is_balanced(self.session)

    @invariant()
    def balances_are_money_in_less_fares_and_passes(self) -> None:
        for card_id, money_in in self.money_in.items():
            fares = self.session.scalar(
                select(func.coalesce(func.sum(CardDay.total_minor), 0)).where(CardDay.card_id == card_id)
            )
            passes = self.session.scalar(
                select(func.coalesce(func.sum(CardPass.price_minor), 0)).where(
                    CardPass.card_id == card_id, CardPass.transaction_id.is_not(None)
                )
            )
            expected = money_in - int(fares or 0) - int(passes or 0)
            assert ledger.balance(self.session, f"card:{card_id}") == expected

    @invariant()
    def every_tap_stored_once(self) -> None:
        assert self.session.scalar(select(func.count()).select_from(TapRecord)) == len(self.sent)

    @invariant()
    def clearing_equals_debits(self) -> None:
        report = clearing_report(self.session, DAY)
        charged = self.session.scalar(
            select(func.coalesce(func.sum(CardDay.total_minor), 0)).where(CardDay.service_date == DAY)
        )
        assert report.card_debits_minor == int(charged or 0)
        if self.closed:
            assert report.difference_minor == 0


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "shahr.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


def test_fare_state_machine(template: Path, mashhad_distance: Policy, mashhad_network: Network) -> None:
    run_state_machine_as_test(
        lambda: FareMachine(template, mashhad_distance, mashhad_network),
        settings=settings(max_examples=25, stateful_step_count=15, deadline=None),
    )
