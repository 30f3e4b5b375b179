"""The demand a policy lab prices: riders' trips, each a chain of legs ridden, as a settlement recorded
them. Every policy prices the same trips, so a trip's fare under two policies can be compared even when
one policy counts it as one journey and the other as one per boarding.

A demand comes from a settled day (`shahr settle`'s folder: legs.parquet, journeys.parquet) or from a
taps file (the tap generator's), settled here by the reference policy first. Tap-offs without a tap-on
(penalty legs, not rides) are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from shahr.batch.columnar import settle_compiled
from shahr.batch.settle import JOURNEYS_SCHEMA, LEGS_SCHEMA, UTC_MS, SettledDay, read_taps
from shahr.errors import ShahrError
from shahr.fares.load import Policy
from shahr.fares.network import FareNetwork

DEMAND_SCHEMA: dict[str, pl.DataType] = {
    "trip": pl.Int64(),  # 0, 1, 2 ... in (card, time) order: the unit every policy prices
    "card_id": pl.Int64(),
    "service_date": pl.Date(),
    "rider_category": pl.String(),
    "medium": pl.String(),
    "mode": pl.String(),
    "route_id": pl.String(),
    "board_stop": pl.String(),
    "board_at": UTC_MS,
    "alight_stop": pl.String(),
    "alight_at": UTC_MS,  # null when the leg had no tap-off
    "distance_m": pl.Int64(),
}


class DemandError(ShahrError):
    """A demand that cannot be read: the message names the file and what is wrong."""


@dataclass(frozen=True)
class Demand:
    """Legs of trips, sorted by trip and leg, with the source they were read from."""

    legs: pl.DataFrame
    source: str

    @property
    def trips(self) -> int:
        return len(self.legs) and int(self.legs["trip"][-1]) + 1

    def trip_table(self) -> pl.DataFrame:
        """One row per trip: card, category, first boarding (stop and instant), legs, distance."""
        return self.legs.group_by("trip", maintain_order=True).agg(
            pl.col("card_id").first(),
            pl.col("rider_category").first(),
            pl.col("service_date").first(),
            pl.col("board_stop").first(),
            pl.col("board_at").first(),
            pl.len().alias("legs"),
            pl.col("distance_m").sum(),
        )


def load_demand(path: Path, reference: Policy, network: FareNetwork) -> Demand:
    """A settled day's folder, or a taps Parquet file settled by `reference`."""
    if path.is_dir():
        legs_path, journeys_path = path / "legs.parquet", path / "journeys.parquet"
        for needed in (legs_path, journeys_path):
            if not needed.exists():
                raise DemandError(f"{path}: not a settled day ({needed.name} is missing; see `shahr settle`)")
        legs = _read(legs_path, LEGS_SCHEMA)
        journeys = _read(journeys_path, JOURNEYS_SCHEMA)
        return Demand(trips_of(legs, journeys), str(path))
    if not path.exists():
        raise DemandError(f"{path}: no such file or folder")
    day = settle_compiled(read_taps(path), reference, network)
    return from_settled(day, str(path))


def from_settled(day: SettledDay, source: str) -> Demand:
    return Demand(trips_of(day.legs, day.journeys), source)


def trips_of(legs: pl.DataFrame, journeys: pl.DataFrame) -> pl.DataFrame:
    """A settlement's legs as trips: its journeys numbered in (card, journey) order."""
    riders = journeys.select("card_id", "journey_seq", "service_date", "rider_category", "medium")
    penalty = (pl.col("board_stop") == pl.col("alight_stop")) & (pl.col("board_at") == pl.col("alight_at"))
    rides = legs.filter(~penalty.fill_null(False))
    joined = rides.join(riders, on=["card_id", "journey_seq"], how="inner").sort(
        "card_id", "journey_seq", "leg_seq"
    )
    starts = (pl.col("card_id") != pl.col("card_id").shift()) | (
        pl.col("journey_seq") != pl.col("journey_seq").shift()
    )
    trip = starts.fill_null(True).cast(pl.Int64).cum_sum() - 1
    return joined.with_columns(trip=trip).select(
        [pl.col(name).cast(dtype) for name, dtype in DEMAND_SCHEMA.items()]
    )


def _read(path: Path, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    try:
        frame = pl.read_parquet(path)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise DemandError(f"{path}: cannot read: {exc}") from exc
    missing = [name for name in schema if name not in frame.columns]
    if missing:
        raise DemandError(f"{path}: missing column(s) {', '.join(missing)}")
    return frame
