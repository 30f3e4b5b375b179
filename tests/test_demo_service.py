"""`shahr demo --no-serve` end to end: a real `shahr serve` child fed a simulated morning over the API,
the day closed and cleared, then checked against the database and the taps file the demo leaves behind;
then the residents' seeded weeks: counts by status as planned, points in their districts near stops, no
phone number in anything public, accountability figures that agree with the statuses, an intact audit log."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from rich.console import Console
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from shahr.backoffice import ledger
from shahr.backoffice.clearing import ClearingReport, clearing_report
from shahr.backoffice.quarantine import list_quarantine
from shahr.backoffice.tables import Account, AccountKind, Card, Posting, Transaction, TransactionKind
from shahr.backoffice.taps import ServiceDay, TapRecord
from shahr.civic.audit import AuditEntry, verify
from shahr.civic.consultations.tables import Consultation
from shahr.civic.consultations.workflow import CITY_PERSON_ID
from shahr.civic.geo import distance_m, load_districts
from shahr.civic.proposals import queries as proposal_queries
from shahr.civic.proposals.tables import Comment, Proposal, ProposalStatus, Support
from shahr.civic.reports import queries as report_queries
from shahr.civic.reports.accountability import accountability
from shahr.civic.reports.tables import CLOSED, EventKind, Report, ReportContact, ReportEvent, ReportStatus
from shahr.civic.settings import CivicSettings
from shahr.civic.text import mask_personal_data
from shahr.civic.verification import Person
from shahr.cli import app
from shahr.db import make_engine, session_factory
from shahr.demo_civic import (
    CATEGORY_SHARES,
    NEAR_STOP_M,
    PHONE_SENTENCE,
    Service,
    Step,
    list_places,
    plan_city,
)
from shahr.demo_morning import MORNING_ENDS
from shahr.demo_report import print_service
from shahr.demo_service import DEMO_DIR, TOP_UP_MINOR
from shahr.fares.load import Policy
from shahr.lab.figures import Figures
from shahr.network import Network, load_feed
from shahr.web.device_client import IssuedCard

FEED = Path(__file__).parent.parent / "data" / "mashhad-demo.zip"
CARDS = 60
SEED = 6
"""A seed whose morning has duplicate taps and late uploads on weekdays (the day is yesterday's)."""
DUPLICATE_WITHIN_S = 20
"""The simulator's duplicate: the same card, kind, stop and route again 2-20 s later (docs/taps.md)."""
REPORTS = {
    ReportStatus.FILED: 9,
    ReportStatus.ACKNOWLEDGED: 11,
    ReportStatus.IN_PROGRESS: 16,
    ReportStatus.RESOLVED: 244,
    ReportStatus.REJECTED: 14 + 6,
}
"""`demo_civic.DEMO_PLAN`: 294 reports, and 6 duplicates merged (rejected) into them."""
PROPOSALS = {
    ProposalStatus.OPEN: 12,
    ProposalStatus.DEBATE: 6,
    ProposalStatus.AWAITING_ANSWER: 1,
    ProposalStatus.ANSWERED: 2,
    ProposalStatus.EXPIRED: 9,
}
DIGIT_RUN = re.compile(r"(?:[0-9\u06f0-\u06f9\u0660-\u0669][\s\-]?){8,}")
"""Eight digits or more in any script, single separators allowed: any phone number, masked or not."""
TEHRAN = ZoneInfo("Asia/Tehran")


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


@pytest.fixture(scope="module")
def civic_now(session: Session) -> datetime:
    """A moment after the seeding: every seeded step is before it."""
    return datetime.now(UTC)


def test_the_reports_and_proposals_are_the_plans(session: Session, demo_run: tuple[Path, str]) -> None:
    statuses = session.execute(select(Report.status, func.count()).group_by(Report.status))
    assert {status: count for status, count in statuses} == REPORTS
    merged = session.scalars(select(Report).where(Report.duplicate_of_id.is_not(None))).all()
    assert len(merged) == 6
    assert {report.status for report in merged} == {ReportStatus.REJECTED}
    reopened = session.scalars(
        select(ReportEvent.report_id).where(ReportEvent.kind == EventKind.REOPEN)
    ).all()
    assert len(reopened) == 2
    assert {session.get_one(Report, report_id).status for report_id in reopened} == {ReportStatus.FILED}
    seeded = select(Proposal.status, func.count()).where(Proposal.id.not_in(select(Consultation.proposal_id)))
    proposals = session.execute(seeded.group_by(Proposal.status))
    assert {status: count for status, count in proposals} == PROPOSALS
    assert (
        "  300 reports: 9 filed, 11 acknowledged, 16 in progress, 244 resolved, 20 rejected "
        "(6 rejected as duplicates);" in demo_run[1]
    )
    assert "  30 proposals: 12 open, 6 debate, 1 awaiting answer, 2 answered, 9 expired;" in demo_run[1]
    counts = [session.scalar(select(func.count()).select_from(t)) for t in (Support, Comment)]
    residents = select(func.count()).select_from(Person).where(Person.id != CITY_PERSON_ID)
    assert [*counts, session.scalar(residents)] == [3_739, 31, 1_067]  # the city authors the consultation
    assert "  3,739 supports and 31 comments from 1,067 verified residents." in demo_run[1]


def test_every_report_is_in_its_district_near_a_stop(session: Session) -> None:
    districts = load_districts(CivicSettings().districts_file)
    stops = load_feed(FEED).stops
    points = list(zip(stops.stop_lat, stops.stop_lon, strict=True))
    for report in session.scalars(select(Report)):
        assert report.lat is not None and report.lon is not None
        assert districts.district_at(report.lat, report.lon).code == report.district_code
        nearest_m = min(distance_m(report.lat, report.lon, lat, lon) for lat, lon in points)
        assert nearest_m <= NEAR_STOP_M + 25  # a duplicate is within 25 m of its original
    assert len(set(session.scalars(select(Report.district_code)))) == 14


def test_no_public_text_has_a_phone_number(session: Session, civic_now: datetime) -> None:
    """Residents typed numbers into some descriptions and one proposal; none reaches a public view."""
    texts: list[str] = []
    for report_id in session.scalars(select(Report.id)):
        view = report_queries.public_report(session, report_id, civic_now)
        texts += [view.description, view.status_note or "", *(str(v) for v in view.attributes.values())]
        texts += [event.note or "" for event in view.history]
    settings = CivicSettings()
    for proposal in proposal_queries.list_proposals(session, settings=settings, now=civic_now, limit=100):
        texts += [proposal.title, proposal.body, proposal.answer_text or ""]
        texts += [c.body for c in proposal_queries.list_comments(session, proposal.id)]
    assert [text for text in texts if DIGIT_RUN.search(text) or mask_personal_data(text) != text] == []
    typed = session.scalars(select(Report.description).where(Report.description.contains("با شماره "))).all()
    assert len(typed) == 21 == sum(text.count("[phone]") for text in texts) - 1  # and the proposal's
    assert all(PHONE_SENTENCE.split("{")[0] in text for text in typed)
    phones = {phone for phone in session.scalars(select(ReportContact.phone)) if phone}
    assert len(phones) == 149
    assert [text for text in texts if any(phone in text for phone in phones)] == []


def test_the_accountability_figures_agree_with_the_statuses(session: Session, civic_now: datetime) -> None:
    districts = load_districts(CivicSettings().districts_file)
    midnight = civic_now.astimezone(TEHRAN).replace(hour=0, minute=0, second=0, microsecond=0)
    since = midnight - timedelta(days=42)
    figures = accountability(session, since=since, until=civic_now, now=civic_now, districts=districts)
    first_filed = session.scalar(select(func.min(Report.filed_at)))
    assert first_filed is not None and first_filed >= since
    counted = session.scalars(select(Report).where(Report.duplicate_of_id.is_(None))).all()
    closed = [r for r in counted if r.status in CLOSED]
    still_open = [r for r in counted if r.status not in CLOSED]
    overall = figures.overall
    assert (overall.filed, overall.closed, overall.open) == (294, 258, 36)
    assert overall.overdue == sum(1 for r in still_open if r.due_at < civic_now) > 0
    assert overall.closed_on_time == sum(1 for r in closed if r.closed_at and r.closed_at <= r.due_at)
    assert 0 < overall.closed_on_time < overall.closed
    assert overall.on_time_share == round(overall.closed_on_time / (overall.closed + overall.overdue), 4)
    for key in ("filed", "closed", "closed_on_time", "open", "overdue"):
        assert sum(getattr(f, key) for f in figures.by_category) == getattr(overall, key)
        assert sum(getattr(f, key) for f in figures.by_district) == getattr(overall, key)
    assert len(figures.by_district) == 14  # every district, none `unplaced`


def test_the_proposals_passed_the_thresholds_their_status_says(session: Session, civic_now: datetime) -> None:
    settings = CivicSettings()
    debate, answer = settings.debate_threshold, settings.answer_threshold
    proposals = session.scalars(select(Proposal).order_by(Proposal.id)).all()
    for proposal in proposals:
        supports = session.scalar(select(func.count()).where(Support.proposal_id == proposal.id))
        assert supports == proposal.support_count
        if proposal.status in (ProposalStatus.OPEN, ProposalStatus.EXPIRED):
            assert proposal.support_count < debate
            assert (proposal.expires_at < civic_now) == (proposal.status is ProposalStatus.EXPIRED)
        else:
            assert proposal.support_count >= debate
            assert (proposal.participant_count >= answer) == (proposal.answer_due_at is not None)
    answered = [p for p in proposals if p.status is ProposalStatus.ANSWERED]
    assert sorted(p.participant_count >= answer for p in answered) == [False, True]
    assert all(p.answer_text and p.answer_office and p.answered_at for p in answered)
    overdue = proposal_queries.list_overdue(session, settings=settings, now=civic_now)
    assert [p.status for p in overdue] == [ProposalStatus.AWAITING_ANSWER]
    in_debate = {p.id for p in proposals if p.debate_opened_at is not None}
    assert set(session.scalars(select(Comment.proposal_id))) == in_debate


def test_the_audit_log_holds_every_support_in_time_order(session: Session) -> None:
    check = verify(session)
    assert check.intact
    supports = session.scalar(select(func.count()).select_from(Support))
    kinds = Counter(session.scalars(select(AuditEntry.kind)))
    assert supports == kinds["proposal.support"] == 3_739
    # 30 seeded proposals and the fare consultation's, published after them
    assert (kinds["proposal.created"], kinds["proposal.answer"], kinds["consultation.published"]) == (
        31,
        2,
        1,
    )
    times = session.scalars(select(AuditEntry.at).order_by(AuditEntry.seq)).all()
    assert times == sorted(times)


def test_the_plan_depends_only_on_the_seed(mashhad_network: Network) -> None:
    districts = load_districts(None)
    places = list_places(load_feed(FEED), mashhad_network, districts)
    services = {code: Service(48, "سامانه ۱۳۷") for code in CATEGORY_SHARES}
    midnight = datetime(2026, 11, 25, tzinfo=TEHRAN)

    def plan(seed: int, now: datetime = midnight) -> list[Step]:
        return plan_city(places, services, districts, CivicSettings(), seed=seed, now=now, zone=TEHRAN)

    first = plan(SEED)
    assert [step.at for step in first] == sorted(step.at for step in first)
    assert first[-1].at < midnight
    week = timedelta(days=7)
    assert plan(SEED, midnight + week) == [replace(step, at=step.at + week) for step in first]
    assert first != plan(SEED + 1)


def test_the_running_service_names_its_pages() -> None:
    console = Console(record=True, width=200)
    rider = IssuedCard("c1", "c1.token")
    day = datetime(2026, 11, 24).date()
    print_service(
        console, "http://127.0.0.1:8000", "tok", day, Path("d"), consultation=(3, rider), serve=True
    )
    lines = console.export_text().splitlines()
    assert lines[1:6] == [
        "Public map of reports: http://127.0.0.1:8000/fa/reports",
        "Proposals: http://127.0.0.1:8000/fa/proposals",
        "Accountability: http://127.0.0.1:8000/fa/accountability",
        "Staff sign-in (with the token below): http://127.0.0.1:8000/fa/staff/login",
        "Fare consultation: http://127.0.0.1:8000/fa/consultations/3; a card token to see one rider's "
        "morning under both fares there: c1.token",
    ]


def test_the_lab_publishes_yesterday_as_a_fare_consultation(
    session: Session, demo_run: tuple[Path, str]
) -> None:
    folder, output = demo_run
    (consultation,) = session.scalars(select(Consultation)).all()
    assert (consultation.reference_id, consultation.policy_id) == ("mashhad-flat", "mashhad-distance")
    assert session.get_one(Proposal, consultation.proposal_id).status is ProposalStatus.OPEN
    figures = Figures.model_validate_json(consultation.figures)
    assert figures.demand.cards > 19_000 and figures.demand.trips > figures.demand.cards
    assert (folder / "lab" / "report.html").read_text().count("<canvas") >= 6
    assert f"published as fare consultation {consultation.id}." in output
