"""Fare consultations on SQLite and PostgreSQL: publication through the proposals' workflow (the city as
author, the audit entry with the texts' hashes), every refusal naming its field, moderation hiding the
consultation with its proposal, and a card holder's own figures: the card's taps go in through the real
ingestion path, and every day's total is held to `FareEngine.rate` over the same taps computed here.

Fares on the demo feed, worked out by hand:
- the metro from st_vakilabad to st_airport is 22.992 km along the rails: under `mashhad-distance`
  22,000 base (first 10 km) + 3 steps of 5 km (10-15, 15-20, 20-22.992) x 2,000 = 28,000 rials; under
  `mashhad-flat` (1404 revision) one boarding, 20,000;
- feeder F03 (b_golshahr -> b_tabarsi) then the metro (st_tabarsi -> st_shariati), 14.7 km: one journey
  under `mashhad-distance`, the metro's base 22,000 + 1 step of 5 km x 2,000 = 24,000; two boardings
  under `mashhad-flat`, 40,000;
- three metro rides end to end in a day: 3 x 28,000 = 84,000 in fares, charged the daily cap of 60,000
  under `mashhad-distance`; 3 x 20,000 = 60,000 under `mashhad-flat` (which has no cap).
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from shahr.backoffice import cards
from shahr.backoffice.ingest import ingest_batch
from shahr.civic import audit
from shahr.civic.consultations import queries, rider, workflow
from shahr.civic.consultations.errors import ConsultationNotFound, InvalidConsultation
from shahr.civic.consultations.tables import Consultation
from shahr.civic.geo import load_districts
from shahr.civic.proposals import moderation
from shahr.civic.proposals.errors import InvalidProposal
from shahr.civic.proposals.tables import Decision, Proposal, ProposalStatus, TargetKind, Visibility
from shahr.civic.settings import CivicSettings
from shahr.civic.verification import Person
from shahr.cli import app
from shahr.db import make_engine, session_factory
from shahr.fares.engine import FareEngine
from shahr.fares.load import Policy, load_policy, parse_policy
from shahr.fares.model import Tap, TapKind
from shahr.network import Network
from tests.lab.example_figures import example_figures

TEHRAN = ZoneInfo("Asia/Tehran")
PRESETS = resources.files("shahr.fares") / "presets"
DISTANCE_TOML = (PRESETS / "mashhad-distance.toml").read_text(encoding="utf-8")
FLAT_TOML = (PRESETS / "mashhad-flat.toml").read_text(encoding="utf-8")
SEOUL_TOML = (PRESETS / "seoul-2025.toml").read_text(encoding="utf-8")
NOW = datetime(2025, 10, 7, 21, 0, tzinfo=TEHRAN)
TODAY = date(2025, 10, 7)
"""The window is 2025-09-08 to 2025-10-07."""

Ride = tuple[str | None, str, str, str, str]
"""(route, boarding stop, time, alighting stop, time); no route: the metro."""
METRO_END_TO_END: Ride = (None, "st_vakilabad", "07:30", "st_airport", "08:20")
FEEDER: Ride = ("F03", "b_golshahr", "07:20", "b_tabarsi", "07:35")
METRO_ON_FROM_FEEDER: Ride = (None, "st_tabarsi", "07:42", "st_shariati", "08:05")
RIDES: dict[date, list[Ride]] = {
    date(2025, 9, 2): [METRO_END_TO_END],  # before the window: not shown, but in its first (Jalali) month
    date(2025, 9, 10): [METRO_END_TO_END],
    date(2025, 10, 5): [FEEDER, METRO_ON_FROM_FEEDER],
    TODAY: [
        METRO_END_TO_END,
        (None, "st_vakilabad", "12:00", "st_airport", "12:50"),
        (None, "st_vakilabad", "17:00", "st_airport", "17:50"),
    ],
}

METRO_TWO_STOPS: Ride = (None, "st_kowsar", "18:10", "st_azadi", "18:16")
"""1.9 km: the metro's base, 22,000, under `mashhad-distance`; 20,000 under `mashhad-flat`."""


def recent_rides(today: date) -> dict[date, list[Ride]]:
    """Rides on days before `today` (none later than yesterday, so none is ahead of the server's clock),
    no day over the daily cap: 20,000 + 40,000 + 40,000 = 100,000 under `mashhad-flat`, 28,000 + 24,000 +
    (28,000 + 22,000) = 102,000 under `mashhad-distance`."""
    return {
        today - timedelta(days=8): [METRO_END_TO_END],
        today - timedelta(days=3): [FEEDER, METRO_ON_FROM_FEEDER],
        today - timedelta(days=1): [METRO_END_TO_END, METRO_TWO_STOPS],
    }


def publish(session: Session, **change: Any) -> workflow.Published:
    arguments: dict[str, Any] = {
        "title": "کرایهٔ مسافتی برای مشهد",
        "body": None,
        "policy_toml": DISTANCE_TOML,
        "reference_toml": FLAT_TOML,
        "figures": example_figures(),
        "staff": "سارا",
        "districts": load_districts(None),
        "settings": CivicSettings(),
        "now": NOW,
    }
    return workflow.publish(session, **(arguments | change))


def tap_payloads(card_id: str, rides: dict[date, list[Ride]]) -> list[dict[str, Any]]:
    """The rides as a validator uploads them: a tap-on and a tap-off each, numbered."""
    taps: list[dict[str, Any]] = []
    for day, day_rides in rides.items():
        for route, board, on, alight, off in day_rides:
            for kind, stop, clock in (("on", board, on), ("off", alight, off)):
                when = datetime.combine(day, datetime.strptime(clock, "%H:%M").time(), tzinfo=TEHRAN)
                tap: dict[str, Any] = {"card_id": card_id, "kind": kind, "tapped_at": when.isoformat()}
                tap |= {"seq": len(taps) + 1, "stop_id": stop} | ({"route_id": route} if route else {})
                taps.append(tap)
    return taps


def engine_taps(rides: list[Ride], day: date) -> list[Tap]:
    """The same rides as the engine's taps, built here, not read back from the database."""
    taps = []
    for route, board, on, alight, off in rides:
        for kind, stop, clock in ((TapKind.ON, board, on), (TapKind.OFF, alight, off)):
            when = datetime.combine(day, datetime.strptime(clock, "%H:%M").time(), tzinfo=TEHRAN)
            taps.append(Tap(kind, when, stop, route))
    return taps


def engine_totals(policy: Policy, network: Network, rides: dict[date, list[Ride]]) -> dict[date, int]:
    engine = FareEngine(policy, network)
    return {day: engine.rate(engine_taps(day_rides, day)).total_minor for day, day_rides in rides.items()}


def test_publishing_creates_a_proposal_by_the_city_and_an_audit_entry(session: Session) -> None:
    done = publish(session)
    session.commit()
    proposal, row = done.proposal, done.consultation
    assert (proposal.author_id, proposal.category, proposal.district_code) == ("city", "transport", None)
    assert (proposal.status, proposal.visibility) == (ProposalStatus.OPEN, Visibility.PUBLISHED)
    assert proposal.title == row.title == "کرایهٔ مسافتی برای مشهد"
    assert "mashhad-distance" in proposal.body and "mashhad-flat" in proposal.body
    assert (row.policy_id, row.reference_id, row.created_by) == ("mashhad-distance", "mashhad-flat", "سارا")
    assert row.policy_name == "Mashhad integrated distance-based fare (illustrative)"
    assert row.policy_toml == DISTANCE_TOML and row.reference_toml == FLAT_TOML

    entries = session.scalars(select(audit.AuditEntry).order_by(audit.AuditEntry.seq)).all()
    assert [(e.kind, e.subject, e.actor) for e in entries] == [
        ("proposal.created", f"proposal:{proposal.id}", "person:city"),
        ("consultation.published", f"consultation:{row.id}", "staff:سارا"),
    ]
    assert json.loads(entries[1].data) == {
        "proposal_id": proposal.id,
        "policy": "mashhad-distance",
        "reference": "mashhad-flat",
        "policy_sha256": hashlib.sha256(DISTANCE_TOML.encode()).hexdigest(),
        "reference_sha256": hashlib.sha256(FLAT_TOML.encode()).hexdigest(),
        "figures_sha256": hashlib.sha256(example_figures().model_dump_json().encode()).hexdigest(),
    }
    assert audit.verify(session).intact

    second = publish(session, title="دومین نظرخواهی کرایه")
    session.commit()
    assert session.scalar(select(func.count()).select_from(Person)) == 1  # the city, made once
    views = queries.list_consultations(session, settings=CivicSettings(), now=NOW)
    assert [v.id for v in views] == [second.consultation.id, row.id]  # newest first (same time: by id)
    view = queries.get_consultation(session, row.id, settings=CivicSettings(), now=NOW)
    assert view.figures == example_figures()
    assert (view.comparison.policy, view.comparison.against) == ("mashhad-distance", "mashhad-flat")
    assert (view.reference_figures.average_fare, view.proposed_figures.average_fare) == (24_407, 21_502)
    assert view.proposal.id == proposal.id and view.proposal.support_count == 0
    policies = queries.get_policies(session, row.id)
    assert (policies.proposed.id, policies.reference.id) == ("mashhad-distance", "mashhad-flat")


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"policy_toml": 'id = "x"\n'}, "body.policy", "name: Field required"),
        ({"policy_toml": "id = [\n"}, "body.policy", "not valid TOML"),
        ({"reference_toml": FLAT_TOML.replace("20000", "-1", 1)}, "body.reference", "greater than or equal"),
        ({"policy_toml": FLAT_TOML}, "body.policy", "both 'mashhad-flat'"),
        (
            {"policy_toml": FLAT_TOML, "reference_toml": DISTANCE_TOML},
            "body.figures.reference",
            "the figures compare against 'mashhad-flat', but the reference policy is 'mashhad-distance'",
        ),
        (
            {"policy_toml": DISTANCE_TOML.replace('id = "mashhad-distance"', 'id = "mashhad-2026"')},
            "body.figures.policies",
            "not the proposed 'mashhad-2026'",
        ),
        ({"policy_toml": SEOUL_TOML}, "body.figures.currency", "is in KRW, the figures in IRR"),
        (
            {"figures": example_figures().model_copy(update={"comparisons": []})},
            "body.figures.comparisons",
            "no comparison of 'mashhad-distance' against 'mashhad-flat'",
        ),
    ],
)
def test_publication_refuses_what_does_not_match(
    session: Session, change: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(InvalidConsultation) as refused:
        publish(session, **change)
    assert refused.value.field == field
    assert words in str(refused.value)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Consultation)) == 0
    assert session.scalar(select(func.count()).select_from(Proposal)) == 0


def test_a_title_the_proposals_refuse_is_refused(session: Session) -> None:
    with pytest.raises(InvalidProposal) as refused:
        publish(session, title="کرا")
    assert refused.value.field == "body.title"


def test_moderation_hides_the_consultation_with_its_proposal(session: Session) -> None:
    held = CivicSettings(screen_words=("ممنوع",))
    done = publish(session, body="این متن یک واژهٔ ممنوع دارد و باید بررسی شود.", settings=held)
    session.commit()
    assert done.proposal.visibility is Visibility.PENDING
    assert queries.list_consultations(session, settings=held, now=NOW) == []
    with pytest.raises(ConsultationNotFound):
        queries.get_consultation(session, done.consultation.id, settings=held, now=NOW)
    with pytest.raises(ConsultationNotFound):
        queries.get_policies(session, done.consultation.id)

    moderation.decide(
        session, TargetKind.PROPOSAL, done.proposal.id, Decision.APPROVED, moderator="مینا", now=NOW
    )
    session.commit()
    assert [v.id for v in queries.list_consultations(session, settings=held, now=NOW)] == [
        done.consultation.id
    ]


def test_a_riders_days_are_the_engines_under_both_policies(
    session: Session, mashhad_distance: Policy, mashhad_network: Network
) -> None:
    card = cards.create_card(session, "adult")
    result = ingest_batch(
        session,
        "gate-1",
        tap_payloads(card.id, RIDES),
        policy=mashhad_distance,
        network=mashhad_network,
        now=NOW,
    )
    assert result.quarantined == 0
    session.commit()
    flat = load_policy("mashhad-flat")

    mine = rider.rider_fares(
        session, card.id, proposed=mashhad_distance, reference=flat, network=mashhad_network, today=TODAY
    )

    shown = [day for day in RIDES if day >= date(2025, 9, 8)]
    assert [day.service_date for day in mine.days] == shown
    assert (mine.first_day, mine.last_day, mine.rider_category) == (date(2025, 9, 8), TODAY, "adult")
    reference = engine_totals(flat, mashhad_network, RIDES)
    proposed = engine_totals(mashhad_distance, mashhad_network, RIDES)
    assert [day.reference.fares_minor for day in mine.days] == [reference[d] for d in shown]
    assert [day.proposed.fares_minor for day in mine.days] == [proposed[d] for d in shown]
    assert [reference[d] for d in shown] == [20_000, 40_000, 60_000]  # by hand, above
    assert [proposed[d] for d in shown] == [28_000, 24_000, 84_000]

    today = mine.days[-1]
    assert (today.proposed.charged_minor, today.proposed.capped_by) == (60_000, "daily cap")
    assert (today.reference.charged_minor, today.reference.capped_by) == (60_000, None)
    assert mine.reference_minor == 20_000 + 40_000 + 60_000
    assert mine.proposed_minor == 28_000 + 24_000 + 60_000
    assert mine.journeys == (1 + 2 + 3, 1 + 1 + 3)  # the feeder and the metro are one journey

    metro = mine.days[0].proposed.journeys[0]
    assert (metro.fare_minor, metro.modes) == (28_000, ("metro",))
    assert metro.lines[0].startswith("Fare 28,000 IRR for 1 leg(s), 23.0 km (adult, card; mashhad-distance")
    assert mine.days[1].proposed.journeys[0].modes == ("feeder", "metro")
    # The service rates with mashhad-distance too, so the card was charged what the proposal says, caps in.
    assert [day.charged.charged_minor if day.charged else None for day in mine.days] == [
        28_000,
        24_000,
        60_000,
    ]
    assert mine.days[-1].charged is not None and mine.days[-1].charged.capped_by == "daily cap"
    assert mine.charged_minor == mine.proposed_minor


def test_a_month_counts_its_days_before_the_window(
    session: Session, mashhad_distance: Policy, mashhad_network: Network
) -> None:
    """A monthly cap of 50,000: Shahrivar 1404 runs from 2025-08-23 to 09-22, so the ride of 09-02 (before
    the window) leaves 22,000 for 09-10; Mehr starts afresh on 09-23."""
    card = cards.create_card(session, "adult")
    ingest_batch(
        session,
        "gate-1",
        tap_payloads(card.id, RIDES),
        policy=mashhad_distance,
        network=mashhad_network,
        now=NOW,
    )
    session.commit()
    tight = parse_policy(DISTANCE_TOML.replace("monthly = { adult = 1000000,", "monthly = { adult = 50000,"))

    mine = rider.rider_fares(
        session,
        card.id,
        proposed=tight,
        reference=mashhad_distance,
        network=mashhad_network,
        today=TODAY,
    )

    assert [(d.service_date, d.proposed.charged_minor, d.proposed.capped_by) for d in mine.days] == [
        (date(2025, 9, 10), 22_000, "monthly cap"),
        (date(2025, 10, 5), 24_000, None),
        (TODAY, 50_000 - 24_000, "monthly cap"),
    ]
    assert [d.reference.charged_minor for d in mine.days] == [28_000, 24_000, 60_000]


def test_a_card_without_journeys_has_an_empty_window(
    session: Session, mashhad_distance: Policy, mashhad_network: Network
) -> None:
    card = cards.create_card(session, "youth", birth_date=date(2012, 1, 1))
    session.commit()
    mine = rider.rider_fares(
        session,
        card.id,
        proposed=mashhad_distance,
        reference=load_policy("mashhad-flat"),
        network=mashhad_network,
        today=TODAY,
    )
    assert (mine.days, mine.reference_minor, mine.proposed_minor, mine.charged_minor) == ((), 0, 0, 0)


def test_the_command_publishes_from_a_preset_and_a_file(database_url: str, tmp_path: Path) -> None:
    figures = tmp_path / "figures.json"
    figures.write_text(example_figures().model_dump_json(), encoding="utf-8")
    flat = tmp_path / "today.toml"
    flat.write_text(FLAT_TOML, encoding="utf-8")
    command = ["civic", "consultation", "publish", "--figures", str(figures), "--database-url", database_url]
    command += ["--policy", "mashhad-distance", "--reference", str(flat), "--title", "کرایهٔ مسافتی"]

    result = CliRunner().invoke(app, [*command, "--staff", "سارا"])

    assert result.exit_code == 0, result.output
    assert "consultation 1 published with proposal 1 (published): /fa/consultations/1" in result.output
    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as session:
            row = session.get(Consultation, 1)
            assert row is not None
            assert (row.policy_toml, row.reference_toml, row.created_by) == (DISTANCE_TOML, FLAT_TOML, "سارا")
    finally:
        engine.dispose()

    figures.write_text('{"title": "no figures"}', encoding="utf-8")
    refused = CliRunner().invoke(app, command)
    assert refused.exit_code == 2
    assert "figures.json: created_at: Field required" in refused.output
    figures.write_text(example_figures().model_dump_json(), encoding="utf-8")
    missing = CliRunner().invoke(app, [*command, "--policy", "no-such-fare"])  # the last --policy given
    assert missing.exit_code == 2 and "no preset or file named 'no-such-fare'" in missing.output
