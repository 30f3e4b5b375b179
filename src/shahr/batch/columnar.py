"""Day settlement, compiled: the same `SettledDay` as `settle.settle_reference`, in columns.

    taps ─► encode (Polars: codes, local time, tariff version, resolution per distinct question)
         ─► pair_taps (numba: refusals, which tap-off closes which tap-on)
         ─► measure (the network, once per distinct leg; missing tap-offs settled by the engine's rule)
         ─► build_journeys (numba: transfers, prices, never-refund) ─► frames, shares, counts

No fare rule is written here: rules come from `shahr.fares.compiled` (the engine's rules over arrays,
held to the engine by the differential test) and from the engine's own functions called per question.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import polars as pl

from shahr.batch.encode import CODES, EncodedTaps, code_of, encode, no_tariff_detail
from shahr.batch.settle import (
    JOURNEYS_SCHEMA,
    LEGS_SCHEMA,
    TAP_ORDER,
    TAPS_COLUMNS,
    SettledDay,
    _late_uploads,
    _quarantine,
    _shares,
    check_taps,
    drop_reuploads,
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
_EPOCH = date(1970, 1, 1)
_ANY_TIME = datetime(2000, 1, 1).astimezone()


def settle_compiled(taps: pl.DataFrame, policy: Policy, network: FareNetwork) -> SettledDay:
    """Settle a day of taps (TAPS_SCHEMA columns); exactly `settle_reference`'s answer, faster."""
    check_taps(taps)
    distinct = drop_reuploads(taps).select(list(TAPS_COLUMNS)).sort(TAP_ORDER, maintain_order=True)
    tables, codes = compile_policy(policy)
    enc = encode(distinct, policy, network, codes)
    status, pair, next_on = pair_taps(
        enc.card_start, enc.kind_on, enc.t_ms, enc.version, enc.stop, enc.raw_route, enc.refusal, enc.mode,
        enc.route_key, tables.duplicate_ms, code_of(AnomalyCode.NO_TARIFF),
        code_of(AnomalyCode.DUPLICATE_TAP),
    )  # fmt: skip
    ridden = _measure(distinct, policy, network, tables, codes, enc, status, pair, next_on)
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
        "late_uploads": _late_uploads(distinct, policy),
        "quarantined": len(quarantine),
        "revenue": int(journeys_frame["fare"].sum()),
        **{f"anomaly.{code.value}": n for code, n in anomalies.items()},
    }
    return SettledDay(legs_frame, journeys_frame, shares, quarantine, summary)


class _Ridden:
    """Per tap-on: the leg's distance, status, method and exit once closed; `exit_bad` when its
    tap-off does not follow it on the route."""

    def __init__(self, n: int) -> None:
        self.dist = np.zeros(n, np.int64)
        self.status = np.full(n, NOT_EXPECTED, np.int64)
        self.exit_bad = np.zeros(n, np.bool_)
        self.method: dict[int, str] = {}
        self.exit: dict[int, str | None] = {}


def _measure(
    taps: pl.DataFrame, policy: Policy, network: FareNetwork, tables: PolicyTables, codes: Codes,
    enc: EncodedTaps, status: Any, pair: Any, next_on: Any,
) -> _Ridden:  # fmt: skip
    """Distances of paired legs and settlements of unpaired ones, one network question per distinct leg."""
    trips = taps["trip_id"].to_list()
    rep = (
        {t: network.representative_trip(t) for t in set(trips) if t is not None}
        if hasattr(network, "representative_trip")
        else {}
    )
    out = _Ridden(len(enc.t_ms))
    on_rows = np.flatnonzero(enc.kind_on & (status == 0))
    measured: dict[tuple[Any, ...], Distance | None] = {}
    settled: dict[tuple[Any, ...], Leg] = {}
    for b in on_rows.tolist():
        v = int(enc.version[b])
        mode_id = codes.modes[enc.mode[b]]
        mode = policy.versions[v].modes[mode_id]
        board_stop, route_id, trip = enc.stop_ids[enc.stop[b]], enc.route_id[b], trips[b]
        trip = rep.get(trip, trip) if trip is not None else None
        a = int(pair[b])
        if a >= 0:
            exit_stop = enc.stop_ids[enc.stop[a]]
            key = (v, mode_id, board_stop, exit_stop, route_id, trip)
            if key not in measured:
                try:
                    measured[key] = ridden_distance(network, mode, board_stop, exit_stop, route_id, trip)
                except NetworkError:
                    measured[key] = None
            distance = measured[key]
            if distance is not None:
                out.dist[b], out.status[b] = distance.metres, TAPPED
                out.method[b], out.exit[b] = distance.method, exit_stop
                continue
            out.exit_bad[b] = True
        elif tables.missing_rule[v, enc.mode[b]] == 0:
            out.method[b], out.exit[b] = "assumed", None
            continue
        n = int(next_on[b]) if a < 0 else -1
        next_stop = enc.stop_ids[enc.stop[n]] if n >= 0 else None
        key = (v, mode_id, board_stop, route_id, trip, next_stop)
        if key not in settled:
            board = Tap(TapKind.ON, _ANY_TIME, board_stop, route_id, trip)
            leg = Leg(mode_id, route_id, "", board, None, None, Distance(0, "assumed"), ExitStatus.MISSING)
            next_tap = replace(board, stop_id=next_stop) if next_stop is not None else None
            settled[key] = close_without_tap_off(leg, mode, network, next_tap)
        leg = settled[key]
        out.dist[b], out.status[b] = leg.distance.metres, STATUSES.index(leg.exit_status.value)
        out.method[b], out.exit[b] = leg.distance.method, leg.exit_stop_id
    return out


def _legs_frame(
    taps: pl.DataFrame, enc: EncodedTaps, codes: Codes, legs: Legs, journeys: Journeys, ridden: _Ridden
) -> pl.DataFrame:
    board, alight = legs.board, legs.alight
    penalty = board == alight
    card_ids = taps["card_id"].to_numpy()
    tapped = taps["tapped_at"]
    method = [
        ("assumed" if p else ridden.method.get(b, "assumed"))
        for b, p in zip(board.tolist(), penalty.tolist(), strict=True)
    ]
    exits = [
        (enc.stop_ids[enc.stop[b]] if p else ridden.exit.get(b))
        for b, p in zip(board.tolist(), penalty.tolist(), strict=True)
    ]
    frame = pl.DataFrame(
        {
            "card_id": card_ids[board],
            "journey_seq": journeys.seq[legs.journey],
            "leg_seq": np.arange(len(board)) - journeys.first_leg[legs.journey],
            "mode": np.array(codes.modes, dtype=object)[legs.mode] if len(board) else [],
            "route_id": [enc.route_id[b] for b in board.tolist()],
            "operator": [enc.agency[b] or "unknown" for b in board.tolist()],
            "board_stop": [enc.stop_ids[s] for s in enc.stop[board].tolist()],
            "board_at": tapped.gather(board),
            "alight_stop": exits,
            "alight_at": tapped.gather(np.where(alight >= 0, alight, 0)).set(pl.Series(alight < 0), None)
            if len(board)
            else tapped.clear(),
            "distance_m": legs.dist,
            "distance_method": method,
            "exit_status": [STATUSES[s] for s in legs.status.tolist()],
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
    missing_codes = [""] * n
    for j, status, alight in zip(
        legs.journey.tolist(), legs.status.tolist(), legs.alight.tolist(), strict=True
    ):
        if alight < 0 and status != NOT_EXPECTED:
            missing_codes[j] += f",missing_tap_off:{STATUSES[status]}"
    rules = []
    for j in range(n):
        if free[j]:
            rules.append("free_ride")
            continue
        v = int(journeys.version[j])
        parts = ["transfer"] if journeys.n_legs[j] > 1 else []
        parts += [rid for r, rid in enumerate(codes.rule_ids[v]) if journeys.rule_mask[j] >> r & 1]
        parts += ["distance"] if journeys.surcharge[j] else []
        parts += ["cap"] if journeys.capped[j] else []
        rules.append(",".join(parts) + missing_codes[j] if parts else missing_codes[j].lstrip(","))
    days = enc.service_day[first_row]
    frame = pl.DataFrame(
        {
            "card_id": taps["card_id"].to_numpy()[first_row],
            "journey_seq": journeys.seq,
            "service_date": [_EPOCH + timedelta(days=int(d)) for d in days.tolist()],
            "start": taps["tapped_at"].gather(first_row),
            "legs": journeys.n_legs,
            "distance_m": distance,
            "fare": journeys.fare,
            "rider_category": [codes.categories[c] for c in enc.cat[first_row].tolist()],
            "medium": [codes.media[m] for m in enc.medium[first_row].tolist()],
            "base_mode": [codes.modes[m] for m in legs.mode[journeys.top_leg].tolist()],
            "base_fare": journeys.base,
            "surcharge": journeys.surcharge,
            "capped": journeys.capped,
            "codes": rules,
            "policy_version": [policy.versions[v].effective_from for v in journeys.version.tolist()],
        }
    )
    return frame.cast(JOURNEYS_SCHEMA)  # type: ignore[arg-type]


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
