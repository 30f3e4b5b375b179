"""A policy as arrays, indexed [version, ...], for the compiled scans: the same tariff objects the
engine reads, laid out so numba can read them."""

from __future__ import annotations

from datetime import time
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from shahr.fares.load import Policy

I64 = npt.NDArray[np.int64]
I8 = npt.NDArray[np.int8]
B = npt.NDArray[np.bool_]

MISSING_RULES = ("none", "void_transfer", "max_fare", "infer_exit")


class PolicyTables(NamedTuple):
    base: I64  # [v, mode, medium, category]
    mode_network: B  # [v, mode]: distance over the rail network
    charges_alone: B  # [v, mode]
    base_distance_m: I64  # [v, mode]
    missing_rule: I8  # [v, mode]: index into MISSING_RULES
    band_until_m: I64  # [v, band]: -1 when open-ended
    band_step_m: I64  # [v, band]
    band_fare: I64  # [v, band, category]
    n_bands: I64  # [v]
    max_transfers: I64  # [v]
    window_start_ms: I64  # [v, window]
    window_end_ms: I64
    window_minutes: I64
    n_windows: I64  # [v]
    transfer_media: B  # [v, medium]
    same_route_new: B  # [v]
    reentry_minutes: I64  # [v]: -1 when not allowed
    cap_sum: B  # [v]
    rule_start_ms: I64  # [v, rule]
    rule_end_ms: I64
    rule_percent: I64
    rule_every: B  # [v, rule]: every boarding, else first boarding only
    rule_media: B  # [v, rule, medium]
    rule_categories: B  # [v, rule, category]
    rule_modes: B  # [v, rule, mode]
    n_rules: I64  # [v]
    free: B  # [v, mode, category]
    duplicate_ms: I64  # [v]
    orphan_base_fare: B  # [v]


class Codes(NamedTuple):
    """The code spaces shared by every version: ids in sorted order."""

    modes: tuple[str, ...]
    media: tuple[str, ...]
    categories: tuple[str, ...]
    rule_ids: tuple[tuple[str, ...], ...]  # per version, time rule ids in order


def _ms(clock: time) -> int:
    return ((clock.hour * 60 + clock.minute) * 60 + clock.second) * 1000 + clock.microsecond // 1000


def compile_policy(policy: Policy) -> tuple[PolicyTables, Codes]:
    versions = policy.versions
    modes = tuple(sorted({m for v in versions for m in v.modes}))
    media = tuple(sorted({m for v in versions for m in v.media}))
    cats = tuple(sorted({c for v in versions for c in v.rider_categories}))
    mi, di, ci = ({x: i for i, x in enumerate(xs)} for xs in (modes, media, cats))
    nv, nm, nd, nc = len(versions), len(modes), len(media), len(cats)
    nb = max([len(v.distance_bands) for v in versions] + [1])
    nw = max([len(v.integration.windows) for v in versions] + [1])
    nr = max([len(v.time_rules) for v in versions] + [1])
    t = PolicyTables(
        base=np.zeros((nv, nm, nd, nc), np.int64),
        mode_network=np.zeros((nv, nm), np.bool_),
        charges_alone=np.zeros((nv, nm), np.bool_),
        base_distance_m=np.zeros((nv, nm), np.int64),
        missing_rule=np.zeros((nv, nm), np.int8),
        band_until_m=np.full((nv, nb), -1, np.int64),
        band_step_m=np.ones((nv, nb), np.int64),
        band_fare=np.zeros((nv, nb, nc), np.int64),
        n_bands=np.zeros(nv, np.int64),
        max_transfers=np.zeros(nv, np.int64),
        window_start_ms=np.zeros((nv, nw), np.int64),
        window_end_ms=np.zeros((nv, nw), np.int64),
        window_minutes=np.zeros((nv, nw), np.int64),
        n_windows=np.zeros(nv, np.int64),
        transfer_media=np.zeros((nv, nd), np.bool_),
        same_route_new=np.zeros(nv, np.bool_),
        reentry_minutes=np.full(nv, -1, np.int64),
        cap_sum=np.zeros(nv, np.bool_),
        rule_start_ms=np.zeros((nv, nr), np.int64),
        rule_end_ms=np.zeros((nv, nr), np.int64),
        rule_percent=np.zeros((nv, nr), np.int64),
        rule_every=np.zeros((nv, nr), np.bool_),
        rule_media=np.zeros((nv, nr, nd), np.bool_),
        rule_categories=np.zeros((nv, nr, nc), np.bool_),
        rule_modes=np.zeros((nv, nr, nm), np.bool_),
        n_rules=np.zeros(nv, np.int64),
        free=np.zeros((nv, nm, nc), np.bool_),
        duplicate_ms=np.zeros(nv, np.int64),
        orphan_base_fare=np.zeros(nv, np.bool_),
    )
    for v, tariff in enumerate(versions):
        for mode_id, mode in tariff.modes.items():
            m = mi[mode_id]
            for medium, fares in mode.base_fare.items():
                for cat, amount in fares.items():
                    t.base[v, m, di[medium], ci[cat]] = amount
            t.mode_network[v, m] = mode.distance == "network"
            t.charges_alone[v, m] = mode.charges_distance_alone
            t.base_distance_m[v, m] = mode.base_distance_m
            t.missing_rule[v, m] = MISSING_RULES.index(mode.missing_tap_off.rule)
        for b, band in enumerate(tariff.distance_bands):
            t.band_until_m[v, b] = band.until_m if band.until_m is not None else -1
            t.band_step_m[v, b] = band.step_m
            for cat, amount in band.step_fare.items():
                t.band_fare[v, b, ci[cat]] = amount
        t.n_bands[v] = len(tariff.distance_bands)
        integration = tariff.integration
        t.max_transfers[v] = integration.max_transfers
        for w, window in enumerate(integration.windows):
            t.window_start_ms[v, w] = _ms(window.start)
            t.window_end_ms[v, w] = _ms(window.end)
            t.window_minutes[v, w] = window.minutes
        t.n_windows[v] = len(integration.windows)
        for medium in integration.media:
            t.transfer_media[v, di[medium]] = True
        t.same_route_new[v] = integration.same_route_new_journey
        if integration.reentry_same_station_minutes is not None:
            t.reentry_minutes[v] = integration.reentry_same_station_minutes
        t.cap_sum[v] = integration.cap == "sum_of_legs"
        for r, rule in enumerate(tariff.time_rules):
            t.rule_start_ms[v, r] = _ms(rule.start)
            t.rule_end_ms[v, r] = _ms(rule.end)
            t.rule_percent[v, r] = rule.percent
            t.rule_every[v, r] = rule.applies_to == "every_boarding"
            t.rule_media[v, r, :] = [not rule.media or x in rule.media for x in media]
            t.rule_categories[v, r, :] = [not rule.categories or x in rule.categories for x in cats]
            t.rule_modes[v, r, :] = [not rule.modes or x in rule.modes for x in modes]
        t.n_rules[v] = len(tariff.time_rules)
        for free in tariff.free_rides:
            for mode_id in free.modes:
                for cat in free.categories:
                    t.free[v, mi[mode_id], ci[cat]] = True
        t.duplicate_ms[v] = tariff.anomalies.duplicate_tap_seconds * 1000
        t.orphan_base_fare[v] = tariff.anomalies.tap_off_without_tap_on == "base_fare"
    rule_ids = tuple(tuple(r.id for r in v.time_rules) for v in versions)
    return t, Codes(modes, media, cats, rule_ids)
