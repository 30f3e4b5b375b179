"""Benchmark: building and publishing the open datasets of a settled day, against settling that day.

Run: `.venv/bin/python benchmarks/opendata.py [--taps 2500000]` (Mashhad's scale: about 390,000 cards on the
demo feed); `--taps 200000` for a quick run. The taps are generated once by the tap generator into
benchmarks/.cache/ (the same files benchmarks/settle.py uses) and settled with the compiled engine into a
temporary folder, reading and writing included, as `shahr settle` does. Then the transit datasets are built
from that folder and published into a fresh SQLite catalog, as `shahr opendata build --from` does: reading
the frames, placing the stops in the civic districts, aggregating, suppressing (k = 10) and writing each
release's CSV, JSON, Parquet and datapackage.json. Both are warmed up on a small day first (numba compiles
the settlement's scans once per process), and the feed is loaded outside both timings.

Prints each step's time, the build's total and the ratio build / settle; issue 7's aim: under 0.5.
"""

from __future__ import annotations

import argparse
import math
import time
from datetime import UTC, date, datetime
from pathlib import Path
from tempfile import TemporaryDirectory

import polars as pl

from shahr.batch.columnar import settle_compiled
from shahr.batch.simulate import SimulationOptions, simulate_taps
from shahr.batch.stream import settle_file
from shahr.civic.geo import load_districts
from shahr.civic.settings import CivicSettings
from shahr.db import make_engine, session_factory, upgrade
from shahr.fares.load import Policy, load_policy
from shahr.lab.zones import Zones, from_districts
from shahr.network import Network, load_feed, load_network
from shahr.opendata import catalog
from shahr.opendata.build import Options, transit_day
from shahr.opendata.datasets import TRANSIT
from shahr.opendata.datasets.source import read_settled_dir

CACHE = Path(__file__).parent / ".cache"
FEED = Path(__file__).parents[1] / "data" / "mashhad-demo.zip"
DAY = date(2025, 10, 5)  # a Sunday: weekday service
TAPS_PER_CARD = 6.4
"""Taps a generated card makes on the demo feed on a weekday (docs/taps.md), to size the cards."""


def cached_taps(n_taps: int, seed: int) -> Path:
    """The generated taps file, written by the generator on the first run only."""
    path = CACHE / f"taps-{n_taps}-seed{seed}-{FEED.stem}.parquet"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        options = SimulationOptions(cards=math.ceil(n_taps / TAPS_PER_CARD), service_date=DAY, seed=seed)
        started = time.perf_counter()
        truth = simulate_taps(load_feed(FEED), options, path, feed_name=FEED.name)
        seconds = time.perf_counter() - started
        print(f"generated {truth.taps:,} taps of {options.cards:,} cards in {seconds:.1f} s")
    return path


def settle(taps: Path, policy: Policy, network: Network, out: Path) -> float:
    started = time.perf_counter()
    settle_file(taps, policy, network, out, settle=settle_compiled)
    return time.perf_counter() - started


def build(settled: Path, policy: Policy, network: Network, zones: Zones, url: str, *, verbose: bool) -> float:
    """Read, build and publish every transit dataset; the seconds it took."""
    upgrade(url)
    engine = make_engine(url)
    options, now = Options(), datetime.now(UTC)
    started = time.perf_counter()
    with session_factory(engine)() as session:
        frames = read_settled_dir(settled, DAY)
        day = transit_day(frames, timezone=policy.header.timezone, network=network, zones=zones)
        lap = time.perf_counter()
        if verbose:
            print(f"  read {frames.legs.height:,} legs, {frames.journeys.height:,} journeys, placed stops: "
                  f"{lap - started:.2f} s")  # fmt: skip
        for spec, builder in TRANSIT:
            built = builder(day, options.privacy(spec))
            built_at = time.perf_counter()
            catalog.publish(
                session, spec, built.frame, period_start=DAY, period_end=DAY, note="benchmark",
                provenance={"source": str(settled)}, privacy_metadata=built.privacy, now=now,
            )  # fmt: skip
            session.commit()
            done = time.perf_counter()
            if verbose:
                print(f"  {spec.name}: {built.frame.height:,} rows ({built.suppressed_cells:,} blanked), "
                      f"built {built_at - lap:.2f} s, published {done - built_at:.2f} s")  # fmt: skip
            lap = done
    engine.dispose()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taps", type=int, default=2_500_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    taps = cached_taps(args.taps, args.seed)
    policy, network = load_policy("mashhad-distance"), load_network(FEED)
    zones = from_districts(load_districts(CivicSettings().districts_file))
    with TemporaryDirectory() as tmp:
        work = Path(tmp)
        warm = work / "warm-taps.parquet"
        pl.read_parquet(taps).head(20_000).write_parquet(warm)
        settle(warm, policy, network, work / "warm")
        build(work / "warm", policy, network, zones, f"sqlite:///{work / 'warm.sqlite3'}", verbose=False)

        settle_s = settle(taps, policy, network, work / "settled")
        rows = pl.scan_parquet(taps).select(pl.len()).collect().item()
        print(f"settled {rows:,} taps (compiled, reading and writing included): {settle_s:.2f} s")
        print("open data, from the settled folder into a fresh SQLite catalog:")
        build_s = build(
            work / "settled", policy, network, zones, f"sqlite:///{work / 'catalog.sqlite3'}", verbose=True
        )
    print(f"built and published {len(TRANSIT)} datasets: {build_s:.2f} s")
    ratio = build_s / settle_s
    print(f"ratio build/settle: {ratio:.2f} (aim < 0.5: {'met' if ratio < 0.5 else 'not met'})")


if __name__ == "__main__":
    main()
