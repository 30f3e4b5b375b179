"""Day settlement, the reference: the fare engine applied card by card to a day of taps.

Slow and obvious on purpose: every fare comes from `FareEngine.rate`, every operator share from
`shahr.fares.apportion`. The compiled settlement (`shahr.batch.columnar.settle_compiled`) must return
exactly the same `SettledDay`; this is what it is tested against.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import numpy as np
import polars as pl
import pyarrow.parquet as pq

from shahr.batch.schema import TAPS_SCHEMA, TRUTH_KEY
from shahr.errors import ShahrError
from shahr.fares.apportion import apportion, leg_weights
from shahr.fares.engine import FareEngine
from shahr.fares.load import Policy
from shahr.fares.model import Anomaly, AnomalyCode, Journey, Tap, TapKind
from shahr.fares.network import FareNetwork
from shahr.fares.taps_io import TapFileError

UTC_MS = pl.Datetime("ms", "UTC")
TAPS_COLUMNS: dict[str, pl.DataType] = dict(pl.from_arrow(TAPS_SCHEMA.empty_table()).schema)  # type: ignore[union-attr]
LEGS_SCHEMA: dict[str, Any] = {
    "card_id": pl.Int64, "journey_seq": pl.Int32, "leg_seq": pl.Int8, "mode": pl.String,
    "route_id": pl.String, "operator": pl.String, "board_stop": pl.String, "board_at": UTC_MS,
    "alight_stop": pl.String, "alight_at": UTC_MS, "distance_m": pl.Int64, "distance_method": pl.String,
    "exit_status": pl.String, "free": pl.Boolean,
}  # fmt: skip
JOURNEYS_SCHEMA: dict[str, Any] = {
    "card_id": pl.Int64, "journey_seq": pl.Int32, "service_date": pl.Date, "start": UTC_MS,
    "legs": pl.Int8, "distance_m": pl.Int64, "fare": pl.Int64, "rider_category": pl.String,
    "medium": pl.String, "base_mode": pl.String, "base_fare": pl.Int64, "surcharge": pl.Int64,
    "capped": pl.Boolean, "codes": pl.String, "policy_version": pl.Date,
}  # fmt: skip
SHARES_SCHEMA: dict[str, Any] = {
    "card_id": pl.Int64, "journey_seq": pl.Int32, "operator": pl.String, "amount": pl.Int64,
}  # fmt: skip
QUARANTINE_SCHEMA: dict[str, Any] = {**TAPS_COLUMNS, "reason": pl.String, "detail": pl.String}
TAP_ORDER = ["card_id", "tapped_at", "device_id", "seq"]
"""How a card's taps are rated, and how quarantine rows are sorted."""
UPLOAD_KEY = ["card_id", "device_id", "seq"]
"""A row repeating an earlier row's key was uploaded twice. `(device_id, seq)` names a tap, so copies
share the card; keying on the card too keeps a device counter reused for another card (a replaced
validator) a tap of its own, and puts every copy of a tap in the same card shard."""


@dataclass(frozen=True)
class SettledDay:
    """A day of taps settled: legs, journeys, operator shares, refused taps, and counts."""

    legs: pl.DataFrame
    journeys: pl.DataFrame
    operator_shares: pl.DataFrame
    quarantine: pl.DataFrame
    counts: dict[str, int]


SettleFunction = Callable[[pl.DataFrame, Policy, FareNetwork], SettledDay]
"""The signature shared by `settle_reference` and `settle_compiled`."""


def check_taps(taps: pl.DataFrame, source: str = "taps") -> None:
    """Raise TapFileError naming the first missing or mistyped column, or a null where none may be."""
    for name, dtype in TAPS_COLUMNS.items():
        if name not in taps.columns:
            raise TapFileError(f"{source}: missing column {name!r} ({dtype})")
        if taps.schema[name] != dtype:
            raise TapFileError(f"{source}: column {name!r} is {taps.schema[name]}, expected {dtype}")
    for field in TAPS_SCHEMA:
        if not field.nullable and taps[field.name].null_count():
            raise TapFileError(f"{source}: column {field.name!r} has nulls")
    bad = taps.filter(~pl.col("kind").is_in(["on", "off"]))
    if len(bad):
        raise TapFileError(f"{source}: column 'kind' has {bad['kind'][0]!r}; expected 'on' or 'off'")


def read_taps(path: Path, shard: tuple[int, int] | None = None) -> pl.DataFrame:
    """The taps of a Parquet file, checked; with `shard=(k, K)` only cards with card_id % K == k."""
    try:
        scan = pl.scan_parquet(path)
        if shard is not None:
            scan = scan.filter(pl.col("card_id") % shard[1] == shard[0])
        taps = scan.collect()
    except FileNotFoundError as exc:
        raise TapFileError(f"{path}: no such file") from exc
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise TapFileError(f"{path}: cannot read as Parquet: {exc}") from exc
    check_taps(taps, str(path))
    return taps


def read_truth(path: Path) -> dict[str, Any] | None:
    """The generator's ground truth stored in the file's metadata, if any."""
    metadata = pq.read_metadata(path).metadata or {}  # the footer: written once the file is complete
    if TRUTH_KEY not in metadata:
        return None
    try:
        truth = json.loads(metadata[TRUTH_KEY])
    except json.JSONDecodeError as exc:
        raise TapFileError(f"{path}: ground truth metadata is not JSON: {exc.msg}") from exc
    return truth if isinstance(truth, dict) else None


def drop_reuploads(taps: pl.DataFrame) -> pl.DataFrame:
    """The taps with every later copy of an uploaded row dropped (the first in file order is kept)."""
    return taps.unique(subset=UPLOAD_KEY, keep="first", maintain_order=True)


def get_settle_function(engine: str) -> SettleFunction:
    """`reference` (this module) or `compiled` (shahr.batch.columnar), imported only when asked for."""
    if engine == "reference":
        return settle_reference
    if engine != "compiled":
        raise ShahrError(f"unknown settlement engine {engine!r}: use compiled or reference")
    try:
        columnar = importlib.import_module("shahr.batch.columnar")
        return cast(SettleFunction, columnar.settle_compiled)
    except (ImportError, AttributeError) as exc:
        raise ShahrError(
            f"the compiled settlement engine is not available ({exc}); use --engine reference"
        ) from exc


def settle_reference(taps: pl.DataFrame, policy: Policy, network: FareNetwork) -> SettledDay:
    """Settle a day of taps (TAPS_SCHEMA columns) by rating each card's taps with the fare engine."""
    check_taps(taps)
    distinct = drop_reuploads(taps).select(list(TAPS_COLUMNS)).sort(TAP_ORDER, maintain_order=True)
    engine = FareEngine(policy, network)
    out = _Collector(policy)
    cards = distinct["card_id"].to_numpy()
    starts = np.flatnonzero(np.r_[True, cards[1:] != cards[:-1]]) if len(cards) else np.zeros(0, int)
    ends = np.r_[starts[1:], len(cards)]
    rows = distinct.rows()
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        card_rows = rows[start:end]
        rating = engine.rate([_tap(row) for row in card_rows])
        out.add_card(card_rows[0][0], rating.journeys)
        out.add_anomalies(rating.anomalies, card_rows, start)
    return out.day(distinct, len(taps))


def _tap(row: tuple[Any, ...]) -> Tap:
    _card, device_id, seq, kind, tapped_at, _up, stop_id, route_id, trip_id, medium, category = row
    return Tap(
        TapKind(kind),
        tapped_at,
        stop_id,
        route_id,
        trip_id,
        medium,
        category,
        tap_id=f"{device_id}:{seq}",
    )


class _Collector:
    """Rows of the output frames, gathered card by card."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.legs: list[tuple[Any, ...]] = []
        self.journeys: list[tuple[Any, ...]] = []
        self.weights: list[np.ndarray[Any, np.dtype[np.int64]]] = []
        self.rejected: list[tuple[int, str, str]] = []
        self.anomalies = dict.fromkeys(AnomalyCode, 0)

    def add_card(self, card_id: int, journeys: tuple[Journey, ...]) -> None:
        for seq, journey in enumerate(journeys):
            e = journey.explanation
            self.journeys.append(
                (
                    card_id, seq, self.policy.service_date(journey.start), journey.start, len(journey.legs),
                    journey.distance_m, journey.fare_minor, e.rider_category, e.medium, e.base_mode,
                    e.base_fare_minor, e.surcharge_minor, e.capped, ",".join(e.rules), e.version_from,
                )
            )  # fmt: skip
            self.weights.append(leg_weights(self.policy, journey))
            for leg_seq, leg in enumerate(journey.legs):
                self.legs.append(
                    (
                        card_id, seq, leg_seq, leg.mode, leg.route_id, leg.agency_id or "unknown",
                        leg.board.stop_id, leg.board.time, leg.exit_stop_id,
                        leg.alight.time if leg.alight is not None else None, leg.distance.metres,
                        leg.distance.method, leg.exit_status.value, leg.free,
                    )
                )  # fmt: skip

    def add_anomalies(
        self, anomalies: tuple[Anomaly, ...], card_rows: list[tuple[Any, ...]], first_row: int
    ) -> None:
        index = {f"{row[1]}:{row[2]}": first_row + i for i, row in enumerate(card_rows)}
        for anomaly in anomalies:
            self.anomalies[anomaly.code] += 1
            if anomaly.rejects_tap:
                self.rejected.append((index[anomaly.tap.tap_id or ""], anomaly.code.value, anomaly.detail))

    def day(self, distinct: pl.DataFrame, n_rows: int) -> SettledDay:
        legs = pl.DataFrame(self.legs, schema=LEGS_SCHEMA, orient="row")
        journeys = pl.DataFrame(self.journeys, schema=JOURNEYS_SCHEMA, orient="row")
        shares = _shares(legs, journeys, self.weights)
        quarantine = _quarantine(distinct, self.rejected)
        counts = {
            "taps": n_rows,
            "duplicate_uploads": n_rows - len(distinct),
            "rated_taps": len(distinct),
            "journeys": len(journeys),
            "legs": len(legs),
            "legs_without_tap_off": legs["alight_at"].null_count(),
            "late_uploads": _late_uploads(distinct, self.policy),
            "quarantined": len(quarantine),
            "revenue": int(journeys["fare"].sum()),
            **{f"anomaly.{code.value}": n for code, n in self.anomalies.items()},
        }
        return SettledDay(legs, journeys, shares, quarantine, counts)


def _shares(
    legs: pl.DataFrame, journeys: pl.DataFrame, weights: list[np.ndarray[Any, np.dtype[np.int64]]]
) -> pl.DataFrame:
    """One row per operator of each journey, in order of the operator's first leg, even at 0 rials:
    the row also records that the operator carried the rider (free rides, zero-weight legs)."""
    journey_of_leg = np.repeat(np.arange(len(journeys), dtype=np.int64), journeys["legs"].to_numpy())
    all_weights = np.concatenate(weights) if weights else np.zeros(0, dtype=np.int64)
    parts = apportion(journeys["fare"].to_numpy(), journey_of_leg, all_weights)
    return (
        legs.select("card_id", "journey_seq", "operator")
        .with_columns(amount=pl.Series(parts, dtype=pl.Int64))
        .group_by(["card_id", "journey_seq", "operator"], maintain_order=True)
        .agg(pl.col("amount").sum())
        .cast(SHARES_SCHEMA)  # type: ignore[arg-type]
    )


def _quarantine(distinct: pl.DataFrame, rejected: list[tuple[int, str, str]]) -> pl.DataFrame:
    rows = pl.DataFrame(
        rejected, schema={"row": pl.UInt32, "reason": pl.String, "detail": pl.String}, orient="row"
    )
    taken = distinct[rows["row"]].with_columns(rows["reason"], rows["detail"])
    return taken.sort(TAP_ORDER, maintain_order=True)


def _late_uploads(distinct: pl.DataFrame, policy: Policy) -> int:
    """Taps uploaded after their service day ended (at the next day's service_day_start, local)."""
    start = policy.header.service_day_start
    late = 0
    ends: dict[date, datetime] = {}
    for tapped_at, uploaded_at in distinct.select("tapped_at", "uploaded_at").iter_rows():
        day = policy.service_date(tapped_at)
        if day not in ends:
            ends[day] = datetime.combine(day + timedelta(days=1), start, tzinfo=policy.tz)
        late += uploaded_at > ends[day]
    return late
