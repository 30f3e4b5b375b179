"""The taps `shahr demo` feeds the service: a simulated morning on the demo feed, cut into the batches
each validator would upload, and the operator each validator belongs to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from shahr.batch.simulate import SimulationOptions, simulate_taps
from shahr.fares.load import Policy
from shahr.network import Network
from shahr.network.model import RouteInfo, is_rail_route_type

if TYPE_CHECKING:
    from gtfs_kit import Feed

MORNING_ENDS = time(12)
"""Taps before local noon make the morning."""
BATCH_TAPS = 100
"""Taps a validator sends at most in one upload."""
UPLOAD_EVERY = "15m"
"""Validators upload what they hold every quarter of an hour: a simulated tap reaches the service in the
round of its `uploaded_at` (30 s to 15 min after the tap, or 1-3 days for a late upload)."""
UNKNOWN_OPERATOR = "unknown"
"""The operator of a validator whose route (or station's rail routes) names no agency, as clearing says."""


@dataclass(frozen=True)
class Morning:
    """The simulated day's cards (the simulator's card_id -> rider category), each to be issued whether
    it rides in the morning or not, and the morning's taps in upload batches, in the order they arrive."""

    service_date: date
    cards: dict[int, str]
    batches: tuple[pl.DataFrame, ...]

    @property
    def taps(self) -> int:
        return sum(len(batch) for batch in self.batches)


def simulate_morning(
    feed: Feed, policy: Policy, options: SimulationOptions, out: Path, *, feed_name: str
) -> Morning:
    """Simulate `options`' day into `out` (Parquet, shahr.batch.schema.TAPS_SCHEMA) and keep its morning."""
    simulate_taps(feed, options, out, feed_name=feed_name)
    day = pl.read_parquet(out)
    categories = day.unique("card_id").sort("card_id")
    noon = datetime.combine(options.service_date, MORNING_ENDS, tzinfo=policy.tz)
    return Morning(
        service_date=options.service_date,
        cards=dict(zip(categories["card_id"], categories["rider_category"], strict=True)),
        batches=device_batches(day.filter(pl.col("tapped_at") < noon.astimezone(UTC))),
    )


def device_batches(taps: pl.DataFrame) -> tuple[pl.DataFrame, ...]:
    """Each validator's taps of each upload round, in upload order, at most BATCH_TAPS a batch; the rounds
    in time order, so a late upload arrives after taps its card made later, as it would."""
    keys = ("round", "device_id", "batch")
    ordered = taps.sort("uploaded_at", "device_id", "seq")
    rounds = ordered.with_columns(round=pl.col("uploaded_at").dt.truncate(UPLOAD_EVERY))
    numbered = rounds.with_columns(batch=pl.int_range(pl.len()).over("round", "device_id") // BATCH_TAPS)
    return tuple(numbered.sort(*keys, "uploaded_at", "seq").partition_by(keys, maintain_order=True))


def device_operator(network: Network, stop_id: str, route_id: str | None) -> str:
    """The agency a validator belongs to: its vehicle's route's, or at a station's gates its rail routes'."""
    if route_id is not None:
        route = network.find_route(route_id)
        routes: tuple[RouteInfo, ...] = () if route is None else (route,)
    else:
        routes = tuple(r for r in network.routes_at_stop(stop_id) if is_rail_route_type(r.route_type))
    return next((route.agency_id for route in routes if route.agency_id), UNKNOWN_OPERATOR)
