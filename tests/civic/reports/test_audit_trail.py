"""What a report's public steps leave in the hash-chained audit log, on both databases: status changes,
public notes, merges and reopenings, each with the note as its sha256; internal notes and assignments
leave nothing; the chain verifies."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from shahr.civic import audit
from shahr.civic.geo import Districts
from shahr.civic.reports import workflow
from shahr.civic.reports.errors import TransitionRefused
from shahr.civic.reports.settings import ReportSettings
from shahr.civic.reports.tables import ReportStatus
from tests.civic.reports.conftest import HARAM

NOW = datetime(2025, 11, 28, 10, 0, tzinfo=UTC)
SHA256 = {
    "seen": "7208794c984ea1c75d13877c7427336fe98722c41a056eeee4f37360ec367123",
    "ok": "2689367b205c16ce32ed4200942b8b8b1e262dfc70d9bc9fbc77c49699a4f1df",
    "fixed": "992a93455c71fedd36ac9bbc439952c041cf61445958472af479269b8d873513",
    "still broken": "97025fd789c9ac9408f37499a333681636b79ae6fce6ad403acc54a717aac975",
    "Duplicate of report 1.": "0150c0e8542e6f0ad377ad53389d72632cda3b1df3ce2a30e2471c36bf777e2a",
}
"""sha256 of each note's UTF-8 text, worked out apart from the code under test (`sha256sum`)."""


def test_public_steps_are_audited_and_internal_ones_are_not(
    session: Session, settings: ReportSettings, districts: Districts
) -> None:
    def file() -> workflow.Filed:
        new = workflow.NewReport("road_damage", "چاله", lat=HARAM[0], lon=HARAM[1])
        return workflow.file_report(session, new, settings=settings, districts=districts, now=NOW)

    first, second = file(), file()
    assert (first.report.id, second.report.id) == (1, 2)
    later = NOW + timedelta(hours=1)
    workflow.change_status(session, 1, ReportStatus.ACKNOWLEDGED, "seen", actor="Sara", now=later)
    workflow.add_note(session, 1, "the caller is a neighbour", internal=True, actor="Sara", now=later)
    workflow.assign(session, 1, "ناحیه ثامن", actor="Sara", now=later)
    workflow.add_note(session, 1, "ok", internal=False, actor="Sara", now=later)
    workflow.change_status(session, 1, ReportStatus.RESOLVED, "fixed", actor="Ali", now=later)
    workflow.reopen(session, 1, first.token, "still broken", settings=settings, now=later)
    workflow.merge(session, 2, 1, actor="Ali", now=later)
    session.commit()

    entries = session.scalars(select(audit.AuditEntry).order_by(audit.AuditEntry.seq)).all()
    assert [(e.seq, e.kind, e.subject, e.actor, json.loads(e.data)) for e in entries] == [
        (
            1,
            "report.status",
            "report:1",
            "staff:Sara",
            {"from": "filed", "to": "acknowledged", "note_sha256": SHA256["seen"]},
        ),
        (2, "report.note", "report:1", "staff:Sara", {"note_sha256": SHA256["ok"]}),
        (
            3,
            "report.status",
            "report:1",
            "staff:Ali",
            {"from": "acknowledged", "to": "resolved", "note_sha256": SHA256["fixed"]},
        ),
        (
            4,
            "report.reopen",
            "report:1",
            "reporter",
            {"from": "resolved", "to": "filed", "note_sha256": SHA256["still broken"]},
        ),
        (
            5,
            "report.merge",
            "report:2",
            "staff:Ali",
            {"from": "filed", "to": "rejected", "into": 1, "note_sha256": SHA256["Duplicate of report 1."]},
        ),
    ]
    assert {entry.at for entry in entries} == {later}
    check = audit.verify(session)
    assert (check.intact, check.entries, check.head_seq) == (True, 5, 5)


def test_a_refused_step_leaves_no_entry(
    session: Session, settings: ReportSettings, districts: Districts
) -> None:
    new = workflow.NewReport("road_damage", "چاله", lat=HARAM[0], lon=HARAM[1])
    workflow.file_report(session, new, settings=settings, districts=districts, now=NOW)
    workflow.change_status(session, 1, ReportStatus.RESOLVED, "fixed", actor="Sara", now=NOW)
    session.commit()
    with pytest.raises(TransitionRefused):
        workflow.change_status(session, 1, ReportStatus.IN_PROGRESS, "again", actor="Sara", now=NOW)
    session.rollback()
    assert audit.head(session)[0] == 1


def test_a_staff_name_near_its_limit_is_cut_to_the_actor_column(
    session: Session, settings: ReportSettings, districts: Districts
) -> None:
    """`staff:` and a 128-character name would not fit the 128-character column (PostgreSQL refuses it)."""
    new = workflow.NewReport("road_damage", "چاله", lat=HARAM[0], lon=HARAM[1])
    workflow.file_report(session, new, settings=settings, districts=districts, now=NOW)
    workflow.change_status(session, 1, ReportStatus.ACKNOWLEDGED, "seen", actor="n" * 128, now=NOW)
    session.commit()
    entry = session.scalars(select(audit.AuditEntry)).one()
    assert entry.actor == "staff:" + "n" * 122
    assert audit.verify(session).intact
