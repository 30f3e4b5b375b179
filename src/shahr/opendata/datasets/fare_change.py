"""The fare change a published policy-lab comparison shows, by trip distance band and by zone of origin:
trips, the average fare under today's policy and under the proposed one, the change, and how many trips
pay more, the same or less. From the latest published fare consultation (`civic.consultations`).

A row with fewer than k trips is blanked, as every other dataset blanks small counts; the consultation's
own page publishes its figures in full, so this is for the catalog's one rule, not a secret kept."""

from __future__ import annotations

import polars as pl

from shahr.civic.consultations.queries import list_consultations
from shahr.opendata.datasets.source import CivicDay
from shahr.opendata.datasets.spec import TRANSIT, Built, Column, DatasetSpec, Method, Privacy

_MEASURES = ["trips", "reference_average_rials", "average_rials", "change_percent"]
_MEASURES += ["pays_more", "pays_same", "pays_less"]

SPEC = DatasetSpec(
    name="fare-change-by-distance-band-and-zone",
    title_en="Fare change by distance band and zone",
    title_fa="تغییر کرایه به تفکیک بازه مسافت و منطقه",
    notes_en=(
        "What a proposed fare policy put to residents in a public consultation would change, from "
        "the policy "
        "lab's comparison over a day of real journeys: per distance band of the trip and per zone of "
        "its first "
        "boarding, the trips, their average fare under today's policy and the proposed one (rials), "
        "the change "
        "in percent and the trips paying more, the same or less. Rows with fewer than k trips are "
        "left empty."
    ),
    notes_fa=(
        "آنچه سیاست کرایه پیشنهادی در یک نظرخواهی عمومی تغییر می‌دهد، از مقایسه آزمایشگاه سیاست بر "
        "سفرهای یک روز: "
        "به تفکیک بازه مسافت سفر و منطقه نخستین سوار شدن، شمار سفرها، میانگین کرایه با سیاست کنونی و "
        "پیشنهادی "
        "(ریال)، درصد تغییر و شمار سفرهایی که بیشتر، برابر یا کمتر می‌پردازند."
    ),
    organization=TRANSIT,
    tags=("transit", "fares", "consultation", "policy-lab"),
    grain="distance band or zone of one published comparison",
    columns=(
        Column("consultation_id", pl.Int64(), "The consultation (/consultations/{id})."),
        Column("policy", pl.String(), "The proposed fare policy's id."),
        Column("reference", pl.String(), "The policy it is compared against (today's fare)."),
        Column("breakdown", pl.String(), "distance_band (km of the trip) or zone (of the first boarding)."),
        Column("key", pl.String(), "The band (0-5, 5-10, ..., 50+) or the zone's code."),
        Column("label", pl.String(), "The band or the zone's name."),
        Column("trips", pl.Int64(), "Trips. Empty: fewer than k."),
        Column("reference_average_rials", pl.Int64(), "Average fare under the reference policy, rials."),
        Column("average_rials", pl.Int64(), "Average fare under the proposed policy, rials."),
        Column("change_percent", pl.Float64(), "Change of the average fare, percent."),
        Column("pays_more", pl.Int64(), "Trips paying more under the proposed policy."),
        Column("pays_same", pl.Int64(), "Trips paying the same."),
        Column("pays_less", pl.Int64(), "Trips paying less."),
    ),
    privacy=Privacy(Method.SUPPRESSION),
)


def latest_comparison(civic: CivicDay, privacy: Privacy) -> Built | None:
    latest = list_consultations(civic.session, settings=civic.settings, now=civic.now, limit=1)
    if not latest:
        return None
    consultation = latest[0]
    comparison = consultation.comparison
    rows = [
        {"breakdown": breakdown, **row.model_dump(exclude={"average", "reference_average"}),
         "reference_average_rials": row.reference_average, "average_rials": row.average}
        for breakdown, rows in (("distance_band", comparison.by_distance_band), ("zone", comparison.by_zone))
        for row in rows
    ]  # fmt: skip
    small = pl.col("trips") < privacy.k
    frame = (
        pl.DataFrame(rows)
        .with_columns(
            consultation_id=pl.lit(consultation.id),
            policy=pl.lit(consultation.policy.id),
            reference=pl.lit(consultation.reference.id),
        )
        .with_columns(pl.when(~small).then(pl.col(m)).alias(m) for m in _MEASURES)
    )
    blanked = len(rows) - frame["trips"].count()
    dates = consultation.figures.demand.service_dates or [civic.local_date(consultation.created_at)]
    metadata = {
        **privacy.as_dict(),
        "suppressed_cells": blanked,
        "primary": blanked,
        "note": "Rows with fewer than k trips are blanked; the consultation's own page publishes its "
        "figures in full.",
    }
    return Built(SPEC.conform(frame), min(dates), max(dates), metadata)
