"""A demand's trips priced under a policy by the compiled fare rules (`shahr.fares.compiled`, held to the
engine by the settlement's differential test): no fare rule is written here.

Each trip is rated alone, as the taps of a card of its own (a tap-on per leg and a tap-off where the leg's
exit is known), so a policy's transfers chain legs within a trip and never across trips. A leg is priced
as ridden to its exit, tapped or inferred by the settlement (an inferred exit gets a tap-off at its
boarding instant: it is always its journey's last leg), with the distance measured then; a leg with no
known exit is settled by each policy's own missing tap-off rule.

Preparing (resolving taps, pairing them, settling missing tap-offs) depends on a policy's structure;
pricing depends on its amounts. Calibration prepares once and prices many variants of one policy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from shahr.batch.columnar import Ridden, measure_legs, pair_encoded
from shahr.batch.encode import EncodedTaps, encode
from shahr.errors import ShahrError
from shahr.fares.compiled.scan import build_journeys
from shahr.fares.compiled.tables import I64, Codes, PolicyTables, compile_policy
from shahr.fares.load import Policy
from shahr.fares.network import FareNetwork
from shahr.lab.demand import Demand


@dataclass(frozen=True)
class Prepared:
    """A demand's taps resolved, paired and settled under one policy's structure."""

    policy: Policy
    codes: Codes
    enc: EncodedTaps
    status: I64
    pair: I64
    ridden: Ridden
    trips: int


@dataclass(frozen=True)
class Priced:
    """Per trip: the fare and the number of journeys the policy counts in it."""

    policy: Policy
    fare: I64
    journeys: I64
    refused_taps: int

    @property
    def revenue(self) -> int:
        return int(self.fare.sum())


def demand_taps(demand: Demand) -> tuple[pl.DataFrame, I64]:
    """The trips as taps (card_id = trip) and, per tap, the ridden distance of a tap-on's leg (-1 when
    unknown: a tap-off, or a leg without one). Each leg's tap-off follows its tap-on."""
    legs = demand.legs
    common = [pl.col("trip").alias("card_id"), pl.col("route_id"), pl.col("medium"), pl.col("rider_category")]
    exit_known = legs["alight_stop"].is_not_null().to_numpy()
    ons = legs.select(
        *common,
        pl.lit("on").alias("kind"),
        pl.col("board_at").alias("tapped_at"),
        pl.col("board_stop").alias("stop_id"),
    )
    offs = legs.filter(pl.Series(exit_known)).select(
        *common,
        pl.lit("off").alias("kind"),
        pl.coalesce("alight_at", "board_at").alias("tapped_at"),
        pl.col("alight_stop").alias("stop_id"),
    )
    on_at = np.arange(len(legs)) + np.r_[0, np.cumsum(exit_known)[:-1]].astype(np.int64)
    source = np.empty(len(ons) + len(offs), np.int64)
    source[on_at] = np.arange(len(ons))
    source[on_at[exit_known] + 1] = len(ons) + np.arange(len(offs))
    taps = pl.concat([ons, offs])[source].with_columns(pl.lit(None, pl.String).alias("trip_id"))
    given = np.full(len(source), -1, np.int64)
    given[on_at[exit_known]] = legs["distance_m"].to_numpy()[exit_known]
    return taps, given


def prepare(demand: Demand, policy: Policy, network: FareNetwork) -> Prepared:
    taps, given = demand_taps(demand)
    tables, codes = compile_policy(policy)
    enc = encode(taps, policy, network, codes)
    status, pair, next_on = pair_encoded(enc, tables)
    ridden = measure_legs(policy, network, tables, codes, enc, status, pair, next_on, given)
    return Prepared(policy, codes, enc, status, pair, ridden, demand.trips)


def price(prepared: Prepared, policy: Policy | None = None) -> Priced:
    """The prepared trips' fares under `policy` (default: the policy prepared with), which may differ
    from it in amounts only: the same modes, media, categories and time rules."""
    policy = policy or prepared.policy
    tables, codes = compile_policy(policy)
    if codes != prepared.codes or not _same_structure(tables, compile_policy(prepared.policy)[0]):
        raise ShahrError(
            f"policy {policy.id} differs from {prepared.policy.id} in more than amounts: prepare it anew"
        )
    enc, ridden = prepared.enc, prepared.ridden
    _legs, journeys, _counts = build_journeys(
        tables, enc.card_start, enc.kind_on, enc.t_ms, enc.local_ms, enc.version, prepared.status,
        prepared.pair, enc.mode, enc.medium, enc.cat, enc.route_key, enc.station, ridden.dist,
        ridden.status, ridden.exit_bad,
    )  # fmt: skip
    fare = np.zeros(prepared.trips, np.int64)
    count = np.zeros(prepared.trips, np.int64)
    if len(journeys.card):  # journeys come in card (= trip) order
        starts = np.flatnonzero(np.r_[True, journeys.card[1:] != journeys.card[:-1]])
        fare[journeys.card[starts]] = np.add.reduceat(journeys.fare, starts)
        count[journeys.card[starts]] = np.diff(np.r_[starts, len(journeys.card)])
    return Priced(policy, fare, count, int(np.count_nonzero(prepared.status)))


def price_demand(demand: Demand, policy: Policy, network: FareNetwork) -> Priced:
    return price(prepare(demand, policy, network))


_STRUCTURE = ("mode_network", "missing_rule", "duplicate_ms", "orphan_base_fare", "max_transfers")
"""What preparing depended on: a variant that changes these must be prepared anew."""


def _same_structure(a: PolicyTables, b: PolicyTables) -> bool:
    return all(np.array_equal(getattr(a, name), getattr(b, name)) for name in _STRUCTURE)
