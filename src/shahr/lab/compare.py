"""Policies side by side over one demand: revenue, fares, who pays more or less and where, and the
ridership, car trips and CO2 after riders respond to the new fares.

The response is constant elasticity per trip: a trip whose fare goes from f0 to f1 is made
(f1 / f0) ** elasticity times as often (elasticity per rider category, negative). It is undefined at a
zero fare, so a trip free under either policy is held constant. Fares are integers; the response's
trips and revenue are forecasts, rounded to the rial.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
import polars as pl

from shahr.lab.demand import Demand
from shahr.lab.factors import ResponseFactors
from shahr.lab.figures import (
    Breakdown,
    Comparison,
    DemandSummary,
    Figures,
    PolicyFigures,
    Response,
    RidersRising,
)
from shahr.lab.reprice import Priced
from shahr.lab.zones import Zones
from shahr.network.network import Network

BAND_EDGES_KM = (5, 10, 15, 20, 30, 50)
"""Distance bands of a trip: 0–5 km, 5–10 km, ... 50+ km (Seoul's base fare covers 10 km)."""
DEFAULT_RISE_PERCENT = 10.0


@dataclass(frozen=True)
class TripTable:
    """One row per trip with what the comparison groups by: card, rider category, distance band, zone
    of first boarding, local hour of first boarding."""

    frame: pl.DataFrame
    km: float

    @classmethod
    def build(cls, demand: Demand, zones: Zones, network: Network, timezone: str) -> TripTable:
        trips = demand.trip_table()
        stops = trips["board_stop"].unique().sort()
        lat, lon = network.stop_locations(stops.to_list())
        zone_of = pl.DataFrame({"board_stop": stops, "zone": zones.of_points(lat, lon)})
        edges_m = np.array(BAND_EDGES_KM) * 1000
        band = np.searchsorted(edges_m, trips["distance_m"].to_numpy(), side="right")
        frame = trips.join(zone_of, on="board_stop", how="left", maintain_order="left").select(
            "trip",
            "card_id",
            "rider_category",
            "distance_m",
            pl.Series("band", _band_keys()).gather(band),
            "zone",
            pl.col("board_at").dt.convert_time_zone(timezone).dt.hour().alias("hour"),
        )
        return cls(frame, int(trips["distance_m"].sum()) / 1000)


def compare(
    demand: Demand,
    trips: TripTable,
    priced: list[Priced],
    zones: Zones,
    factors: ResponseFactors,
    *,
    feed: str,
    created_at: datetime,
    rise_percent: float = DEFAULT_RISE_PERCENT,
    title: str | None = None,
) -> Figures:
    """Figures of every policy in `priced` (the first is the reference) over the same trips."""
    reference = priced[0]
    frame = trips.frame.with_columns(pl.Series("ref", reference.fare))
    respond = Responder.of(trips.frame["rider_category"], reference, factors)
    elasticity, named = factors.sources()
    return Figures(
        title=title or " / ".join(p.policy.header.name for p in priced),
        created_at=created_at,
        feed=feed,
        currency=reference.policy.currency,
        reference=reference.policy.id,
        demand=_demand_summary(demand, trips),
        elasticity=elasticity,
        factors=named,
        policies=[_policy_figures(p, respond, trips.km, factors) for p in priced],
        comparisons=[_comparison(p, reference.policy.id, frame, zones, rise_percent) for p in priced[1:]],
        zones=zones.to_geojson(),
    )


def _demand_summary(demand: Demand, trips: TripTable) -> DemandSummary:
    legs = demand.legs
    return DemandSummary(
        source=demand.source,
        trips=len(trips.frame),
        cards=trips.frame["card_id"].n_unique(),
        legs=len(legs),
        legs_without_tap_off=legs["alight_at"].null_count(),
        service_dates=legs["service_date"].unique().sort().to_list(),
        km=round(trips.km, 3),
    )


@dataclass(frozen=True)
class Responder:
    """Each trip's ridership factor at a new fare: how many times as often it is made than at the
    reference fare."""

    ref: npt.NDArray[np.int64]
    elasticity: npt.NDArray[np.float64]

    @classmethod
    def of(cls, categories: pl.Series, reference: Priced, factors: ResponseFactors) -> Responder:
        by_category = {c: factors.elasticity_of(c) for c in categories.unique().to_list()}
        elasticity = categories.replace_strict(by_category, return_dtype=pl.Float64).to_numpy()
        return cls(reference.fare, elasticity)

    def __call__(self, fare: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        both = (self.ref > 0) & (fare > 0)
        ratio = np.divide(fare, self.ref, out=np.ones(len(self.ref)), where=both)
        factor: npt.NDArray[np.float64] = np.power(ratio, self.elasticity)
        return factor


def _policy_figures(p: Priced, respond: Responder, km: float, factors: ResponseFactors) -> PolicyFigures:
    trips = len(p.fare)
    factor = respond(p.fare)
    after = float(factor.sum())
    change = after - trips
    car_trips = change * factors.factors.car_share.value
    car_km = car_trips * factors.factors.car_trip_km.value
    return PolicyFigures(
        id=p.policy.id,
        name=p.policy.header.name,
        revenue=p.revenue,
        trips=trips,
        journeys=int(p.journeys.sum()),
        average_fare=_div(p.revenue, trips),
        fare_per_km=round(p.revenue / km) if km else 0,
        refused_taps=p.refused_taps,
        response=Response(
            trips=round(after, 1),
            revenue=round(float((factor * p.fare).sum())),
            trips_change=round(change, 1),
            car_trips_avoided=round(car_trips, 1),
            car_km_avoided=round(car_km, 1),
            co2_tonnes_saved=round(car_km * factors.factors.co2_g_per_km.value / 1e6, 3),
        ),
    )


def _comparison(
    p: Priced, against: str, frame: pl.DataFrame, zones: Zones, rise_percent: float
) -> Comparison:
    trips = frame.with_columns(pl.Series("new", p.fare)).with_columns(delta=pl.col("new") - pl.col("ref"))
    delta = trips["delta"]
    rising_pct = trips.filter(pl.col("ref") > 0).select((pl.col("delta") * 100 / pl.col("ref")).max()).item()
    riders = trips.group_by("card_id").agg(pl.col("ref").sum(), pl.col("new").sum())
    rising = riders.filter((pl.col("new") - pl.col("ref")) * 100 > pl.col("ref") * rise_percent)["card_id"]
    theirs = trips.filter(pl.col("card_id").is_in(rising.implode()))
    zone_names = {z.id: z.name for z in zones.zones}
    return Comparison(
        policy=p.policy.id,
        against=against,
        pays_more=int((delta > 0).sum()),
        pays_same=int((delta == 0).sum()),
        pays_less=int((delta < 0).sum()),
        largest_increase=int(np.max(delta.to_numpy(), initial=0)),
        largest_increase_percent=round(max(float(rising_pct or 0), 0.0), 1),
        by_distance_band=_breakdown(trips, "band", _band_labels()),
        by_rider_category=_breakdown(trips, "rider_category", {}),
        by_zone=_breakdown(trips, "zone", zone_names),
        by_hour=_breakdown(trips.with_columns(pl.col("hour").cast(pl.String).str.zfill(2)), "hour", {}),
        riders_rising=RidersRising(
            threshold_percent=rise_percent,
            riders=len(rising),
            share=round(len(rising) / len(riders), 4) if len(riders) else 0.0,
            by_rider_category=_breakdown(theirs, "rider_category", {}),
            by_distance_band=_breakdown(theirs, "band", _band_labels()),
            by_zone=_breakdown(theirs, "zone", zone_names),
        ),
    )


def _breakdown(trips: pl.DataFrame, key: str, labels: dict[str, str]) -> list[Breakdown]:
    groups = (
        trips.group_by(key)
        .agg(
            pl.len().alias("trips"),
            pl.col("ref").sum(),
            pl.col("new").sum(),
            (pl.col("delta") > 0).sum().alias("more"),
            (pl.col("delta") == 0).sum().alias("same"),
            (pl.col("delta") < 0).sum().alias("less"),
        )
        .sort(key)
    )
    order = list(labels) if labels else None
    rows = groups.to_dicts()
    if order:
        rows.sort(key=lambda r: order.index(r[key]) if r[key] in order else len(order))
    return [
        Breakdown(
            key=str(r[key]),
            label=labels.get(str(r[key]), str(r[key])) if key != "hour" else f"{r[key]}:00",
            trips=r["trips"],
            reference_average=_div(r["ref"], r["trips"]),
            average=_div(r["new"], r["trips"]),
            change_percent=round((r["new"] - r["ref"]) * 100 / r["ref"], 2) if r["ref"] else 0.0,
            pays_more=r["more"],
            pays_same=r["same"],
            pays_less=r["less"],
        )
        for r in rows
    ]


def _band_keys() -> list[str]:
    edges = (0, *BAND_EDGES_KM)
    return [f"{a}-{b}" for a, b in zip(edges, edges[1:], strict=False)] + [f"{edges[-1]}+"]


def _band_labels() -> dict[str, str]:
    return {key: key.replace("-", "–") + " km" for key in _band_keys()}


def _div(total: int, count: int) -> int:
    """total / count rounded half up, in integers (money is never a float)."""
    return (2 * total + count) // (2 * count) if count else 0
