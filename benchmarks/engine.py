"""Benchmark: the fare engine's batch rating, taps per second, against a bare-arithmetic floor.

Run: `.venv/bin/python benchmarks/engine.py [--cards 20000]`. Prints the engine's rate, the floor's rate
over the same legs in the same run (a plain loop that only adds base fares and distance steps, with no
state, no explanation and no anomaly checks) and the ratio engine/floor, since this machine is noisy.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import date, datetime, timedelta

from shahr.fares.engine import FareEngine
from shahr.fares.load import load_policy
from shahr.fares.model import Tap, TapKind
from shahr.fares.quote import QuoteNetwork


def make_cards(n_cards: int, seed: int) -> tuple[list[list[Tap]], QuoteNetwork, list[list[tuple[str, int]]]]:
    """Cards of 1-4 legs each on seoul-2025 modes, with the legs' (mode, metres) for the floor."""
    rng = random.Random(seed)
    policy = load_policy("seoul-2025")
    modes = ["subway", "trunk", "branch", "village"]
    distances: dict[str, int] = {}
    cards: list[list[Tap]] = []
    legs_of: list[list[tuple[str, int]]] = []
    day = datetime.combine(date(2025, 9, 1), datetime.min.time(), tzinfo=policy.tz)
    for c in range(n_cards):
        clock = day + timedelta(minutes=rng.randrange(300, 1380))
        taps: list[Tap] = []
        legs: list[tuple[str, int]] = []
        for i in range(rng.randint(1, 4)):
            key, mode, metres = f"c{c}l{i}", rng.choice(modes), rng.randrange(500, 30_000)
            distances[key] = metres
            off = clock + timedelta(minutes=rng.randrange(3, 40))
            route = f"r{rng.randrange(50)}"
            taps.append(Tap(TapKind.ON, clock, f"{key}:on", route, mode=mode))
            taps.append(Tap(TapKind.OFF, off, f"{key}:off", route, mode=mode))
            legs.append((mode, metres))
            clock = off + timedelta(minutes=rng.randrange(1, 25))
        cards.append(taps)
        legs_of.append(legs)
    routes = {f"r{i}" for i in range(50)}
    return cards, QuoteNetwork(distances, routes), legs_of


def floor_pass(legs_of: list[list[tuple[str, int]]]) -> int:
    """The least work a fare needs: highest base plus 100 per 5 km past 10 km, per card."""
    base = {"subway": 1550, "trunk": 1500, "branch": 1500, "village": 1200}
    total = 0
    for legs in legs_of:
        top = max(base[m] for m, _ in legs)
        past = sum(d for _, d in legs) - 10_000
        total += top + (-(-past // 5000) * 100 if past > 0 else 0)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cards", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    cards, network, legs_of = make_cards(args.cards, args.seed)
    n_taps = sum(len(t) for t in cards)
    engine = FareEngine(load_policy("seoul-2025"), network)

    start = time.perf_counter()
    revenue = sum(engine.rate(taps).total_minor for taps in cards)
    engine_s = time.perf_counter() - start

    start = time.perf_counter()
    floor_revenue = floor_pass(legs_of)
    floor_s = time.perf_counter() - start

    print(f"input: {args.cards:,} cards, {n_taps:,} taps (seoul-2025, seed {args.seed})")
    print(f"engine: {engine_s:.2f} s, {n_taps / engine_s:,.0f} taps/s, revenue {revenue:,} KRW")
    print(
        f"floor (bare arithmetic, no transfer rules): {floor_s:.3f} s, {n_taps / floor_s:,.0f} taps/s, "
        f"revenue {floor_revenue:,} KRW"
    )
    print(f"ratio engine/floor: {engine_s / floor_s:.0f}x")


if __name__ == "__main__":
    main()
