"""`shahr.fares.pricing` and `shahr.fares.rules` over arrays, compiled: base fares with time rules,
the distance surcharge, the cap and the never-refund rule, in the same order as `price_journey`."""

from __future__ import annotations

import numpy as np

from shahr.fares.compiled.jit import jit, jit_noalloc
from shahr.fares.compiled.tables import I64, B, PolicyTables


@jit_noalloc
def in_band(moment_ms: int, start_ms: int, end_ms: int) -> bool:
    """`rules.timebands.in_band`: start inclusive, end exclusive, may wrap midnight; equal = all day."""
    if start_ms == end_ms:
        return True
    if start_ms < end_ms:
        return start_ms <= moment_ms < end_ms
    return moment_ms >= start_ms or moment_ms < end_ms


@jit_noalloc
def leg_base(
    t: PolicyTables, v: int, mode: int, medium: int, cat: int, local_ms: int, first: bool
) -> tuple[int, int]:
    """`rules.base.base_fare`: the base fare and a bit mask of the time rules applied."""
    amount = t.base[v, mode, medium, cat]
    mask = 0
    for r in range(t.n_rules[v]):
        if (
            (first or t.rule_every[v, r])
            and in_band(local_ms, t.rule_start_ms[v, r], t.rule_end_ms[v, r])
            and t.rule_modes[v, r, mode]
            and t.rule_media[v, r, medium]
            and t.rule_categories[v, r, cat]
        ):
            amount = (amount * (100 + t.rule_percent[v, r]) * 2 + 100) // 200
            mask |= 1 << r
    return amount, mask


@jit_noalloc
def surcharge(t: PolicyTables, v: int, total_m: int, base_m: int, cat: int) -> int:
    """`rules.distance.surcharge`: a step for every step length or part of it, band by band."""
    total = 0
    start = base_m
    for b in range(t.n_bands[v]):
        end = t.band_until_m[v, b]
        if end >= 0 and end <= start:
            continue
        reach = total_m if end < 0 else min(total_m, end)
        covered = reach - start
        if covered <= 0:
            break
        step = t.band_step_m[v, b]
        total += ((covered + step - 1) // step) * t.band_fare[v, b, cat]
        if end < 0:
            break
        start = end
    return total


@jit_noalloc
def standalone(t: PolicyTables, v: int, mode: int, medium: int, cat: int, local_ms: int, dist: int) -> int:
    """`pricing.standalone_fare` of a paid leg: its base as a first boarding plus its own surcharge
    where its mode charges distance alone."""
    amount, _ = leg_base(t, v, mode, medium, cat, local_ms, True)
    if t.charges_alone[v, mode]:
        amount += surcharge(t, v, dist, t.base_distance_m[v, mode], cat)
    return amount


@jit_noalloc
def price(
    t: PolicyTables,
    v: int,
    mode: I64,
    medium: I64,
    cat: I64,
    local_ms: I64,
    dist: I64,
    free: B,
    start: int,
    n: int,
    already: int,
) -> tuple[int, int, int, bool, int, int]:
    """`pricing.price_journey` of legs [start, start + n): (fare, base, surcharge, capped, top leg,
    time rule mask of the top leg). The fare is never below `already`."""
    if free[start]:
        return 0, 0, 0, False, start, 0
    medium0, cat0 = medium[start], cat[start]
    best, top, top_mask = -1, start, 0
    total_m, base_m, alone = 0, 0, 0
    for i in range(start, start + n):
        amount, mask = leg_base(t, v, mode[i], medium0, cat0, local_ms[i], i == start)
        if amount > best:
            best, top, top_mask = amount, i, mask
        total_m += dist[i]
        base_m = max(base_m, t.base_distance_m[v, mode[i]])
        if not free[i]:
            alone += standalone(t, v, mode[i], medium[i], cat[i], local_ms[i], dist[i])
    extra = 0
    if n > 1 or t.charges_alone[v, mode[start]]:
        extra = surcharge(t, v, total_m, base_m, cat0)
    fare = best + extra
    capped = t.cap_sum[v] and fare > alone
    if capped:
        fare = alone
    return max(fare, already), best, extra, capped, top, top_mask


@jit
def standalone_bases(
    t: PolicyTables, version: I64, mode: I64, medium: I64, cat: I64, local_ms: I64, free: B
) -> I64:
    """`apportion.leg_weights` by base fare: each leg's base as a first boarding, 0 for a free ride."""
    out = np.zeros(len(mode), np.int64)
    for i in range(len(mode)):
        if not free[i]:
            out[i] = leg_base(t, version[i], mode[i], medium[i], cat[i], local_ms[i], True)[0]
    return out
