"""A day of taps as integer columns for the compiled scans: codes for stops, routes and stations, local
time, the tariff version, and what each tap resolves to (mode, route key, operator) or why it is
refused. Resolution asks `shahr.fares.resolve.resolve_tap` once per distinct question, so the rules
are the engine's own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from shahr.errors import PolicyError
from shahr.fares.compiled.tables import Codes
from shahr.fares.load import Policy
from shahr.fares.model import Anomaly, AnomalyCode, Tap, TapKind
from shahr.fares.network import FareNetwork
from shahr.fares.resolve import resolve_tap

I64 = npt.NDArray[np.int64]
CODES = list(AnomalyCode)
"""A refusal's code in the scans is its index here plus one; 0 means accepted."""
_ANY_TIME = datetime(2000, 1, 1, tzinfo=UTC)  # resolution does not depend on the time
_EPOCH_DAY = date(1970, 1, 1)


def code_of(anomaly: AnomalyCode) -> int:
    return CODES.index(anomaly) + 1


@dataclass(frozen=True)
class EncodedTaps:
    card_start: I64
    kind_on: npt.NDArray[np.bool_]
    t_ms: I64
    local_ms: I64
    service_day: I64  # days since 1970-01-01 of the tap's service date
    version: I64  # tariff index, -1 when none is in force
    stop: I64  # codes into `stop_ids`
    raw_route: I64  # codes of the tap's own route_id, -1 when null
    station: I64
    medium: I64
    cat: I64
    refusal: I64  # 0, or the code of the anomaly that refuses the tap
    mode: I64
    route_key: I64
    route: I64  # codes into `route_ids` of the resolved route, -1 when none
    agency: I64  # codes into `agency_ids`, -1 when none
    trip: I64  # codes into `trip_ids` of the tap's trip, -1 when null
    refusal_detail: dict[int, str]  # row -> message, for refused rows
    stop_ids: list[str]
    route_ids: list[str]
    agency_ids: list[str]
    trip_ids: list[str]


def _codes(series: pl.Series) -> tuple[I64, list[str]]:
    """Integer codes of a string column (null -> -1) and the strings they stand for."""
    values = series.drop_nulls().unique().sort().to_list()
    mapping = {v: i for i, v in enumerate(values)}
    codes = series.replace_strict(mapping, default=-1, return_dtype=pl.Int64).to_numpy()
    return codes.astype(np.int64, copy=False), values


def encode(taps: pl.DataFrame, policy: Policy, network: FareNetwork, codes: Codes) -> EncodedTaps:
    """Columns of taps already sorted by card and time (see `settle.TAP_ORDER`)."""
    cards = taps["card_id"].to_numpy()
    starts = np.flatnonzero(np.r_[True, cards[1:] != cards[:-1]]) if len(cards) else np.zeros(0, np.int64)
    card_start = np.r_[starts, len(cards)].astype(np.int64, copy=False)
    start = policy.header.service_day_start
    local = taps.select(
        pl.col("tapped_at").dt.epoch("ms").alias("t_ms"),
        pl.col("tapped_at")
        .dt.convert_time_zone(policy.header.timezone)
        .dt.replace_time_zone(None)
        .alias("wall"),
    ).with_columns(
        local_ms=(
            pl.col("wall").dt.hour().cast(pl.Int64) * 3_600_000
            + pl.col("wall").dt.minute().cast(pl.Int64) * 60_000
            + pl.col("wall").dt.second().cast(pl.Int64) * 1000
            + pl.col("wall").dt.millisecond().cast(pl.Int64)
        ),
        day=(pl.col("wall") - pl.duration(hours=start.hour, minutes=start.minute, seconds=start.second))
        .dt.date()
        .cast(pl.Int64),
    )
    service_day = local["day"].to_numpy().astype(np.int64, copy=False)
    effective = np.array([(v.effective_from - date(1970, 1, 1)).days for v in policy.versions], np.int64)
    version = np.searchsorted(effective, service_day, side="right").astype(np.int64, copy=False) - 1
    stop, stop_ids = _codes(taps["stop_id"])
    raw_route, _ = _codes(taps["route_id"])
    station_codes: dict[str, int] = {}
    station_of_stop = np.array(
        [station_codes.setdefault(network.station_of(s), len(station_codes)) for s in stop_ids], np.int64
    )
    medium_index = {m: i for i, m in enumerate(codes.media)}
    cat_index = {c: i for i, c in enumerate(codes.categories)}
    combos = (
        taps.select("rider_category", "medium", "stop_id", "route_id")
        .with_columns(version=pl.Series(version))
        .with_row_index("row")
    )
    distinct = combos.unique(["version", "rider_category", "medium", "stop_id", "route_id"], keep="first")
    resolved = _resolve_distinct(distinct, policy, network, codes)
    keys = ["version", "rider_category", "medium", "stop_id", "route_id"]
    combo = combos.join(resolved, on=keys, how="left", nulls_equal=True, maintain_order="left")
    refused = combo.filter(pl.col("refusal") > 0)
    route, route_ids = _codes(combo["resolved_route"])
    agency, agency_ids = _codes(combo["agency"])
    trip, trip_ids = _codes(taps["trip_id"])
    return EncodedTaps(
        card_start=card_start,
        kind_on=(taps["kind"] == "on").to_numpy(),
        t_ms=local["t_ms"].to_numpy().astype(np.int64, copy=False),
        local_ms=local["local_ms"].to_numpy().astype(np.int64, copy=False),
        service_day=service_day,
        version=version,
        stop=stop,
        raw_route=raw_route,
        station=station_of_stop[stop],
        medium=taps["medium"].replace_strict(medium_index, default=0, return_dtype=pl.Int64).to_numpy(),
        cat=taps["rider_category"].replace_strict(cat_index, default=0, return_dtype=pl.Int64).to_numpy(),
        refusal=combo["refusal"].to_numpy().astype(np.int64, copy=False),
        mode=combo["mode"].to_numpy().astype(np.int64, copy=False),
        route_key=combo["route_key"].to_numpy().astype(np.int64, copy=False),
        route=route,
        agency=agency,
        trip=trip,
        refusal_detail=dict(zip(refused["row"].to_list(), refused["detail"].to_list(), strict=True)),
        stop_ids=stop_ids,
        route_ids=route_ids,
        agency_ids=agency_ids,
        trip_ids=trip_ids,
    )


def _resolve_distinct(
    distinct: pl.DataFrame, policy: Policy, network: FareNetwork, codes: Codes
) -> pl.DataFrame:
    """What each distinct (version, category, medium, stop, route) resolves to, by the engine's rules."""
    mode_index = {m: i for i, m in enumerate(codes.modes)}
    keys: dict[str, int] = {}
    rows: list[tuple[Any, ...]] = []
    for version, category, medium, stop_id, route_id in distinct.select(
        "version", "rider_category", "medium", "stop_id", "route_id"
    ).iter_rows():
        tap = Tap(TapKind.ON, _ANY_TIME, stop_id, route_id, None, medium, category)
        if version < 0:
            rows.append((version, category, medium, stop_id, route_id, 0, "", -1, -1, None, None))
            continue
        outcome = resolve_tap(policy.versions[version], network, tap, policy.id)
        if isinstance(outcome, Anomaly):
            refusal = code_of(outcome.code)
            rows.append(
                (version, category, medium, stop_id, route_id, refusal, outcome.detail, -1, -1, None, None)
            )
            continue
        key = keys.setdefault(outcome.route_key, len(keys))
        rows.append(
            (version, category, medium, stop_id, route_id, 0, "", mode_index[outcome.mode], key,
             outcome.route_id, outcome.agency_id)
        )  # fmt: skip
    schema = {
        "version": pl.Int64, "rider_category": pl.String, "medium": pl.String, "stop_id": pl.String,
        "route_id": pl.String, "refusal": pl.Int64, "detail": pl.String, "mode": pl.Int64,
        "route_key": pl.Int64, "resolved_route": pl.String, "agency": pl.String,
    }  # fmt: skip
    return pl.DataFrame(rows, schema=schema, orient="row")


def no_tariff_detail(policy: Policy, service_day: int) -> str:
    """The engine's message for a tap before the policy's first version."""
    day = date.fromordinal(date(1970, 1, 1).toordinal() + service_day)
    try:
        policy.version_for(day)
    except PolicyError as exc:
        return str(exc)
    return ""


def late_uploads(taps: pl.DataFrame, enc: EncodedTaps, policy: Policy) -> int:
    """Taps uploaded after their service day ended (the next day's service_day_start, local time)."""
    days = np.unique(enc.service_day)
    start = policy.header.service_day_start
    ends = {
        int(d): int(
            datetime.combine(_EPOCH_DAY + timedelta(days=int(d) + 1), start, tzinfo=policy.tz).timestamp()
            * 1000
        )
        for d in days.tolist()
    }
    end_ms = np.array([ends[d] for d in days.tolist()], np.int64)[np.searchsorted(days, enc.service_day)]
    uploaded = taps["uploaded_at"].dt.epoch("ms").to_numpy()
    return int(np.count_nonzero(uploaded > end_ms))
