"""Taps with every kind of trouble on the demo feed, for holding the compiled settlement to the engine:
orphan and missing taps, duplicates and re-uploads, unknown stops, routes and categories, media
without transfers, every gap around the transfer windows, night and early-bird hours."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import polars as pl

from shahr.batch.settle import TAPS_COLUMNS

GAPS_S = [5, 30, 59, 61, 300, 600, 601, 900, 1500, 1800, 1801, 2500, 3600, 3601, 7200]


def chaos_taps(routes: dict[str, list[str]], stations: list[str], *, cards: int, seed: int) -> pl.DataFrame:
    """`routes`: bus route -> its stops; `stations`: metro parent stations."""
    rng = random.Random(seed)
    rows: list[dict[str, object]] = []
    seq = 0
    start = datetime(2025, 10, 5, 0, 30, tzinfo=UTC)  # 04:00 Tehran
    bus_routes = sorted(routes)
    for card in range(cards):
        clock = start + timedelta(minutes=rng.randrange(0, 1320))
        category = (
            rng.choice(["adult", "adult", "youth", "child", "senior"]) if rng.random() > 0.01 else "pilot"
        )
        medium = rng.choice(["card", "card", "card", "qr", "cash"])
        for _ in range(rng.randint(1, 10)):
            clock += timedelta(seconds=rng.choice(GAPS_S))
            if rng.random() < 0.4:
                route, stop = None, rng.choice(stations)
            else:
                route = rng.choice(bus_routes) if rng.random() > 0.02 else "NO-SUCH-ROUTE"
                stop = rng.choice(routes.get(route, ["b_haram"]))
            if rng.random() < 0.02:
                stop = "no_such_stop"
            seq += 1
            row = {
                "card_id": card,
                "device_id": rng.randrange(3),
                "seq": seq,
                "kind": rng.choice(["on", "off"]),
                "tapped_at": clock,
                "uploaded_at": clock + timedelta(minutes=rng.choice([1, 5, 2000])),
                "stop_id": stop,
                "route_id": route,
                "trip_id": None,
                "medium": medium,
                "rider_category": category,
            }
            rows.append(row)
            if rng.random() < 0.05:  # a re-upload (same seq) or a double read (new seq) a moment later
                again = seq if rng.random() < 0.5 else seq + 10_000_000
                rows.append(
                    row | {"seq": again, "tapped_at": clock + timedelta(seconds=rng.choice([0, 10, 59, 61]))}
                )
    rng.shuffle(rows)  # devices upload in any order
    return pl.DataFrame(rows).cast(TAPS_COLUMNS)  # type: ignore[arg-type]
