"""A day of taps as integer columns for the compiled scans: codes for stops, routes and stations, local
time, the tariff version, and what each tap resolves to (mode, route key, operator) or why it is
refused. Resolution asks `shahr.fares.resolve.resolve_tap` once per distinct question, so the rules
are the engine's own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

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
DAY_MS = 86_400_000
_SPAN_MINUTES = 2 * 366 * 1440
"""Up to two years of minutes are looked up as one table."""


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
    t_ms = taps["tapped_at"].dt.epoch("ms").to_numpy().astype(np.int64, copy=False)
    wall_ms = t_ms + utc_offsets_ms(t_ms, policy.tz)
    start = policy.header.service_day_start
    start_ms = ((start.hour * 60 + start.minute) * 60 + start.second) * 1000
    service_day = (wall_ms - start_ms) // DAY_MS
    effective = np.array([(v.effective_from - date(1970, 1, 1)).days for v in policy.versions], np.int64)
    version = np.searchsorted(effective, service_day, side="right").astype(np.int64, copy=False) - 1
    stop, stop_ids = _codes(taps["stop_id"])
    raw_route, route_values = _codes(taps["route_id"])
    cat_raw, cat_values = _codes(taps["rider_category"])
    medium_raw, medium_values = _codes(taps["medium"])
    station_codes: dict[str, int] = {}
    station_of_stop = np.array(
        [station_codes.setdefault(network.station_of(s), len(station_codes)) for s in stop_ids], np.int64
    )
    # One question per distinct (version, category, medium, stop, route), as one int64 key per tap.
    key = version + 1
    for part, values in ((cat_raw, cat_values), (medium_raw, medium_values), (stop, stop_ids),
                         (raw_route, route_values)):  # fmt: skip
        key = key * (len(values) + 1) + part + 1
    first, inverse = _distinct(key)
    distinct = taps[first].select("rider_category", "medium", "stop_id", "route_id")
    resolved = _resolve_distinct(
        distinct.with_columns(version=pl.Series(version[first])), policy, network, codes
    )
    refusal = resolved["refusal"].to_numpy().astype(np.int64, copy=False)[inverse]
    refused_rows = np.flatnonzero(refusal > 0)
    details = resolved["detail"].to_list()
    route_codes, route_ids = _codes(resolved["resolved_route"])
    agency_codes, agency_ids = _codes(resolved["agency"])
    trip, trip_ids = _codes(taps["trip_id"])
    medium_index = {m: i for i, m in enumerate(codes.media)}
    cat_index = {c: i for i, c in enumerate(codes.categories)}
    return EncodedTaps(
        card_start=card_start,
        kind_on=(taps["kind"] == "on").to_numpy(),
        t_ms=t_ms,
        local_ms=wall_ms % DAY_MS,
        service_day=service_day,
        version=version,
        stop=stop,
        raw_route=raw_route,
        station=station_of_stop[stop],
        medium=np.array([medium_index.get(m, 0) for m in medium_values], np.int64)[medium_raw],
        cat=np.array([cat_index.get(c, 0) for c in cat_values], np.int64)[cat_raw],
        refusal=refusal,
        mode=resolved["mode"].to_numpy().astype(np.int64, copy=False)[inverse],
        route_key=resolved["route_key"].to_numpy().astype(np.int64, copy=False)[inverse],
        route=route_codes[inverse],
        agency=agency_codes[inverse],
        trip=trip,
        refusal_detail={int(r): details[inverse[r]] for r in refused_rows},
        stop_ids=stop_ids,
        route_ids=route_ids,
        agency_ids=agency_ids,
        trip_ids=trip_ids,
    )


def _distinct(key: I64) -> tuple[I64, I64]:
    """(row of each distinct key's first appearance, each row's index into those): a hash join, several
    times faster than sorting millions of keys."""
    rows = pl.DataFrame({"key": key}).with_row_index("row")
    firsts = rows.unique("key", keep="first", maintain_order=True).with_row_index("index")
    inverse = rows.join(firsts.select("key", "index"), on="key", how="left", maintain_order="left")["index"]
    return firsts["row"].to_numpy().astype(np.int64), inverse.to_numpy().astype(np.int64)


def utc_offsets_ms(t_ms: I64, tz: ZoneInfo) -> I64:
    """Each instant's UTC offset in the time zone, in ms, looked up once per minute (zones change offset
    on whole minutes), not once per instant: per minute of the span the instants cover, or per distinct
    minute when they are spread over years (a device with a wrong clock)."""
    if not len(t_ms):
        return np.zeros(0, np.int64)
    minutes = t_ms // 60_000
    first, last = int(minutes.min()), int(minutes.max())
    if last - first <= _SPAN_MINUTES:
        return _offsets(np.arange(first, last + 1), tz)[minutes - first]
    distinct, index = np.unique(minutes, return_inverse=True)
    return _offsets(distinct, tz)[index]


def _offsets(minutes: I64, tz: ZoneInfo) -> I64:
    def offset(minute: int) -> int:
        delta = datetime.fromtimestamp(minute * 60, tz).utcoffset()
        assert delta is not None  # a ZoneInfo always knows its offset
        return int(delta.total_seconds()) * 1000

    return np.array([offset(int(m)) for m in minutes], np.int64)


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
