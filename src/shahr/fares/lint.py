"""Lint a fare policy: what the model accepts but a tariff author almost surely did not mean.

The model (`shahr.fares.policy`) already rejects missing base and step fares and names that are not in
the tariff (time rules, free rides, mode mapping, caps, passes); `lint_source` turns those rejections
into findings. The checks here look at a tariff that loads: rules that never change a fare, rules that
compound, transfer windows that overlap or leave gaps, odd distance bands, journeys that cost more than
their legs alone (priced by the engine itself, through `quote`), and caps or passes nobody benefits
from. Each check is a pure function of one tariff version.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, time
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import ValidationError

from shahr.errors import PolicyError
from shahr.fares.explain import km, money
from shahr.fares.load import Policy, load_policy
from shahr.fares.policy import Tariff, km_to_m
from shahr.fares.quote import QuoteLeg, quote
from shahr.fares.rules.base import is_free
from shahr.fares.rules.transfer import window_minutes

Severity = Literal["error", "warning"]
_DAY_S = 24 * 3600
_LONG_EXTRA_KM = Decimal(30)
"""The long journey of the transfer check: each leg rides its mode's base distance plus this."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem: where it is (TOML key path), what is wrong, how to fix it.

    `version_from` is the effective date of the tariff version it first appears in; None when the
    model rejected the policy, so no version could be read."""

    severity: Severity
    location: str
    message: str
    hint: str
    version_from: date | None


def is_gtfs_feed(path: Path) -> bool:
    """A zip or a folder with stops.txt: a feed, not a policy (its fares need the Fares v2 import)."""
    return path.suffix.lower() == ".zip" or (path.is_dir() and (path / "stops.txt").is_file())


def lint_source(name_or_path: str | Path) -> list[Finding]:
    """Findings for a preset or policy file; a file the model rejects gives the model's problems.

    Raises PolicyError when the policy cannot be read at all (no such file, not TOML)."""
    try:
        policy = load_policy(name_or_path)
    except PolicyError as exc:
        if not isinstance(exc.__cause__, ValidationError):
            raise
        return findings_from_rejection(exc)
    return lint_policy(policy)


def findings_from_rejection(error: PolicyError) -> list[Finding]:
    """The model's rejection (`loc: msg` lines, a tariff's problems joined by `; `) as error findings."""
    findings = []
    for line in str(error).splitlines()[1:]:
        loc, _, message = line.strip().partition(": ")
        problems = message.removeprefix("Value error, ")
        root = loc == "policy" or loc.endswith(".")
        for problem in problems.split("; ") if root else [problems]:
            path, sep, text = problem.partition(": ")
            if not (root and sep):
                path, text = "", problem
            location = ".".join(p for p in (loc.removesuffix(".").removeprefix("policy"), path) if p)
            hint = "add the amount: every mode prices every medium and rider category of the tariff"
            if "unknown" in text:
                hint = "declare it in the tariff (rider_categories, media, modes) or remove the reference"
            elif text != "missing":
                hint = "see docs/fares.md, Policy files"
            findings.append(Finding("error", location or "policy", text, hint, None))
    return findings


def lint_policy(policy: Policy) -> list[Finding]:
    """Every version's findings, each reported at the version that introduces it (not again after)."""
    findings: list[Finding] = []
    previous: set[tuple[str, str]] = set()
    for i, tariff in enumerate(policy.versions):
        prefix = f"revisions.{i - 1}." if i else ""
        found = lint_tariff(policy, tariff)
        findings += [replace(f, location=prefix + f.location) for f in found if _key(f) not in previous]
        previous = {_key(f) for f in found}
    return findings


def lint_tariff(policy: Policy, tariff: Tariff) -> list[Finding]:
    """One version's findings, located by key paths relative to the tariff."""
    return [
        *check_unknown_categories(tariff),
        *check_time_rules(tariff),
        *check_time_rule_overlaps(tariff),
        *check_transfer_windows(tariff),
        *check_distance_bands(tariff),
        *check_transfer_costs_more(policy, tariff),
        *check_caps_and_passes(tariff),
    ]


def check_unknown_categories(tariff: Tariff) -> list[Finding]:
    """Amounts for a rider category the tariff does not list: no card can have it, so they never apply."""
    cats = set(tariff.rider_categories)
    tables = [
        (f"modes.{mode_id}.base_fare.{medium}", fares)
        for mode_id, mode in tariff.modes.items()
        for medium, fares in mode.base_fare.items()
    ]
    tables += [(f"distance_bands.{i}.step_fare", b.step_fare) for i, b in enumerate(tariff.distance_bands)]
    return [
        _finding(
            tariff,
            "error",
            f"{where}.{c}",
            f"unknown rider category {c!r}: no card can have it",
            "add it to rider_categories or remove the amount",
        )
        for where, amounts in tables
        for c in sorted(set(amounts) - cats)
    ]


def check_time_rules(tariff: Tariff) -> list[Finding]:
    """Time rules that never change a fare, and bands the engine reads as the whole day."""
    findings = []
    for i, rule in enumerate(tariff.time_rules):
        if rule.start == rule.end:
            findings.append(
                _finding(
                    tariff,
                    "warning",
                    f"time_rules.{i}.end",
                    f"time rule {rule.id!r}: start == end ({_clock(rule.start)}) is read as the whole day, "
                    "not an empty band",
                    "set the band's end, or put an all-day change in the base fares",
                )
            )
        cats = _scope(rule.categories, tariff.rider_categories)
        modes = _scope(rule.modes, tariff.modes)
        if all(is_free(tariff, m, c) for m in modes for c in cats):
            findings.append(
                _finding(
                    tariff,
                    "warning",
                    f"time_rules.{i}",
                    f"time rule {rule.id!r} never changes a fare: its categories ride its modes free",
                    "remove the rule, or the free ride that covers it",
                )
            )
    return findings


def check_time_rule_overlaps(tariff: Tariff) -> list[Finding]:
    """Two time rules that can apply to the same boarding compound their percents (one after the other)."""
    findings = []
    rules = tariff.time_rules
    for j, later in enumerate(rules):
        for earlier in rules[:j]:
            moment = _first_overlap(_spans(earlier.start, earlier.end), _spans(later.start, later.end))
            media = _scope(earlier.media, tariff.media) & _scope(later.media, tariff.media)
            modes = _scope(earlier.modes, tariff.modes) & _scope(later.modes, tariff.modes)
            cats = _scope(earlier.categories, tariff.rider_categories) & _scope(
                later.categories, tariff.rider_categories
            )
            if moment is None or not (cats and media and modes):
                continue
            findings.append(
                _finding(
                    tariff,
                    "warning",
                    f"time_rules.{j}",
                    f"time rules {earlier.id!r} and {later.id!r} both apply to a {min(modes)} boarding by "
                    f"{min(cats)} on {min(media)} at {_clock_s(moment)}: their percents compound",
                    "narrow one rule's band, categories, media or modes so a boarding gets one rule",
                )
            )
    return findings


def check_transfer_windows(tariff: Tariff) -> list[Finding]:
    """Windows should cover the day once: where two overlap the first listed wins, in a gap no boarding
    is a transfer. (The model only requires some window when transfers are allowed.)"""
    integration = tariff.integration
    if integration.max_transfers == 0:
        return []
    findings = []
    spans = [_spans(w.start, w.end) for w in integration.windows]
    for j in range(len(spans)):
        for i in range(j):
            moment = _first_overlap(spans[i], spans[j])
            if moment is not None:
                findings.append(
                    _finding(
                        tariff,
                        "warning",
                        f"integration.windows.{j}",
                        f"transfer window {j} overlaps window {i} at {_clock_s(moment)}: the first wins",
                        "make the windows meet end to start",
                    )
                )
    findings += [
        _finding(
            tariff,
            "warning",
            "integration.windows",
            f"no transfer window from {_clock_s(start)} to {_clock_s(end)}: boardings then never transfer",
            "extend a window over the gap",
        )
        for start, end in _gaps([s for window in spans for s in window])
    ]
    return findings


def check_distance_bands(tariff: Tariff) -> list[Finding]:
    """Bands that never charge (not past the previous band's end) and free steps before paid ones."""
    findings = []
    bands = tariff.distance_bands
    for i, band in enumerate(bands[1:], start=1):
        before = bands[i - 1].until_km
        if band.until_km is not None and before is not None and band.until_km <= before:
            findings.append(
                _finding(
                    tariff,
                    "error",
                    f"distance_bands.{i}.until_km",
                    f"band ends at {band.until_km} km, not after the previous {before} km: it never charges",
                    "order the bands by until_km, each ending further than the one before",
                )
            )
    for i, band in enumerate(bands[:-1]):
        findings += [
            _finding(
                tariff,
                "warning",
                f"distance_bands.{i}.step_fare.{c}",
                f"step fare 0 for {c} in a band that is not the last: later bands charge again",
                "charge this band, or make it the last (open) band if distance should be free",
            )
            for c in tariff.rider_categories
            if band.step_fare.get(c) == 0
        ]
    return findings


def check_transfer_costs_more(policy: Policy, tariff: Tariff) -> list[Finding]:
    """With no cap, a transfer can cost more than paying each leg alone; finds the worst two-leg journey
    the engine prices (each pair of modes, at base distance and long), for every medium and category."""
    integration = tariff.integration
    at = _transfer_time(policy, tariff)
    if integration.cap != "none" or integration.max_transfers == 0 or at is None:
        return []
    worst: tuple[int, str] | None = None
    for medium in integration.media:
        for category in tariff.rider_categories:
            for first in tariff.modes:
                for second in tariff.modes:
                    for extra_km in (Decimal(0), _LONG_EXTRA_KM):
                        legs = [_leg(tariff, m, extra_km, at) for m in (first, second)]
                        found = _excess(policy, tariff, legs, category, medium)
                        if found is not None and (worst is None or found[0] > worst[0]):
                            worst = found
    if worst is None:
        return []
    return [
        _finding(
            tariff,
            "warning",
            "integration.cap",
            worst[1],
            'set integration.cap = "sum_of_legs": a journey then never costs more than its legs',
        )
    ]


def check_caps_and_passes(tariff: Tariff) -> list[Finding]:
    """A pass dearer than the monthly cap, and a daily cap below the cheapest base fare."""
    findings = [
        _finding(
            tariff,
            "warning",
            f"passes.{i}.price.{c}",
            f"pass {product.id!r} costs {price:,}, more than the monthly cap of {tariff.caps.monthly[c]:,}"
            f" for {c}: the cap alone is cheaper",
            "lower the price below the monthly cap, or drop it",
        )
        for i, product in enumerate(tariff.passes)
        for c, price in product.price.items()
        if c in tariff.caps.monthly and price > tariff.caps.monthly[c]
    ]
    for c, cap in tariff.caps.daily.items():
        fares = [
            (fares_by_cat[c], mode_id, medium)
            for mode_id, mode in tariff.modes.items()
            if not is_free(tariff, mode_id, c)
            for medium, fares_by_cat in mode.base_fare.items()
        ]
        if fares and cap < min(fares)[0]:
            fare, mode_id, medium = min(fares)
            findings.append(
                _finding(
                    tariff,
                    "warning",
                    f"caps.daily.{c}",
                    f"daily cap {cap:,} for {c} is below the cheapest base fare ({fare:,}, {mode_id} on "
                    f"{medium}): a day's first journey already reaches it",
                    "raise the daily cap above a day's usual fares, or lower the base fares",
                )
            )
    return findings


def _excess(
    policy: Policy, tariff: Tariff, legs: list[QuoteLeg], category: str, medium: str
) -> tuple[int, str] | None:
    """How much more two legs cost as one journey than alone, with the amounts said; None if not more."""
    together = quote(policy, legs, rider=category, medium=medium, day=tariff.effective_from)
    if len(together.journeys) != 1:
        return None
    alone = [quote(policy, [leg], rider=category, medium=medium, day=tariff.effective_from) for leg in legs]
    joined, parts = together.total_minor, [rating.total_minor for rating in alone]
    if joined <= sum(parts):
        return None
    cur = policy.currency
    first, second = legs
    return joined - sum(parts), (
        f"{category} on {medium}: {first.mode} {km(first.distance_m)} then {second.mode} "
        f"{km(second.distance_m)} at {_clock(first.board)} cost {money(joined, cur)} as one journey, "
        f"but {money(parts[0], cur)} + {money(parts[1], cur)} = {money(sum(parts), cur)} paid separately"
    )


def _leg(tariff: Tariff, mode: str, extra_km: Decimal, at: time) -> QuoteLeg:
    return QuoteLeg(mode, km_to_m(tariff.modes[mode].base_distance_km + extra_km), at, at)


def _transfer_time(policy: Policy, tariff: Tariff) -> time | None:
    """A boarding time in the service day that some transfer window covers (legs of no duration then
    always chain), or None when no window does."""
    start = policy.header.service_day_start
    candidates = [start, *sorted(w.start for w in tariff.integration.windows if w.start >= start)]
    return next((t for t in candidates if window_minutes(tariff.integration, t) is not None), None)


def _finding(tariff: Tariff, severity: Severity, location: str, message: str, hint: str) -> Finding:
    return Finding(severity, location, message, hint, tariff.effective_from)


def _key(finding: Finding) -> tuple[str, str]:
    return finding.location, finding.message


def _scope(named: tuple[str, ...], every: Iterable[str]) -> set[str]:
    """What a rule names; naming nothing means all of them."""
    return set(named) if named else set(every)


def _spans(start: time, end: time) -> list[tuple[int, int]]:
    """A band as seconds-of-day spans, read as `rules.timebands.in_band` does (start == end: all day)."""
    s, e = _seconds(start), _seconds(end)
    if s == e:
        return [(0, _DAY_S)]
    return [(s, e)] if s < e else [(s, _DAY_S), (0, e)]


def _first_overlap(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> int | None:
    """The earliest second both bands cover, or None."""
    starts = [max(s1, s2) for s1, e1 in a for s2, e2 in b if max(s1, s2) < min(e1, e2)]
    return min(starts) if starts else None


def _gaps(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of the day no span covers; a gap across midnight is one gap."""
    gaps: list[tuple[int, int]] = []
    reached = 0
    for start, end in sorted(spans):
        if start > reached:
            gaps.append((reached, start))
        reached = max(reached, end)
    if reached < _DAY_S:
        gaps.append((reached, _DAY_S))
    if len(gaps) > 1 and gaps[0][0] == 0 and gaps[-1][1] == _DAY_S:
        gaps = [(gaps[-1][0], gaps[0][1]), *gaps[1:-1]]
    return sorted(gaps)


def _seconds(moment: time) -> int:
    return moment.hour * 3600 + moment.minute * 60 + moment.second


def _clock_s(seconds: int) -> str:
    return _clock(time((seconds // 3600) % 24, seconds // 60 % 60, seconds % 60))


def _clock(moment: time) -> str:
    return moment.isoformat("minutes" if moment.second == 0 else "seconds")
