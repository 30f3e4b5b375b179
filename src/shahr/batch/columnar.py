"""Day settlement, compiled: the same `SettledDay` as `settle.settle_reference`, in columns.

    taps ─► encode (Polars: codes, local time, tariff version, resolution per distinct question)
         ─► pair_taps (numba: refusals, which tap-off closes which tap-on)
         ─► measure (the network, once per distinct leg; missing tap-offs settled by the engine's rule)
         ─► build_journeys (numba: transfers, prices, never-refund) ─► frames, shares, counts

No fare rule is written here: rules come from `shahr.fares.compiled` (the engine's rules over arrays,
held to the engine by the differential test) and from the engine's own functions called per question.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from shahr.batch.dedupe import first_copies
from shahr.batch.encode import CODES, I64, EncodedTaps, code_of, encode, late_uploads, no_tariff_detail
from shahr.batch.settle import (
    JOURNEYS_SCHEMA,
    LEGS_SCHEMA,
    TAP_ORDER,
    TAPS_COLUMNS,
    SettledDay,
    _quarantine,
    _shares,
    check_taps,
)
from shahr.errors import NetworkError
from shahr.fares.compiled.pricing import standalone_bases
from shahr.fares.compiled.scan import NOT_EXPECTED, TAPPED, Journeys, Legs, build_journeys, pair_taps
from shahr.fares.compiled.tables import Codes, PolicyTables, compile_policy
from shahr.fares.load import Policy
from shahr.fares.model import AnomalyCode, ExitStatus, Leg, Tap, TapKind
from shahr.fares.network import FareNetwork
from shahr.fares.rules.missing_tap_off import close_without_tap_off
from shahr.fares.rules.ridden import ridden_distance
from shahr.network.model import Distance

STATUSES = [s.value for s in ExitStatus]
_ANY_TIME = datetime(2000, 1, 1).astimezone()


def settle_compiled(taps: pl.DataFrame, policy: Policy, network: FareNetwork) -> SettledDay:
    """Settle a day of taps (TAPS_SCHEMA columns); exactly `settle_reference`'s answer, faster."""
    check_taps(taps)
    ordered = taps.select(list(TAPS_COLUMNS)).with_row_index("file_row").sort(TAP_ORDER, maintain_order=True)
    cards = ordered["card_id"].to_numpy()
    keep = first_copies(
        _card_starts(cards), ordered["device_id"].to_numpy().astype(np.int64), ordered["seq"].to_numpy(),
        ordered["file_row"].to_numpy().astype(np.int64),
    )  # fmt: skip
    distinct = ordered.filter(pl.Series(keep)).drop("file_row")
    tables, codes = compile_policy(policy)
    enc = encode(distinct, policy, network, codes)
    status, pair, next_on = pair_encoded(enc, tables)
    ridden = measure_legs(policy, network, tables, codes, enc, status, pair, next_on)
    legs, journeys, counts = build_journeys(
        tables, enc.card_start, enc.kind_on, enc.t_ms, enc.local_ms, enc.version, status, pair, enc.mode,
        enc.medium, enc.cat, enc.route_key, enc.station, ridden.dist, ridden.status, ridden.exit_bad,
    )  # fmt: skip
    legs_frame = _legs_frame(distinct, enc, codes, legs, journeys, ridden)
    journeys_frame = _journeys_frame(distinct, policy, enc, codes, legs, journeys, legs_frame)
    by_distance = np.array([v.apportionment == "distance" for v in policy.versions])[journeys.version]
    weights = np.where(
        by_distance[legs.journey],
        legs.dist,
        standalone_bases(tables, journeys.version[legs.journey], legs.mode, legs.medium, legs.cat,
                         legs.local_ms, legs.free),
    ).astype(np.int64)  # fmt: skip
    shares = _shares(legs_frame, journeys_frame, [weights])
    quarantine = _quarantine(distinct, _refused_rows(policy, tables, enc, status))
    rejected = np.bincount(status, minlength=len(CODES) + 1)
    anomalies = {code: int(rejected[code_of(code)]) for code in AnomalyCode}
    anomalies[AnomalyCode.MISSING_TAP_OFF] = int(counts[0])
    anomalies[AnomalyCode.TAP_OFF_WITHOUT_TAP_ON] = int(counts[1])
    anomalies[AnomalyCode.EXIT_NOT_ON_ROUTE] = int(counts[2])
    summary = {
        "taps": len(taps),
        "duplicate_uploads": len(taps) - len(distinct),
        "rated_taps": len(distinct),
        "journeys": len(journeys_frame),
        "legs": len(legs_frame),
        "legs_without_tap_off": legs_frame["alight_at"].null_count(),
        "late_uploads": late_uploads(distinct, enc, policy),
        "quarantined": len(quarantine),
        "revenue": int(journeys_frame["fare"].sum()),
        **{f"anomaly.{code.value}": n for code, n in anomalies.items()},
    }
    return SettledDay(legs_frame, journeys_frame, shares, quarantine, summary)


def pair_encoded(enc: EncodedTaps, tables: PolicyTables) -> tuple[I64, I64, I64]:
    """`pair_taps` over encoded taps: (status, pair, next_on) per row."""
    return pair_taps(
        enc.card_start, enc.kind_on, enc.t_ms, enc.version, enc.stop, enc.raw_route, enc.refusal, enc.mode,
        enc.route_key, tables.duplicate_ms, code_of(AnomalyCode.NO_TARIFF),
        code_of(AnomalyCode.DUPLICATE_TAP),
    )  # fmt: skip


METHODS = ["shape_dist_traveled", "shape_projection", "straight_lines", "rail_network", "given", "assumed"]
_MEASURE, _SETTLE, _NOT_EXPECTED = 0, 1, 2


@dataclass(frozen=True)
class Ridden:
    """Per tap-on row: the leg's distance, status, method and exit stop once closed; `exit_bad` when its
    tap-off does not follow it on the route. `exit_stops` extends the taps' stop codes with inferred exits."""

    dist: I64
    status: I64
    exit_bad: npt.NDArray[np.bool_]
    method: I64
    exit: I64
    exit_stops: list[str]


def measure_legs(
    policy: Policy, network: FareNetwork, tables: PolicyTables, codes: Codes, enc: EncodedTaps,
    status: I64, pair: I64, next_on: I64, given: I64 | None = None,
) -> Ridden:  # fmt: skip
    """Distances of paired legs and settlements of unpaired ones: one network question per distinct leg.

    `given` (per row, -1 when unknown) holds distances already measured for tap-ons, as when the policy
    lab prices a demand whose legs were measured when it was settled: those paired legs ask nothing."""
    n = len(enc.t_ms)
    accepted = np.flatnonzero(enc.kind_on & (status == 0))
    known = np.zeros(len(accepted), np.bool_)
    if given is not None:
        known = (pair[accepted] >= 0) & (given[accepted] >= 0)
    on = accepted[~known]
    paired, following = pair[on], next_on[on]
    rule_none = tables.missing_rule[enc.version[on], enc.mode[on]] == 0
    question = np.where(paired >= 0, _MEASURE, np.where(rule_none, _NOT_EXPECTED, _SETTLE))
    other = np.where(paired >= 0, enc.stop[paired], np.where(following >= 0, enc.stop[following], -1))
    representative = getattr(network, "representative_trip", None)
    trip_ids = [representative(t) for t in enc.trip_ids] if representative else enc.trip_ids
    rep_codes = {t: i for i, t in enumerate(dict.fromkeys(trip_ids))}
    rep_trip = np.array([rep_codes[t] for t in trip_ids] + [-1], np.int64)[enc.trip[on]]
    reps = list(rep_codes)
    keys = ["question", "version", "mode", "board", "other", "route", "trip"]
    asked = pl.DataFrame(
        {"question": question, "version": enc.version[on], "mode": enc.mode[on], "board": enc.stop[on],
         "other": np.where(question == _NOT_EXPECTED, -1, other), "route": enc.route[on], "trip": rep_trip}
    )  # fmt: skip
    exit_stops = list(enc.stop_ids)
    stop_code = {s: i for i, s in enumerate(exit_stops)}
    answers = []
    for q, v, m, board, other_stop, route, trip in asked.unique(keys).iter_rows():
        mode_id = codes.modes[m]
        mode = policy.versions[v].modes[mode_id]
        board_id = enc.stop_ids[board]
        route_id = enc.route_ids[route] if route >= 0 else None
        trip_id = reps[trip] if trip >= 0 else None
        if q == _NOT_EXPECTED:
            answers.append(
                (
                    q,
                    v,
                    m,
                    board,
                    other_stop,
                    route,
                    trip,
                    0,
                    NOT_EXPECTED,
                    METHODS.index("assumed"),
                    -1,
                    False,
                )
            )
            continue
        bad = False
        if q == _MEASURE:
            try:
                d = ridden_distance(network, mode, board_id, enc.stop_ids[other_stop], route_id, trip_id)
                answers.append(
                    (
                        q,
                        v,
                        m,
                        board,
                        other_stop,
                        route,
                        trip,
                        d.metres,
                        TAPPED,
                        METHODS.index(d.method),
                        other_stop,
                        False,
                    )
                )
                continue
            except NetworkError:
                bad = True
        tap = Tap(TapKind.ON, _ANY_TIME, board_id, route_id, trip_id)
        leg = Leg(mode_id, route_id, "", tap, None, None, Distance(0, "assumed"), ExitStatus.MISSING)
        next_tap = (
            replace(tap, stop_id=enc.stop_ids[other_stop]) if q == _SETTLE and other_stop >= 0 else None
        )
        done = close_without_tap_off(leg, mode, network, next_tap)
        exit_code = (
            -1 if done.exit_stop_id is None else stop_code.setdefault(done.exit_stop_id, len(stop_code))
        )
        status_code = STATUSES.index(done.exit_status.value)
        method_code = METHODS.index(done.distance.method)
        answer = (done.distance.metres, status_code, method_code, exit_code, bad)
        answers.append((q, v, m, board, other_stop, route, trip, *answer))
    exit_stops = list(stop_code)
    schema = dict.fromkeys(keys, pl.Int64) | {
        "dist": pl.Int64, "status": pl.Int64, "method": pl.Int64, "exit": pl.Int64, "bad": pl.Boolean,
    }  # fmt: skip
    answered = asked.join(
        pl.DataFrame(answers, schema=schema, orient="row"), on=keys, how="left", maintain_order="left"
    )
    out = Ridden(
        dist=np.zeros(n, np.int64),
        status=np.full(n, NOT_EXPECTED, np.int64),
        exit_bad=np.zeros(n, np.bool_),
        method=np.full(n, METHODS.index("assumed"), np.int64),
        exit=np.full(n, -1, np.int64),
        exit_stops=exit_stops,
    )
    out.dist[on] = answered["dist"].to_numpy()
    out.status[on] = answered["status"].to_numpy()
    out.exit_bad[on] = answered["bad"].to_numpy()
    out.method[on] = answered["method"].to_numpy()
    out.exit[on] = answered["exit"].to_numpy()
    if given is not None:
        measured = accepted[known]
        out.dist[measured] = given[measured]
        out.status[measured] = TAPPED
        out.method[measured] = METHODS.index("given")
        out.exit[measured] = enc.stop[pair[measured]]
    return out


def _where(mask: npt.NDArray[np.bool_], values: pl.Series) -> pl.Series:
    """The values where the mask holds, null elsewhere."""
    return pl.select(pl.when(pl.Series(mask)).then(values)).to_series()


def _strings(values: list[str]) -> pl.Series:
    """Values to gather by code, with code -1 giving null."""
    return pl.Series([*values, None], dtype=pl.String)


def _legs_frame(
    taps: pl.DataFrame, enc: EncodedTaps, codes: Codes, legs: Legs, journeys: Journeys, ridden: Ridden
) -> pl.DataFrame:
    board, alight = legs.board, legs.alight
    penalty = board == alight
    exit_code = np.where(penalty, enc.stop[board], ridden.exit[board])
    method = np.where(penalty, METHODS.index("assumed"), ridden.method[board])
    operator = _strings(enc.agency_ids).gather(enc.agency[board]).fill_null("unknown")
    frame = pl.DataFrame(
        {
            "card_id": taps["card_id"].gather(board),
            "journey_seq": journeys.seq[legs.journey],
            "leg_seq": np.arange(len(board)) - journeys.first_leg[legs.journey],
            "mode": _strings(list(codes.modes)).gather(legs.mode),
            "route_id": _strings(enc.route_ids).gather(enc.route[board]),
            "operator": operator,
            "board_stop": taps["stop_id"].gather(board),
            "board_at": taps["tapped_at"].gather(board),
            "alight_stop": _strings(ridden.exit_stops).gather(exit_code),
            "alight_at": _where(alight >= 0, taps["tapped_at"].gather(alight)),
            "distance_m": legs.dist,
            "distance_method": _strings(METHODS).gather(method),
            "exit_status": _strings(STATUSES).gather(legs.status),
            "free": legs.free,
        }
    )
    return frame.cast(LEGS_SCHEMA)  # type: ignore[arg-type]


def _journeys_frame(
    taps: pl.DataFrame, policy: Policy, enc: EncodedTaps, codes: Codes, legs: Legs, journeys: Journeys,
    legs_frame: pl.DataFrame,
) -> pl.DataFrame:  # fmt: skip
    first_row = legs.board[journeys.first_leg]
    n = len(first_row)
    distance = np.add.reduceat(legs.dist, journeys.first_leg) if n else np.zeros(0, np.int64)
    free = legs.free[journeys.first_leg]
    untapped = np.flatnonzero((legs.alight < 0) & (legs.status != NOT_EXPECTED))
    missing_by_journey = (
        pl.DataFrame(
            {"journey": legs.journey[untapped], "status": _strings(STATUSES).gather(legs.status[untapped])}
        )
        .group_by("journey", maintain_order=True)
        .agg((pl.lit(",missing_tap_off:") + pl.col("status")).str.join("").alias("status"))
    )
    missing = (
        pl.DataFrame({"journey": np.arange(n, dtype=np.int64)})
        .join(missing_by_journey, on="journey", how="left", maintain_order="left")["status"]
        .fill_null("")
    )
    kinds = pl.DataFrame(
        {
            "free": free,
            "transfer": journeys.n_legs > 1,
            "mask": journeys.rule_mask,
            "version": journeys.version,
            "distance": journeys.surcharge > 0,
            "cap": journeys.capped,
        }
    )
    distinct_kinds = kinds.unique()
    named = distinct_kinds.with_columns(
        rules=pl.Series([_rules(codes, *row) for row in distinct_kinds.iter_rows()], dtype=pl.String)
    )
    rules = kinds.join(named, on=kinds.columns, how="left", maintain_order="left")["rules"]
    days = pl.Series(enc.service_day[first_row]).cast(pl.Int32).cast(pl.Date)
    effective = pl.Series([v.effective_from for v in policy.versions], dtype=pl.Date)
    frame = pl.DataFrame(
        {
            "card_id": taps["card_id"].gather(first_row),
            "journey_seq": journeys.seq,
            "service_date": days,
            "start": taps["tapped_at"].gather(first_row),
            "legs": journeys.n_legs,
            "distance_m": distance,
            "fare": journeys.fare,
            "rider_category": taps["rider_category"].gather(first_row),
            "medium": taps["medium"].gather(first_row),
            "base_mode": _strings(list(codes.modes)).gather(legs.mode[journeys.top_leg]),
            "base_fare": journeys.base,
            "surcharge": journeys.surcharge,
            "capped": journeys.capped,
            "codes": (rules + _where(~free, missing).fill_null("")).str.strip_chars_start(","),
            "policy_version": effective.gather(journeys.version),
        }
    )
    return frame.cast(JOURNEYS_SCHEMA)  # type: ignore[arg-type]


def _rules(
    codes: Codes, free: bool, transfer: bool, mask: int, version: int, distance: bool, cap: bool
) -> str:
    """`Explanation.rules` before the missing tap-off codes, in `price_journey`'s order."""
    if free:
        return "free_ride"
    parts = ["transfer"] if transfer else []
    parts += [rule for r, rule in enumerate(codes.rule_ids[version]) if mask >> r & 1]
    parts += ["distance"] if distance else []
    parts += ["cap"] if cap else []
    return ",".join(parts)


def _refused_rows(
    policy: Policy, tables: PolicyTables, enc: EncodedTaps, status: Any
) -> list[tuple[int, str, str]]:
    """(row, reason, detail) of every refused tap, with the engine's messages."""
    rows = []
    no_tariff, duplicate = code_of(AnomalyCode.NO_TARIFF), code_of(AnomalyCode.DUPLICATE_TAP)
    for r in np.flatnonzero(status).tolist():
        code = int(status[r])
        if code == no_tariff:
            detail = no_tariff_detail(policy, int(enc.service_day[r]))
        elif code == duplicate:
            detail = f"same tap again within {tables.duplicate_ms[enc.version[r]] // 1000} s"
        else:
            detail = enc.refusal_detail[r]
        rows.append((r, CODES[code - 1].value, detail))
    return rows


def _card_starts(cards: I64) -> I64:
    starts = np.flatnonzero(np.r_[True, cards[1:] != cards[:-1]]) if len(cards) else np.zeros(0, np.int64)
    bounds: I64 = np.r_[starts, len(cards)].astype(np.int64)
    return bounds
