"""Benchmark: the policy lab pricing 10 M journeys under one policy, and one calibration.

Run: `.venv/bin/python benchmarks/lab.py [--journeys 10000000] [--cards 300000]`. A day of `--cards` cards
is generated on the demo feed (benchmarks/.cache/, reused), settled by mashhad-distance into trips, and
tiled (each copy its own cards) up to `--journeys` trips. Prints:

- pricing: `prepare` + `price` of every trip under mashhad-flat (resolve, pair, settle missing tap-offs,
  chain and price by the compiled rules), against a plain Polars group-by of the same legs into trips
  (count and distance per trip), timed in the same run since this machine is noisy; issue 6's aim: < 10 s;
- calibration: `shahr lab calibrate`'s search (fairest, 25 generations, on `--workers` processes) over the
  untiled day, against one pricing of it; issue 6's aim: < 60 s.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TypeVar

import polars as pl

from shahr.batch.columnar import settle_compiled
from shahr.batch.settle import read_taps
from shahr.batch.simulate import SimulationOptions, simulate_taps
from shahr.fares.load import load_policy, read_policy_text
from shahr.lab.calibrate import Candidates, Target, Template, calibrate
from shahr.lab.compare import Responder
from shahr.lab.demand import Demand, from_settled
from shahr.lab.factors import load_factors
from shahr.lab.reprice import prepare, price
from shahr.network import load_feed, load_network

CACHE = Path(__file__).parent / ".cache"
FEED = Path(__file__).parents[1] / "data" / "mashhad-demo.zip"
DAY = date(2025, 10, 5)  # a Sunday: weekday service
T = TypeVar("T")


def day_taps(cards: int) -> Path:
    path = CACHE / f"lab-taps-{cards}.parquet"
    if not path.exists():
        CACHE.mkdir(exist_ok=True)
        simulate_taps(load_feed(FEED), SimulationOptions(cards=cards, service_date=DAY, seed=6), path,
                      feed_name=FEED.name)  # fmt: skip
    return path


def tiled(day: Demand, journeys: int) -> Demand:
    """Copies of the day's trips, each copy with cards and trips numbered after the last, up to `journeys`."""
    copies = -(-journeys // day.trips)
    cards = int(day.legs["card_id"].max() or 0) + 1
    legs = pl.concat(
        day.legs.with_columns(pl.col("trip") + i * day.trips, pl.col("card_id") + i * cards)
        for i in range(copies)
    ).filter(pl.col("trip") < journeys)
    return Demand(legs, f"{copies} copies of {day.source}")


def timed(step: str, fn: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    value = fn()
    seconds = time.perf_counter() - start
    print(f"  {step}: {seconds:.2f} s", flush=True)
    return value, seconds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--journeys", type=int, default=10_000_000)
    parser.add_argument("--cards", type=int, default=300_000)
    parser.add_argument("--generations", type=int, default=25)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    network = load_network(FEED)
    flat, distance = load_policy("mashhad-flat"), load_policy("mashhad-distance")
    taps = day_taps(args.cards)
    day = from_settled(settle_compiled(read_taps(taps), distance, network), str(taps))
    demand = tiled(day, args.journeys)
    print(f"demand: {demand.trips:,} trips, {len(demand.legs):,} legs ({demand.source})")

    print("pricing under mashhad-flat:")
    prepare(tiled(day, 1000), flat, network)  # compile the scans (numba) outside the timing
    prepared, t_prepare = timed("prepare", lambda: prepare(demand, flat, network))
    priced, t_price = timed("price", lambda: price(prepared))
    grouped, t_floor = timed(
        "floor: Polars group-by of the legs into trips",
        lambda: demand.legs.group_by("trip").agg(pl.len(), pl.col("distance_m").sum()),
    )
    assert len(grouped) == demand.trips == len(priced.fare)
    total = t_prepare + t_price
    print(
        f"lab pricing: {demand.trips:,} journeys in {total:.1f} s ({demand.trips / total:,.0f}/s); "
        f"floor {t_floor:.2f} s; ratio {total / t_floor:.1f}x; "
        f"aim < 10 s: {'met' if total < 10 else 'not met'}"
    )

    print(f"calibration of mashhad-distance against mashhad-flat on {day.trips:,} trips:")
    template = Template.of(read_policy_text("mashhad-distance")[0], distance, None)
    reference = price(prepare(day, flat, network))
    respond = Responder.of(day.trip_table()["rider_category"], reference, load_factors())
    structure, t_structure = timed("prepare", lambda: prepare(day, distance, network))
    _, t_one = timed("one pricing", lambda: price(structure))
    candidates = Candidates(template, structure, reference.fare, respond, 500, "benchmark")
    result, t_calibrate = timed(
        f"calibrate on {args.workers} processes",
        lambda: calibrate(
            candidates,
            reference.revenue,
            target=Target.FAIREST,
            bounds=template.defaults(),
            generations=args.generations,
            workers=args.workers,
        ),  # fmt: skip
    )
    o = result.outcome
    gap = o.revenue / result.reference_revenue - 1
    verdict = "met" if t_calibrate + t_structure < 60 else "not met"
    print(
        f"calibration: {result.evaluations} candidates in {t_calibrate:.1f} s "
        f"({t_calibrate / t_one:.0f}x one pricing of {t_one:.2f} s); base {o.params.base_fare:,}, step "
        f"{o.params.step_fare:,} per {o.params.step_km} km after {o.params.base_km} km; revenue {gap:+.3%} "
        f"of the reference; aim < 60 s: {verdict}"
    )


if __name__ == "__main__":
    main()
