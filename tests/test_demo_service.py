"""`shahr demo --no-serve` end to end: a real `shahr serve` child fed a simulated morning over the API,
the day closed and cleared, then checked against the database and the taps file the demo leaves behind."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from shahr.backoffice import ledger
from shahr.backoffice.clearing import ClearingReport, clearing_report
from shahr.backoffice.quarantine import list_quarantine
from shahr.backoffice.tables import Account, AccountKind, Card, Posting, Transaction, TransactionKind
from shahr.backoffice.taps import ServiceDay, TapRecord
from shahr.cli import app
from shahr.db import make_engine, session_factory
from shahr.demo_morning import MORNING_ENDS
from shahr.demo_service import DEMO_DIR, TOP_UP_MINOR
from shahr.fares.load import Policy

FEED = Path(__file__).parent.parent / "data" / "mashhad-demo.zip"
CARDS = 60
SEED = 6
"""A seed whose morning has duplicate taps and late uploads on weekdays (the day is yesterday's)."""
DUPLICATE_WITHIN_S = 20
"""The simulator's duplicate: the same card, kind, stop and route again 2-20 s later (docs/taps.md)."""


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The demo's folder and output, run once in a fresh working directory on any free port."""
    cwd = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(cwd)
        options = ["--cards", str(CARDS), "--seed", str(SEED), "--port", "0", "--no-serve"]
        result = CliRunner().invoke(app, ["demo", "--feed", str(FEED), *options])
    assert result.exit_code == 0, result.output
    return cwd / DEMO_DIR, result.output


@pytest.fixture(scope="module")
def session(demo_run: tuple[Path, str]) -> Iterator[Session]:
    engine = make_engine(f"sqlite:///{demo_run[0] / 'demo.sqlite3'}")
    with session_factory(engine)() as session:
        yield session
    engine.dispose()


@pytest.fixture(scope="module")
def report(session: Session) -> ClearingReport:
    """The clearing of the one day the demo closed, read from its database."""
    return clearing_report(session, session.scalars(select(ServiceDay.service_date)).one())


@pytest.fixture(scope="module")
def day(demo_run: tuple[Path, str]) -> pl.DataFrame:
    return pl.read_parquet(demo_run[0] / "taps.parquet")


def morning_of(day: pl.DataFrame, report: ClearingReport, policy: Policy) -> pl.DataFrame:
    noon = datetime.combine(report.service_date, MORNING_ENDS, tzinfo=policy.tz)
    return day.filter(pl.col("tapped_at") < noon.astimezone(UTC))


def test_the_clearing_matches_the_card_debits(demo_run: tuple[Path, str], report: ClearingReport) -> None:
    assert report.day_closed
    assert report.difference_minor == 0
    assert report.total_minor == report.card_debits_minor > 0
    assert sum(o.amount_minor for o in report.operators) == report.total_minor
    output = demo_run[1]
    assert f"Clearing of {report.service_date.isoformat()}, day closed (rials)" in output
    rows = {
        line.split("│")[1].strip(): line.split("│")[2].strip()
        for line in output.splitlines()
        if line.count("│") == 5
    }
    assert rows == {
        **{o.operator: f"{o.amount_minor:,}" for o in report.operators},
        "total": f"{report.total_minor:,}",
        "card debits": f"{report.card_debits_minor:,}",
        "difference": "0",
    }


def test_every_tap_sent_is_stored_once_and_accounted_for(
    demo_run: tuple[Path, str],
    session: Session,
    report: ClearingReport,
    day: pl.DataFrame,
    mashhad_distance: Policy,
) -> None:
    morning = morning_of(day, report, mashhad_distance)
    sent = len(morning)
    assert 0 < sent < len(day)
    assert session.scalar(select(func.count()).select_from(TapRecord)) == sent
    assert report.taps_accepted + report.taps_quarantined == sent
    repeats = morning.sort("card_id", "tapped_at").filter(
        (pl.col("card_id") == pl.col("card_id").shift())
        & (pl.col("kind") == pl.col("kind").shift())
        & (pl.col("stop_id") == pl.col("stop_id").shift())
        & pl.col("route_id").eq_missing(pl.col("route_id").shift())
        & (pl.col("tapped_at") - pl.col("tapped_at").shift() <= pl.duration(seconds=DUPLICATE_WITHIN_S))
    )
    reasons = Counter(tap.reason_code for tap in list_quarantine(session, limit=10_000))
    assert reasons == Counter({"duplicate_tap": len(repeats)})
    assert report.taps_quarantined == len(repeats)
    reasons_text = f"duplicate_tap {len(repeats):,}" if len(repeats) else "none"
    assert (
        f"Taps: {sent:,} sent, {report.taps_accepted:,} accepted, {report.taps_quarantined:,} quarantined "
        f"({reasons_text}), 0 answered as already stored." in demo_run[1]
    )


def test_card_balances_are_the_top_up_less_the_fares(
    session: Session, report: ClearingReport, day: pl.DataFrame
) -> None:
    cards = day.unique("card_id")
    issued = session.scalars(select(Card)).all()
    assert Counter(card.rider_category for card in issued) == Counter(cards["rider_category"].to_list())
    assert len(issued) == len(cards) <= CARDS
    debits = dict(
        session.execute(
            select(Account.code, func.sum(Posting.amount_minor))
            .join(Posting, Posting.account_id == Account.id)
            .join(Transaction, Posting.transaction_id == Transaction.id)
            .where(Transaction.kind == TransactionKind.FARE, Account.kind == AccountKind.CARD_LIABILITY)
            .group_by(Account.code)
        ).all()
    )
    assert sum(debits.values()) == report.card_debits_minor
    for card in issued:
        assert ledger.balance(session, card.account_code) == TOP_UP_MINOR - debits.get(card.account_code, 0)
    assert ledger.is_balanced(session)


def test_the_output_names_the_service(demo_run: tuple[Path, str]) -> None:
    assert "Ten demo journeys on mashhad-demo.zip" in demo_run[1]
    assert re.search(r"The service ran at http://127\.0\.0\.1:\d+ and is stopped", demo_run[1])
