"""Boardings: every leg ridden is a boarding, counted by stop and local hour, and by route and day, each
with its mode and the rider category of the card. People are distinct cards; a cell with fewer than k is
blanked with the cells secondary suppression adds (`opendata.privacy.suppress`)."""

from __future__ import annotations

import polars as pl

from shahr.opendata.datasets.protect import suppressed
from shahr.opendata.datasets.source import TransitDay
from shahr.opendata.datasets.spec import TRANSIT, Built, Column, DatasetSpec, Method, Privacy

_DATE = Column(
    "service_date", pl.Date(), "Service day (taps before the day's start hour belong to the day before)."
)
_MODE = Column("mode", pl.String(), "Fare mode of the leg: metro, brt, bus, feeder.")
_CATEGORY = Column("rider_category", pl.String(), "Rider category of the card: adult, youth, child, senior.")
_BOARDINGS = Column("boardings", pl.Int64(), "Legs boarded. Empty: blanked for privacy.")
_CARDS = Column(
    "cards",
    pl.Int64(),
    "Distinct cards that boarded (people), on totals too (a card in two cells is one card of the total). "
    "Empty: blanked for privacy.",
)

BY_STOP_HOUR = DatasetSpec(
    name="boardings-by-stop-hour",
    title_en="Boardings by stop and hour",
    title_fa="سوار شدن مسافران به تفکیک ایستگاه و ساعت",
    notes_en=(
        "Passengers boarding Mashhad's metro, BRT and buses on a service day, by stop and local hour "
        "(Asia/Tehran), mode and rider category, from the fare cards' taps. Each stop's total over the day "
        "(level stop_total) and each hour's total over all stops (level hour_total) are published beside "
        "the cells. Cells with fewer than k distinct cards are left empty, with other cells as needed so "
        "that none can be worked out from the totals."
    ),
    notes_fa=(
        "تعداد سوار شدن مسافران مترو، اتوبوس تندرو و اتوبوس مشهد در یک روز خدمت، به تفکیک ایستگاه و ساعت "
        "محلی (تهران)، نوع وسیله و گروه مسافر، از ثبت کارت‌های بلیت. جمع هر ایستگاه در روز "
        "(stop_total) و جمع "
        "هر ساعت در همه ایستگاه‌ها (hour_total) نیز منتشر می‌شود. خانه‌هایی که کمتر از k کارت متمایز دارند "
        "خالی گذاشته می‌شوند، همراه با خانه‌های دیگری که لازم است تا از جمع‌ها به دست نیایند."
    ),
    organization=TRANSIT,
    tags=("transit", "ridership", "boardings", "stops"),
    grain="stop x local hour x mode x rider category x service day",
    columns=(
        _DATE,
        _MODE,
        _CATEGORY,
        Column(
            "stop_id",
            pl.String(),
            "GTFS stop_id of the boarding (a station at metro gates); empty on hour_total rows.",
        ),
        Column("hour", pl.Int64(), "Local hour of boarding, 0-23 (Asia/Tehran); empty on stop_total rows."),
        Column(
            "level",
            pl.String(),
            "cell, stop_total (the stop over every hour) or hour_total (the hour over every stop).",
        ),
        _BOARDINGS,
        _CARDS,
    ),
    privacy=Privacy(Method.SUPPRESSION),
)

BY_ROUTE_DAY = DatasetSpec(
    name="boardings-by-route-day",
    title_en="Boardings by route and day",
    title_fa="سوار شدن مسافران به تفکیک مسیر و روز",
    notes_en=(
        "Passengers boarding each route of Mashhad's metro, BRT and buses on a service day, with the "
        "route's "
        "mode and operator, by rider category. Each route's total (level route_total) and each category's "
        "total over all routes (level category_total) are published beside the cells. Cells with "
        "fewer than "
        "k distinct cards are left empty, with other cells as needed so that none can be worked out "
        "from the "
        "totals."
    ),
    notes_fa=(
        "تعداد سوار شدن مسافران هر مسیر مترو، اتوبوس تندرو و اتوبوس مشهد در یک روز خدمت، با نوع "
        "وسیله و بهره‌بردار "
        "مسیر، به تفکیک گروه مسافر. جمع هر مسیر (route_total) و جمع هر گروه در همه مسیرها "
        "(category_total) نیز "
        "منتشر می‌شود. خانه‌هایی که کمتر از k کارت متمایز دارند خالی گذاشته می‌شوند، همراه با "
        "خانه‌های دیگری که "
        "لازم است تا از جمع‌ها به دست نیایند."
    ),
    organization=TRANSIT,
    tags=("transit", "ridership", "boardings", "routes"),
    grain="route x rider category x service day",
    columns=(
        _DATE,
        Column(
            "route_id",
            pl.String(),
            "GTFS route_id; empty on category_total rows and for a leg without a route.",
        ),
        Column(
            "mode",
            pl.String(),
            "Fare mode of the route: metro, brt, bus, feeder; empty on category_total rows.",
        ),
        Column("operator", pl.String(), "GTFS agency_id running the route; empty on category_total rows."),
        Column("rider_category", pl.String(), "Rider category of the card; empty on route_total rows."),
        Column("level", pl.String(), "cell, route_total (the route over every category) or category_total."),
        _BOARDINGS,
        _CARDS,
    ),
    privacy=Privacy(Method.SUPPRESSION),
)


def by_stop_hour(day: TransitDay, privacy: Privacy) -> Built:
    boarded = day.rides.rename({"board_stop": "stop_id"})
    table = _counts(boarded, ["service_date", "mode", "rider_category", "stop_id", "hour"])
    frame, metadata = suppressed(
        table, rows=["stop_id"], column="hour", people="cards", measures=["boardings"], k=privacy.k,
        by=["service_date", "mode", "rider_category"], row_total="stop_total", column_total="hour_total",
        events=boarded,
    )  # fmt: skip
    return Built(BY_STOP_HOUR.conform(frame), day.frames.service_date, day.frames.service_date, metadata)


def by_route_day(day: TransitDay, privacy: Privacy) -> Built:
    table = _counts(day.rides, ["service_date", "route_id", "mode", "operator", "rider_category"])
    frame, metadata = suppressed(
        table, rows=["route_id", "mode", "operator"], column="rider_category", people="cards",
        measures=["boardings"], k=privacy.k, by=["service_date"], row_total="route_total",
        column_total="category_total", events=day.rides,
    )  # fmt: skip
    return Built(BY_ROUTE_DAY.conform(frame), day.frames.service_date, day.frames.service_date, metadata)


def _counts(boarded: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    return boarded.group_by(keys).agg(
        boardings=pl.len().cast(pl.Int64), cards=pl.col("card_id").n_unique().cast(pl.Int64)
    )
