"""Build the illustrative Mashhad demo GTFS feed from data/ (``make feed``).

    python scripts/build_demo_feed.py [--stations CSV] [--out data/mashhad-demo.zip]

The metro stations come from data/mashhad_metro_stations.csv, the station list of the open-source
"mashhad-metro" app (github.com/shahriaarrr/mashhad-metro, assets/data/stations.json, GPL-3.0).
Everything else (BRT and bus routes, places, timetables) is illustrative and made here; see
docs/demo-feed.md. The output is deterministic: the same input gives a byte-identical zip.
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import gtfs_kit
import pandas as pd
from demo_feed.network import build_network
from demo_feed.service import list_trips
from demo_feed.tables import Tables, build_tables, write_zip

DATA = Path(__file__).resolve().parent.parent / "data"


def main(argv: list[str] | None = None) -> None:
    """Build the feed, check that gtfs-kit reads it cleanly, print what it holds."""
    args = _parse_args(argv)
    network = build_network(args.stations)
    tables = build_tables(network, list(list_trips(network.patterns)))
    write_zip(tables, args.out)
    _check(args.out)
    _print_summary(tables, args.out)


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=Path, default=DATA / "mashhad_metro_stations.csv")
    parser.add_argument("--out", type=Path, default=DATA / "mashhad-demo.zip")
    return parser.parse_args(argv)


def _check(path: Path) -> None:
    """Read the zip back with gtfs-kit, warnings as errors; it must be a good feed in km."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        feed = gtfs_kit.read_feed(path)
        quality = feed.assess_quality().set_index("indicator")["value"]
    if feed.dist_units != "km" or quality["assessment"] != "good feed":
        raise SystemExit(f"{path}: gtfs-kit reads {feed.dist_units}, {quality.to_dict()}")


def _print_summary(tables: Tables, path: Path) -> None:
    """Counts of stops, routes and trips, and each route's length and stops (direction 0)."""
    stops, trips = tables["stops"], tables["trips"]
    print(f"{path}: {path.stat().st_size / 1e6:.1f} MB")
    print(f"stops: {len(stops)} ({(stops['location_type'] == 1).sum()} parent stations)")
    print(f"routes: {len(tables['routes'])}, stop_times: {len(tables['stop_times'])}")
    print("trips per service:", trips.groupby("service_id").size().to_dict())
    first_trips = trips.drop_duplicates("shape_id")[["trip_id", "shape_id"]]
    stops_per_shape = tables["stop_times"].merge(first_trips).groupby("shape_id").size()
    lengths = tables["shapes"].groupby("shape_id")["shape_dist_traveled"].max().round(1)
    summary = pd.DataFrame({"km": lengths, "stops": stops_per_shape})
    print(summary[summary.index.str.endswith("_0")].to_string())


if __name__ == "__main__":
    main()
