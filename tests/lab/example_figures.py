"""A small, realistic comparison written by hand (mashhad-distance against mashhad-flat on one demo day),
so the report, the consultation page and their tests can be built without running the computation. The
numbers agree with each other: every breakdown adds up to its comparison's trips and more/same/less."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from shahr.lab.figures import (
    Breakdown,
    Comparison,
    DemandSummary,
    Figures,
    PolicyFigures,
    Response,
    RidersRising,
    Source,
)

# (key, label, trips, reference average, average, pays more, pays same, pays less)
Row = tuple[str, str, int, int, int, int, int, int]

DISTANCE_BANDS: list[Row] = [
    ("0-5", "0–5 km", 3_900, 21_100, 20_300, 520, 2_100, 1_280),
    ("5-10", "5–10 km", 4_300, 23_800, 21_200, 780, 610, 2_910),
    ("10-20", "10–20 km", 3_380, 27_600, 22_900, 1_240, 150, 1_990),
    ("20-", "20+ km", 900, 29_100, 26_600, 580, 10, 310),
]
RIDER_CATEGORIES: list[Row] = [
    ("adult", "adult · بزرگسال", 9_800, 24_900, 24_100, 2_900, 2_300, 4_600),
    ("youth", "youth · دانش‌آموز", 1_600, 23_500, 11_700, 120, 330, 1_150),
    ("child", "child · کودک", 380, 22_100, 6_800, 0, 40, 340),
    ("senior", "senior · سالمند", 700, 21_800, 10_600, 100, 200, 400),
]
ZONES: list[Row] = [
    ("vakilabad", "وکیل‌آباد (Vakilabad)", 2_900, 26_800, 22_100, 320, 380, 2_200),
    ("ahmadabad", "احمدآباد (Ahmadabad)", 3_600, 23_900, 21_800, 600, 900, 2_100),
    ("samen", "ثامن (Samen)", 2_480, 22_400, 21_900, 400, 1_100, 980),
    ("tabarsi", "طبرسی (Tabarsi)", 3_500, 24_600, 25_300, 1_800, 490, 1_210),
]
HOURS: list[Row] = [
    ("05", "05:00", 240, 23_900, 18_100, 24, 24, 192),
    ("06", "06:00", 600, 24_100, 19_000, 120, 120, 360),
    ("07", "07:00", 1_080, 24_800, 22_300, 302, 238, 540),
    ("08", "08:00", 960, 24_700, 22_200, 259, 221, 480),
    ("09", "09:00", 720, 24_300, 21_600, 180, 173, 367),
    ("10", "10:00", 600, 24_200, 21_500, 144, 144, 312),
    ("11", "11:00", 600, 24_200, 21_400, 144, 144, 312),
    ("12", "12:00", 720, 24_300, 21_500, 180, 166, 374),
    ("13", "13:00", 720, 24_300, 21_400, 166, 179, 375),
    ("14", "14:00", 600, 24_200, 21_300, 144, 144, 312),
    ("15", "15:00", 600, 24_300, 21_500, 150, 144, 306),
    ("16", "16:00", 720, 24_500, 21_800, 187, 166, 367),
    ("17", "17:00", 960, 24_800, 22_400, 278, 211, 471),
    ("18", "18:00", 1_080, 24_900, 22_500, 302, 238, 540),
    ("19", "19:00", 840, 24_600, 21_900, 218, 193, 429),
    ("20", "20:00", 600, 24_300, 21_400, 144, 144, 312),
    ("21", "21:00", 480, 24_100, 21_100, 106, 120, 254),
    ("22", "22:00", 360, 23_800, 20_700, 72, 101, 187),
]
# Zones as small polygons (lon, lat) around Mashhad; illustrative, not the municipality's boundaries.
ZONE_RINGS: dict[str, list[tuple[float, float]]] = {
    "vakilabad": [(59.50, 36.32), (59.55, 36.32), (59.555, 36.35), (59.55, 36.38), (59.50, 36.37)],
    "ahmadabad": [(59.55, 36.29), (59.60, 36.29), (59.60, 36.33), (59.555, 36.35), (59.55, 36.32)],
    "samen": [(59.60, 36.27), (59.64, 36.27), (59.64, 36.31), (59.62, 36.31), (59.60, 36.29)],
    "tabarsi": [(59.62, 36.31), (59.64, 36.31), (59.68, 36.32), (59.68, 36.37), (59.63, 36.37)],
}


def _breakdown(row: Row) -> Breakdown:
    key, label, trips, reference_average, average, more, same, less = row
    change = round((average - reference_average) / reference_average * 100, 2)
    return Breakdown(
        key=key,
        label=label,
        trips=trips,
        reference_average=reference_average,
        average=average,
        change_percent=change,
        pays_more=more,
        pays_same=same,
        pays_less=less,
    )


def _zones() -> dict[str, Any]:
    names = {row[0]: row[1] for row in ZONES}
    features = [
        {
            "type": "Feature",
            "properties": {"id": zone_id, "name": names[zone_id]},
            "geometry": {"type": "Polygon", "coordinates": [[[lon, lat] for lon, lat in [*ring, ring[0]]]]},
        }
        for zone_id, ring in ZONE_RINGS.items()
    ]
    return {"type": "FeatureCollection", "features": features}


def example_figures() -> Figures:
    """mashhad-distance against mashhad-flat: cheaper on average, dearer for long trips from Tabarsi."""
    reference = PolicyFigures(
        id="mashhad-flat",
        name="Mashhad flat fare per boarding",
        revenue=304_600_000,
        trips=12_480,
        journeys=15_230,
        average_fare=24_407,
        fare_per_km=3_088,
        response=Response(
            trips=12_480.0,
            revenue=304_600_000,
            trips_change=0.0,
            car_trips_avoided=0.0,
            car_km_avoided=0.0,
            co2_tonnes_saved=0.0,
        ),
    )
    distance = PolicyFigures(
        id="mashhad-distance",
        name="Mashhad integrated distance-based fare (illustrative)",
        revenue=268_350_000,
        trips=12_480,
        journeys=12_480,
        average_fare=21_502,
        fare_per_km=2_720,
        response=Response(
            trips=12_921.4,
            revenue=277_834_911,
            trips_change=441.4,
            car_trips_avoided=79.45,
            car_km_avoided=675.3,
            co2_tonnes_saved=0.1148,
        ),
    )
    comparison = Comparison(
        policy="mashhad-distance",
        against="mashhad-flat",
        pays_more=3_120,
        pays_same=2_870,
        pays_less=6_490,
        largest_increase=14_000,
        largest_increase_percent=70.0,
        by_distance_band=[_breakdown(row) for row in DISTANCE_BANDS],
        by_rider_category=[_breakdown(row) for row in RIDER_CATEGORIES],
        by_zone=[_breakdown(row) for row in ZONES],
        by_hour=[_breakdown(row) for row in HOURS],
        riders_rising=RidersRising(
            threshold_percent=20.0,
            riders=610,
            share=0.0772,
            by_rider_category=[_breakdown(("adult", "adult · بزرگسال", 1_050, 21_900, 28_300, 990, 60, 0))],
            by_distance_band=[
                _breakdown(("10-20", "10–20 km", 610, 21_400, 27_200, 580, 30, 0)),
                _breakdown(("20-", "20+ km", 440, 22_600, 30_100, 410, 30, 0)),
            ],
            by_zone=[
                _breakdown(("tabarsi", "طبرسی (Tabarsi)", 700, 21_700, 28_900, 670, 30, 0)),
                _breakdown(("samen", "ثامن (Samen)", 350, 22_300, 27_100, 320, 30, 0)),
            ],
        ),
    )
    return Figures(
        title="Flat fare against distance fare, Mashhad demo day · کرایهٔ ثابت در برابر کرایهٔ مسافتی",
        created_at=datetime(2026, 11, 25, 9, 30, tzinfo=UTC),
        feed="data/mashhad-demo.zip",
        currency="IRR",
        reference="mashhad-flat",
        demand=DemandSummary(
            source="taps-2025-10-05.parquet",
            trips=12_480,
            cards=7_900,
            legs=15_230,
            legs_without_tap_off=410,
            service_dates=[date(2025, 10, 5)],
            km=98_650.2,
        ),
        elasticity={
            "adult": Source(
                value=-0.3, source="Litman (2023), Transit Price Elasticities, VTPI: -0.2 to -0.5"
            ),
            "youth": Source(value=-0.4, source="Litman (2023): students and young riders more elastic"),
            "child": Source(value=-0.2, source="illustrative: children travel with their parents"),
            "senior": Source(value=-0.35, source="Litman (2023): seniors' off-peak trips"),
        },
        factors={
            "car_share": Source(value=0.18, source="illustrative: share of new trips that were car trips"),
            "car_trip_km": Source(value=8.5, source="illustrative: average car trip in Mashhad, km"),
            "co2_g_per_km": Source(value=170.0, source="EEA average new passenger car, g CO2/km"),
        },
        policies=[reference, distance],
        comparisons=[comparison],
        zones=_zones(),
    )
