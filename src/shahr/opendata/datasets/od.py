"""Origin-destination journeys between zones by hour band: where journeys start (the zone of the first
boarding) and end (the zone of the last exit), by the local hour band of their start. Zones are the
policy lab's (`shahr.lab.zones`: the city's districts by default).

Each card counts with at most `contribution_bound` journeys (its first ones of the day, default 10)
before anything is added up: that bounds what one person can change in the matrix, which differential
privacy needs and which also keeps a heavy user's trip chain from standing out. Protection is
suppression below k distinct cards (default) or, when chosen, opendp's noise with the epsilon recorded.
"""

from __future__ import annotations

import polars as pl

from shahr.lab.zones import OUTSIDE
from shahr.opendata.datasets.protect import noised, suppressed
from shahr.opendata.datasets.source import TransitDay
from shahr.opendata.datasets.spec import TRANSIT, Built, Column, DatasetSpec, Method, Privacy

DEFAULT_TRIPS_PER_CARD = 10
UNKNOWN = "unknown"
"""The destination of a journey whose last leg has no known exit (no tap-off and none inferred)."""
_KEYS = ["service_date", "hour_band", "origin_zone", "destination_zone"]
HOUR_BANDS = ("04-07", "07-10", "10-16", "16-19", "19-04")
"""Local hour bands of a journey's start: early morning, morning peak, midday, evening peak, night."""
_BAND_OF_HOUR = {
    h: next((b for b in HOUR_BANDS[:4] if int(b[:2]) <= h < int(b[3:])), HOUR_BANDS[4]) for h in range(24)
}

SPEC = DatasetSpec(
    name="od-journeys-by-zone-hour-band",
    title_en="Journeys between zones by hour band",
    title_fa="سفرهای میان مناطق به تفکیک بازه ساعتی",
    notes_en=(
        "Journeys on Mashhad's public transport on a service day (transfers included in one journey), from "
        "the zone of their first boarding to the zone of their last exit, by the local hour band of their "
        "start. Zones are the city's districts. Each card counts with at most 10 journeys. With "
        "suppression, "
        "cells with fewer than k distinct cards are left empty (with other cells as needed) and each "
        "origin's "
        "and destination's totals are published beside the cells; with differential privacy, every cell "
        "carries random noise of the recorded epsilon and there are no totals."
    ),
    notes_fa=(
        "سفرهای حمل‌ونقل عمومی مشهد در یک روز خدمت (هر سفر با جابه‌جایی‌هایش یک سفر است)، از منطقه "
        "نخستین سوار "
        "شدن تا منطقه آخرین پیاده شدن، به تفکیک بازه ساعتی آغاز سفر. مناطق همان مناطق شهرداری‌اند. "
        "از هر کارت "
        "حداکثر ۱۰ سفر شمرده می‌شود. با روش حذف، خانه‌های کمتر از k کارت خالی می‌مانند و جمع هر مبدأ "
        "و مقصد "
        "کنار خانه‌ها منتشر می‌شود؛ با حریم خصوصی تفاضلی، به هر خانه نوفه تصادفی با اپسیلون ثبت‌شده "
        "افزوده می‌شود."
    ),
    organization=TRANSIT,
    tags=("transit", "origin-destination", "journeys", "zones"),
    grain="origin zone x destination zone x hour band x service day",
    columns=(
        Column("service_date", pl.Date(), "Service day of the journeys."),
        Column(
            "hour_band", pl.String(), "Local hour band of the journey's start: " + ", ".join(HOUR_BANDS) + "."
        ),
        Column("origin_zone", pl.String(), "Zone of the first boarding; empty on destination_total rows."),
        Column(
            "destination_zone",
            pl.String(),
            f"Zone of the last exit, {UNKNOWN} when not known; empty on origin_total rows.",
        ),
        Column(
            "level", pl.String(), "cell, origin_total (the origin to every destination) or destination_total."
        ),
        Column(
            "journeys", pl.Int64(), "Journeys (noisy under differential privacy). Empty: blanked for privacy."
        ),
        Column(
            "cards",
            pl.Int64(),
            "Distinct cards making them (people), on totals too. Empty: blanked, or under differential "
            "privacy.",
        ),
    ),
    privacy=Privacy(Method.SUPPRESSION, contribution_bound=DEFAULT_TRIPS_PER_CARD),
)


def by_zone_hour_band(day: TransitDay, privacy: Privacy) -> Built:
    bound = privacy.contribution_bound or DEFAULT_TRIPS_PER_CARD
    journeys = od_journeys(day, bound)
    table = od_table(journeys)
    if privacy.method is Method.DP and privacy.epsilon is not None:
        cells = _domain(day).join(table, on=_KEYS, how="left").with_columns(pl.col("journeys").fill_null(0))
        frame, metadata = noised(cells.drop("cards"), measures=["journeys"], epsilon=privacy.epsilon,
                                 contribution_bound=bound)  # fmt: skip
        frame = frame.with_columns(
            cards=pl.lit(None, pl.Int64)
        )  # distinct cards would need a budget of their own
    else:
        frame, metadata = suppressed(
            table, rows=["origin_zone"], column="destination_zone", people="cards", measures=["journeys"],
            k=privacy.k, by=["service_date", "hour_band"], row_total="origin_total",
            column_total="destination_total", events=journeys,
        )  # fmt: skip
        metadata["contribution_bound"] = bound
    return Built(SPEC.conform(frame), day.frames.service_date, day.frames.service_date, metadata)


def _domain(day: TransitDay) -> pl.DataFrame:
    """Every cell the matrix can have, fixed before looking at the journeys: each hour band, from each
    zone (or outside every zone) to each zone, outside or unknown."""
    origins = [*day.zone_ids, OUTSIDE]
    return (
        pl.DataFrame({"service_date": [day.frames.service_date]})
        .join(pl.DataFrame({"hour_band": list(HOUR_BANDS)}), how="cross")
        .join(pl.DataFrame({"origin_zone": origins}), how="cross")
        .join(pl.DataFrame({"destination_zone": [*origins, UNKNOWN]}), how="cross")
    )


def od_table(journeys: pl.DataFrame) -> pl.DataFrame:
    """The matrix's cells before protection: journeys and distinct cards per (day, band, origin,
    destination)."""
    return journeys.group_by(_KEYS).agg(
        journeys=pl.len().cast(pl.Int64), cards=pl.col("card_id").n_unique().cast(pl.Int64)
    )


def od_journeys(day: TransitDay, trips_per_card: int) -> pl.DataFrame:
    """Each card's first `trips_per_card` journeys with their cell's keys. A journey starts at its first
    ride's boarding and ends at its last ride's exit (rides are in card, journey, leg order)."""
    card, journey = pl.col("card_id"), pl.col("journey_seq")
    first = ((card != card.shift(1)) | (journey != journey.shift(1))).fill_null(True)
    last = ((card != card.shift(-1)) | (journey != journey.shift(-1))).fill_null(True)
    starts = day.rides.filter(first).select("card_id", "service_date", "hour", origin="board_stop")
    ends = day.rides.filter(last).select(destination="alight_stop")
    row = pl.int_range(pl.len())
    nth_of_card = row - pl.when((card != card.shift(1)).fill_null(True)).then(row).forward_fill()
    journeys = pl.concat([starts, ends], how="horizontal").filter(nth_of_card < trips_per_card)
    zones = day.stop_zones
    return (
        journeys.join(zones.rename({"stop_id": "origin", "zone": "origin_zone"}), on="origin", how="left")
        .join(
            zones.rename({"stop_id": "destination", "zone": "destination_zone"}), on="destination", how="left"
        )
        .with_columns(
            hour_band=pl.col("hour").replace_strict(_BAND_OF_HOUR, return_dtype=pl.String),
            origin_zone=pl.col("origin_zone").fill_null(OUTSIDE),
            destination_zone=pl.when(pl.col("destination").is_null())
            .then(pl.lit(UNKNOWN))
            .otherwise(pl.col("destination_zone").fill_null(OUTSIDE)),
        )
        .select(*_KEYS, "card_id")
    )
