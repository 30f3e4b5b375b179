"""Revenue and journeys by operator and day, from the clearing: what each operator is owed for the day
(the sum of its shares of the journeys' fares), the journeys it had a share of and the legs it ran, as
`shahr.batch.outputs.clearing_table` defines them (tested equal), with the day's total over operators."""

from __future__ import annotations

import polars as pl

from shahr.opendata.datasets.protect import suppressed
from shahr.opendata.datasets.source import SettledFrames, TransitDay
from shahr.opendata.datasets.spec import TRANSIT, Built, Column, DatasetSpec, Method, Privacy

SPEC = DatasetSpec(
    name="operator-revenue-by-day",
    title_en="Revenue and journeys by operator and day",
    title_fa="درآمد و سفرها به تفکیک بهره‌بردار و روز",
    notes_en=(
        "What each transit operator of Mashhad is owed for a service day in the clearing between operators "
        "(its shares of the journeys' fares, in rials), the journeys it had a share of and the legs "
        "it ran, "
        "with the day's total over all operators (level day_total). A journey with transfers is paid once "
        "and its fare split between the operators of its legs, so the operators' amounts add up to the "
        "day's fares. An operator with fewer than k distinct cards is left empty, with another as needed."
    ),
    notes_fa=(
        "طلب هر بهره‌بردار حمل‌ونقل عمومی مشهد از تسویه میان بهره‌برداران در یک روز خدمت (سهم او از "
        "کرایه سفرها، "
        "به ریال)، سفرهایی که در آن سهم داشته و سفرهای جزئی که انجام داده، با جمع روز برای همه "
        "بهره‌برداران "
        "(day_total). کرایه سفری با جابه‌جایی یک بار پرداخت و میان بهره‌برداران آن تقسیم می‌شود."
    ),
    organization=TRANSIT,
    tags=("transit", "revenue", "clearing", "operators"),
    grain="operator x service day",
    columns=(
        Column("service_date", pl.Date(), "Service day."),
        Column("operator", pl.String(), "GTFS agency_id of the operator; empty on the day_total row."),
        Column("level", pl.String(), "cell (one operator) or day_total (every operator)."),
        Column("journeys", pl.Int64(), "Journeys with a share for the operator. Empty: blanked for privacy."),
        Column("legs", pl.Int64(), "Legs the operator ran. Empty: blanked for privacy."),
        Column("amount_rials", pl.Int64(), "What the operator is owed, rials. Empty: blanked for privacy."),
        Column(
            "cards",
            pl.Int64(),
            "Distinct cards among those journeys (people), on day_total too. Empty: blanked.",
        ),
    ),
    privacy=Privacy(Method.SUPPRESSION),
)


def by_operator_day(day: TransitDay, privacy: Privacy) -> Built:
    table = clearing(day.frames)
    frame, metadata = suppressed(
        table, rows=["operator"], column="service_date", people="cards",
        measures=["journeys", "legs", "amount_rials"], k=privacy.k, by=[], row_total="operator_total",
        column_total="day_total",
        events=day.frames.operator_shares.with_columns(service_date=pl.lit(day.frames.service_date)),
    )  # fmt: skip
    cells = frame.filter(pl.col("level") != "operator_total")  # one day: an operator's total is its cell
    return Built(SPEC.conform(cells), day.frames.service_date, day.frames.service_date, metadata)


def clearing(frames: SettledFrames) -> pl.DataFrame:
    """Per operator: the clearing's journeys (share rows), legs and amount, as
    `shahr.batch.outputs.clearing_table` adds them up for one service date, and the distinct cards."""
    shares = frames.operator_shares.group_by("operator").agg(
        journeys=pl.len().cast(pl.Int64),
        amount_rials=pl.col("amount").sum(),
        cards=pl.col("card_id").n_unique().cast(pl.Int64),
    )
    legs = frames.legs.group_by("operator").agg(legs=pl.len().cast(pl.Int64))
    return (
        shares.join(legs, on="operator", how="full", coalesce=True)
        .with_columns(pl.col("journeys", "amount_rials", "cards", "legs").fill_null(0))
        .with_columns(service_date=pl.lit(frames.service_date))
        .sort("operator")
    )
