"""`FareEngine.rate` as two compiled scans over a day of taps sorted by card and time.

`pair_taps` decides, like `FareEngine._precheck`/`_tap_off`, which taps are refused (no tariff,
duplicate, unresolvable) and which tap-off closes which tap-on. Pairing does not depend on distances:
an accepted tap-off always consumes the open leg, whether it prices it or voids it. Between the scans
the caller measures the paired legs and settles the unpaired ones on the network, once per distinct
question. `build_journeys` then chains legs into journeys and prices them at the same moments as the
engine (`_tap_on`, `_tap_off`, `_orphan_tap_off`, `close`), so the never-refund rule sees the same
prefixes.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from shahr.fares.compiled.jit import jit, jit_noalloc
from shahr.fares.compiled.pricing import in_band, price
from shahr.fares.compiled.tables import I64, B, PolicyTables

ACCEPTED = 0
# Exit statuses, in `ExitStatus` order.
TAPPED, NOT_EXPECTED, MISSING, INFERRED, ASSUMED_MAX = 0, 1, 2, 3, 4


@jit
def pair_taps(
    card_start: I64,
    kind_on: B,
    t_ms: I64,
    version: I64,
    stop: I64,
    raw_route: I64,
    refusal: I64,
    mode: I64,
    route_key: I64,
    duplicate_ms: I64,
    no_tariff_code: int,
    duplicate_code: int,
) -> tuple[I64, I64, I64]:
    """(status, pair, next_on) per row. status: ACCEPTED or the refusing anomaly code. pair: for a
    tap-off the tap-on it closes, for a tap-on the tap-off that closed it, else -1. next_on: for a
    tap-on left open, the tap-on that found it open (feeds `infer_exit`), else -1."""
    n = len(t_ms)
    status = np.zeros(n, np.int64)
    pair = np.full(n, -1, np.int64)
    next_on = np.full(n, -1, np.int64)
    for c in range(len(card_start) - 1):
        last, open_on = -1, -1
        for r in range(card_start[c], card_start[c + 1]):
            v = version[r]
            if v < 0:
                status[r] = no_tariff_code
                continue
            window = duplicate_ms[v]
            if (
                last >= 0
                and window > 0
                and kind_on[last] == kind_on[r]
                and stop[last] == stop[r]
                and raw_route[last] == raw_route[r]
                and t_ms[r] - t_ms[last] <= window
            ):
                status[r] = duplicate_code
                continue
            if refusal[r] != ACCEPTED:
                status[r] = refusal[r]
                continue
            last = r
            if kind_on[r]:
                if open_on >= 0:
                    next_on[open_on] = r
                open_on = r
            else:
                if open_on >= 0 and mode[open_on] == mode[r] and route_key[open_on] == route_key[r]:
                    pair[r] = open_on
                    pair[open_on] = r
                open_on = -1
    return status, pair, next_on


class Legs(NamedTuple):
    journey: I64
    board: I64  # row of the tap-on (of the tap-off for an orphan tap-off's penalty leg)
    alight: I64  # row of the tap-off, -1 when none
    mode: I64
    medium: I64
    cat: I64
    local_ms: I64
    dist: I64
    free: B
    status: I64


class Journeys(NamedTuple):
    card: I64
    seq: I64
    first_leg: I64
    n_legs: I64
    version: I64
    fare: I64
    base: I64
    surcharge: I64
    capped: B
    top_leg: I64
    rule_mask: I64


def _empty_legs(n: int) -> Legs:
    def ints() -> I64:
        return np.full(n, -1, np.int64)

    return Legs(ints(), ints(), ints(), ints(), ints(), ints(), ints(), ints(), np.zeros(n, np.bool_), ints())


def _empty_journeys(n: int) -> Journeys:
    def ints() -> I64:
        return np.zeros(n, np.int64)

    return Journeys(
        ints(), ints(), ints(), ints(), ints(), ints(), ints(), ints(), np.zeros(n, np.bool_), ints(), ints()
    )


def build_journeys(
    t: PolicyTables,
    card_start: I64,
    kind_on: B,
    t_ms: I64,
    local_ms: I64,
    version: I64,
    status: I64,
    pair: I64,
    mode: I64,
    medium: I64,
    cat: I64,
    route_key: I64,
    station: I64,
    leg_dist: I64,
    leg_status: I64,
    exit_bad: B,
) -> tuple[Legs, Journeys, I64]:
    """Legs and journeys of every card, and counts [missing_tap_off, tap_off_without_tap_on,
    exit_not_on_route]. `leg_dist`/`leg_status` give, per tap-on, the leg's distance and status once
    closed (tapped, or settled by its mode's missing tap-off rule); `exit_bad` marks a tap-on whose
    tap-off is not on its route."""
    n = len(t_ms)
    legs, journeys = _empty_legs(n), _empty_journeys(n)
    counts = np.zeros(3, np.int64)
    n_legs, n_journeys = _scan(
        t, card_start, kind_on, t_ms, local_ms, version, status, pair, mode, medium, cat, route_key,
        station, leg_dist, leg_status, exit_bad, legs, journeys, counts,
    )  # fmt: skip
    return Legs._make(a[:n_legs] for a in legs), Journeys._make(a[:n_journeys] for a in journeys), counts


@jit_noalloc
def _scan(
    t: PolicyTables,
    card_start: I64,
    kind_on: B,
    t_ms: I64,
    local_ms: I64,
    version: I64,
    status: I64,
    pair: I64,
    mode: I64,
    medium: I64,
    cat: I64,
    route_key: I64,
    station: I64,
    leg_dist: I64,
    leg_status: I64,
    exit_bad: B,
    legs: Legs,
    journeys: Journeys,
    counts: I64,
) -> tuple[int, int]:
    nl, nj = 0, 0
    for c in range(len(card_start) - 1):
        seq, first, jv, charged, reentry_used, is_open = 0, 0, -1, 0, False, False
        for r in range(card_start[c], card_start[c + 1]):
            if status[r] != ACCEPTED:
                continue
            v = version[r]
            last = nl - 1
            if kind_on[r]:
                if is_open and legs.status[last] == MISSING and legs.alight[last] < 0:
                    _settle(legs, last, leg_dist, leg_status)
                    counts[0] += 1
                _add_leg(legs, nl, r, -1, mode[r], medium[r], cat[r], local_ms[r], t.free[v, mode[r], cat[r]])
                legs.status[nl] = NOT_EXPECTED if t.missing_rule[v, mode[r]] == 0 else MISSING
                nl += 1
                if is_open:
                    granted, reentry = _transfer(
                        t, jv, legs, first, nl - 1, r, t_ms, local_ms, medium, route_key, station,
                        mode, reentry_used,
                    )  # fmt: skip
                    if granted:
                        legs.journey[nl - 1] = nj
                        reentry_used = reentry_used or reentry
                        charged = _price(t, jv, legs, first, nl - first, charged)[0]
                        continue
                    _finish(t, jv, legs, journeys, nj, c, seq, first, nl - 1 - first, charged)
                    nj, seq = nj + 1, seq + 1
                first, jv, reentry_used, is_open = nl - 1, v, False, True
                legs.journey[first] = nj
                charged = _price(t, jv, legs, first, 1, 0)[0]
            elif pair[r] >= 0:
                if exit_bad[pair[r]]:
                    counts[2] += 1
                    _settle(legs, last, leg_dist, leg_status)
                    counts[0] += 1
                else:
                    legs.alight[last] = r
                    legs.dist[last] = leg_dist[pair[r]]
                    legs.status[last] = TAPPED
                    charged = _price(t, jv, legs, first, nl - first, charged)[0]
                    continue
                _finish(t, jv, legs, journeys, nj, c, seq, first, nl - first, charged)
                nj, seq, is_open = nj + 1, seq + 1, False
            else:
                counts[1] += 1
                if is_open:
                    if legs.status[last] == MISSING and legs.alight[last] < 0:
                        _settle(legs, last, leg_dist, leg_status)
                        counts[0] += 1
                    _finish(t, jv, legs, journeys, nj, c, seq, first, nl - first, charged)
                    nj, seq, is_open = nj + 1, seq + 1, False
                if t.orphan_base_fare[v]:
                    _add_leg(legs, nl, r, r, mode[r], medium[r], cat[r], local_ms[r], False)
                    legs.status[nl], legs.journey[nl] = MISSING, nj
                    _finish(t, v, legs, journeys, nj, c, seq, nl, 1, 0)
                    nl, nj, seq = nl + 1, nj + 1, seq + 1
        if is_open:
            last = nl - 1
            if legs.status[last] == MISSING and legs.alight[last] < 0:
                _settle(legs, last, leg_dist, leg_status)
                counts[0] += 1
            _finish(t, jv, legs, journeys, nj, c, seq, first, nl - first, charged)
            nj += 1
    return nl, nj


@jit_noalloc
def _add_leg(
    legs: Legs, i: int, board: int, alight: int, mode: int, medium: int, cat: int, local: int, free: bool
) -> None:
    legs.board[i], legs.alight[i], legs.mode[i], legs.medium[i] = board, alight, mode, medium
    legs.cat[i], legs.local_ms[i], legs.dist[i], legs.free[i] = cat, local, 0, free


@jit_noalloc
def _settle(legs: Legs, i: int, leg_dist: I64, leg_status: I64) -> None:
    """`close_without_tap_off`: the distance and status the caller settled for this tap-on."""
    legs.dist[i] = leg_dist[legs.board[i]]
    legs.status[i] = leg_status[legs.board[i]]


@jit_noalloc
def _price(
    t: PolicyTables, v: int, legs: Legs, first: int, n: int, already: int
) -> tuple[int, int, int, bool, int, int]:
    return price(
        t, v, legs.mode, legs.medium, legs.cat, legs.local_ms, legs.dist, legs.free, first, n, already
    )


@jit_noalloc
def _finish(
    t: PolicyTables, v: int, legs: Legs, journeys: Journeys, j: int, card: int, seq: int, first: int, n: int,
    charged: int,
) -> None:  # fmt: skip
    fare, base, extra, capped, top, mask = _price(t, v, legs, first, n, charged)
    journeys.card[j], journeys.seq[j], journeys.first_leg[j], journeys.n_legs[j] = card, seq, first, n
    journeys.version[j], journeys.fare[j], journeys.base[j], journeys.surcharge[j] = v, fare, base, extra
    journeys.capped[j], journeys.top_leg[j], journeys.rule_mask[j] = capped, top, mask


@jit_noalloc
def _transfer(
    t: PolicyTables, jv: int, legs: Legs, first: int, new: int, r: int, t_ms: I64, local_ms: I64,
    medium: I64, route_key: I64, station: I64, mode: I64, reentry_used: bool,
) -> tuple[bool, bool]:  # fmt: skip
    """`rules.transfer.transfer_refusal` and `is_reentry`: (granted, granted as a same-station re-entry)."""
    p = new - 1
    if legs.free[new] or legs.free[p]:
        return False, False
    if legs.status[p] != TAPPED and legs.status[p] != NOT_EXPECTED:
        return False, False
    if not t.transfer_media[jv, medium[r]] or not t.transfer_media[jv, legs.medium[p]]:
        return False, False
    if new - first > t.max_transfers[jv]:
        return False, False
    closed = t_ms[legs.alight[p]] if legs.alight[p] >= 0 else t_ms[legs.board[p]]
    gap = t_ms[r] - closed
    same_key = route_key[r] == route_key[legs.board[p]]
    same_station = (
        t.mode_network[jv, mode[r]]
        and legs.mode[p] == mode[r]
        and legs.status[p] == TAPPED
        and station[legs.alight[p]] == station[r]
    )
    reentry = t.reentry_minutes[jv] >= 0 and same_station and same_key
    if same_station and not reentry_used and t.reentry_minutes[jv] >= 0:
        if gap <= t.reentry_minutes[jv] * 60_000:
            return True, reentry
    if t.same_route_new[jv] and same_key:
        return False, False
    for w in range(t.n_windows[jv]):
        if in_band(local_ms[r], t.window_start_ms[jv, w], t.window_end_ms[jv, w]):
            return gap <= t.window_minutes[jv, w] * 60_000, reentry
    return False, False
