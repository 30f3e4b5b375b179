"""Residents' proposals and the city's answers: one row per published proposal, with its status, its
supports and participants, and the official answer, every date at day grain (local).

Proposals are public pages already; no author, supporter or commenter is read for this table, and a
proposal hidden by moderation (or held for it) is left out as the public pages leave it out."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
from sqlalchemy import select

from shahr.civic.proposals.queries import view
from shahr.civic.proposals.tables import Proposal, Visibility
from shahr.opendata.datasets.source import CivicDay
from shahr.opendata.datasets.spec import MUNICIPALITY, Built, Column, DatasetSpec, Method, Privacy

SPEC = DatasetSpec(
    name="proposals-and-answers",
    title_en="Residents' proposals and the city's answers",
    title_fa="پیشنهادهای شهروندان و پاسخ شهرداری",
    notes_en=(
        "Every published proposal residents made to the Municipality of Mashhad: its title, category and "
        "district, its status (open, debate, awaiting_answer, answered, expired), how many verified "
        "residents "
        "supported it and took part, and the city's official answer with the office that gave it. "
        "Dates are "
        "local days."
    ),
    notes_fa=(
        "همه پیشنهادهای منتشرشده شهروندان به شهرداری مشهد: عنوان، موضوع و منطقه، وضعیت، شمار حامیان "
        "و شرکت‌کنندگان "
        "تأییدشده، و پاسخ رسمی شهرداری با نام واحد پاسخ‌دهنده. تاریخ‌ها روز محلی‌اند."
    ),
    organization=MUNICIPALITY,
    tags=("civic", "proposals", "participation", "answers"),
    grain="proposal (dates at day grain)",
    columns=(
        Column("proposal_id", pl.Int64(), "The proposal's number, as on its public page (/proposals/{id})."),
        Column("title", pl.String(), "Title as published (personal data masked)."),
        Column("category", pl.String(), "Category."),
        Column("district", pl.String(), "District code; empty for the whole city."),
        Column("status", pl.String(), "open, debate, awaiting_answer, answered or expired, at the release."),
        Column("supports", pl.Int64(), "Verified residents who supported it."),
        Column("participants", pl.Int64(), "Verified residents who supported or commented."),
        Column("proposed_on", pl.Date(), "Day proposed."),
        Column("debate_opened_on", pl.Date(), "Day it reached the debate threshold; empty if it has not."),
        Column(
            "answer_due_on", pl.Date(), "Day the city's answer is due; empty until it is obliged to answer."
        ),
        Column("answered_on", pl.Date(), "Day of the official answer; empty until answered."),
        Column("answered_late", pl.Boolean(), "Answered after its due day."),
        Column("overdue", pl.Boolean(), "Awaiting an answer past its due day at the release."),
        Column("answer_office", pl.String(), "The office that answered."),
        Column("answer_text", pl.String(), "The official answer, as the office wrote it."),
    ),
    privacy=Privacy(Method.PUBLIC),
)


def published(civic: CivicDay, privacy: Privacy) -> Built | None:
    statement = (
        select(Proposal)
        .where(Proposal.visibility == Visibility.PUBLISHED, Proposal.created_at < civic.cutoff)
        .order_by(Proposal.id)
    )
    views = [view(p, civic.settings, civic.now) for p in civic.session.scalars(statement)]
    if not views:
        return None

    def day(moment: datetime | None) -> date | None:
        return None if moment is None else civic.local_date(moment)

    frame = pl.DataFrame(
        [
            {
                "proposal_id": v.id,
                "title": v.title,
                "category": v.category,
                "district": v.district_code,
                "status": v.status.value,
                "supports": v.support_count,
                "participants": v.participant_count,
                "proposed_on": day(v.created_at),
                "debate_opened_on": day(v.debate_opened_at),
                "answer_due_on": day(v.answer_due_at),
                "answered_on": day(v.answered_at),
                "answered_late": v.answered_late,
                "overdue": v.overdue,
                "answer_office": v.answer_office,
                "answer_text": v.answer_text,
            }  # fmt: skip
            for v in views
        ],
        schema=SPEC.schema,
    )
    metadata = {
        **privacy.as_dict(),
        "suppressed_cells": 0,
        "note": "Proposals are public pages (GET /proposals); no author, supporter or commenter is "
        "published.",
    }
    return Built(frame, min(civic.local_date(v.created_at) for v in views), civic.until, metadata)
