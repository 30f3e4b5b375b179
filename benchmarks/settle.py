"""Benchmark: settling a day of taps with the compiled engine, against a sort-and-scan floor.

Run: `.venv/bin/python benchmarks/settle.py [--taps 43000000] [--engine compiled]`; `--taps 200000` for a
quick run. The taps are generated once by the tap generator (`shahr.batch.simulate.simulate_taps`) into
benchmarks/.cache/ and reused. Prints wall time, taps/s and peak memory (the largest resident set of
this process and its children, sampled), then the floor: a numpy sort of the same (card_id, tapped_at)
int64 keys plus one vectorised pass over them, the least any settlement must do, in the same run since
this machine is noisy; and the ratio settle/floor.
"""

from __future__ import annotations

import argparse
import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from tempfile import TemporaryDirectory

import numpy as np
import polars as pl
import psutil  # type: ignore[import-untyped]

from shahr.batch.settle import get_settle_function
from shahr.batch.simulate import SimulationOptions, simulate_taps
from shahr.batch.stream import settle_file
from shahr.fares.load import load_policy
from shahr.network import load_feed, load_network

CACHE = Path(__file__).parent / ".cache"
DAY = date(2025, 10, 5)  # a Sunday: weekday service


class PeakMemory:
    """The largest RSS of this process plus its children, sampled every 50 ms on a thread."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(0.05):
            total = me.memory_info().rss
            for child in me.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except psutil.NoSuchProcess:
                    pass
            self.peak = max(self.peak, total)

    @contextmanager
    def sampling(self) -> Iterator[PeakMemory]:
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join()


TAPS_PER_CARD = 6.4
"""Taps a generated card makes on the demo feed on a weekday (docs/taps.md), to size the cards."""


def cached_taps(n_taps: int, seed: int, feed: Path) -> Path:
    """The generated taps file, written by the generator on the first run only."""
    path = CACHE / f"taps-{n_taps}-seed{seed}-{feed.stem}.parquet"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        options = SimulationOptions(cards=math.ceil(n_taps / TAPS_PER_CARD), service_date=DAY, seed=seed)
        started = time.perf_counter()
        truth = simulate_taps(load_feed(feed), options, path, feed_name=feed.name)
        print(f"generated {truth.taps:,} taps in {time.perf_counter() - started:.1f} s -> {path}")
    return path


def floor_pass(card_id: np.ndarray, tapped_ms: np.ndarray) -> int:
    """Sort by (card, time) and one vectorised pass: gaps between a card's taps, summed."""
    order = np.lexsort((tapped_ms, card_id))
    gaps = np.diff(tapped_ms[order])
    return int(np.cumsum(gaps)[-1]) if len(gaps) else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taps", type=int, default=43_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--feed", type=Path, default=Path("data/mashhad-demo.zip"))
    parser.add_argument("--policy", default="mashhad-distance")
    parser.add_argument("--engine", default="compiled", choices=["compiled", "reference"])
    args = parser.parse_args()

    path = cached_taps(args.taps, args.seed, args.feed)
    policy, network = load_policy(args.policy), load_network(args.feed)
    settle = get_settle_function(args.engine)
    with PeakMemory().sampling() as memory, TemporaryDirectory() as out:
        started = time.perf_counter()
        counts = settle_file(path, policy, network, Path(out), settle=settle)
        wall_s = time.perf_counter() - started
    print(f"settled {counts['taps']:,} taps ({args.engine}): {wall_s:.2f} s, reading and writing included")
    rate = counts["taps"] / wall_s
    print(f"  {rate:,.0f} taps/s; {counts['journeys']:,} journeys, revenue {counts['revenue']:,}")
    print(f"  peak memory {memory.peak / 2**20:,.0f} MiB (process and children)")

    taps = pl.read_parquet(path, columns=["card_id", "tapped_at"])
    n = len(taps)
    card_id = taps["card_id"].to_numpy()
    tapped_ms = taps["tapped_at"].dt.epoch("ms").to_numpy()
    started = time.perf_counter()
    floor_pass(card_id, tapped_ms)
    floor_s = time.perf_counter() - started
    print(f"floor (sort + one pass): {floor_s:.2f} s, {n / floor_s:,.0f} taps/s")
    print(f"ratio settle/floor: {wall_s / floor_s:.1f}")


if __name__ == "__main__":
    main()
