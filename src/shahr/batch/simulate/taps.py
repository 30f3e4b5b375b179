"""Rides -> the rows validators record: tap-ons and tap-offs, with missing tap-offs, double taps and
late uploads in the asked shares, and each device's own tap counter.

- A missing tap-off is a tap-off that is not written (each with probability `missing_tap_off`).
- A duplicate is the same card tapped again at the same validator `DUPLICATE_DELAY_MS` later: a
  second row with its own seq, same kind, stop, route and trip (each written tap with probability
  `duplicates`). Every other tap of the card is at least 29 s away, so it never looks like one.
- A late upload is sent `LATE_MS` after the tap (one to three days); the others `UPLOAD_MS` after
  (a few minutes). Any row, duplicates included, with probability `late`.
- seq counts each device's taps from 1 across the whole file: in tap time within a block of cards,
  and block after block (devices upload block by block in this simulation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shahr.batch.simulate.blocks import BlockRandom
from shahr.batch.simulate.demand import CATEGORIES, Cards
from shahr.batch.simulate.itineraries import Rides
from shahr.batch.simulate.model import SimulationOptions, Truth
from shahr.batch.simulate.timetable import FloatArray, IntArray, Timetable

ON, OFF = 0, 1
DUPLICATE_DELAY_MS = (2_000, 20_000)
UPLOAD_MS = (30_000, 900_000)
DAY_MS = 86_400_000
LATE_MS = (DAY_MS + 1, 3 * DAY_MS)


@dataclass(frozen=True, eq=False)
class TapColumns:
    """One chunk's rows as integer columns; strings are indices into the writer's value tables:
    `stop` into node ids then station ids, `route` and `trip` into the timetable's (-1: null)."""

    card_id: IntArray
    device_id: IntArray
    seq: IntArray
    kind: IntArray
    tapped_ms: IntArray
    uploaded_ms: IntArray
    stop: IntArray
    route: IntArray
    trip: IntArray
    medium: IntArray
    category: IntArray
    truth: Truth


def make_taps(
    cards: Cards,
    rides: Rides,
    tt: Timetable,
    options: SimulationOptions,
    rand: BlockRandom,
    device_taps: IntArray,
) -> TapColumns:
    """The chunk's rows in card and time order; `device_taps` (taps per device so far) is advanced."""
    ride = np.repeat(np.arange(len(rides.card)), 2)
    kind = np.tile(np.array([ON, OFF]), len(rides.card))
    tapped = np.where(kind == ON, rides.taps_on[ride], rides.taps_off[ride])
    ride, kind = ride[tapped], kind[tapped]
    u = rand.uniform(cards.block[rides.card[ride]], 3)
    missing = (kind == OFF) & (u[:, 0] < options.missing_tap_off)
    written = np.flatnonzero(~missing)
    doubled = u[written, 1] < options.duplicates
    source = np.repeat(written, 1 + doubled)
    second = np.r_[False, source[1:] == source[:-1]]

    ride, kind = ride[source], kind[source]
    card = rides.card[ride]
    seconds = np.where(kind == ON, rides.tap_on_s[ride], rides.tap_off_s[ride])
    delay = np.where(second, _between(DUPLICATE_DELAY_MS, u[source, 2]), 0)
    tapped_ms = tt.day_start_ms + np.floor(seconds * 1000).astype(np.int64) + delay
    block = cards.block[card]
    upload = rand.uniform(block, 2)
    late = upload[:, 0] < options.late
    uploaded_ms = tapped_ms + np.where(
        late, _between(LATE_MS, upload[:, 1]), _between(UPLOAD_MS, upload[:, 1])
    )

    gated = rides.gated[ride]
    node = np.where(kind == ON, rides.board[ride], rides.alight[ride])
    station = tt.node_station[node]
    trip = rides.trip[ride]
    device = np.where(gated, tt.gate_device(station), tt.vehicle_device(trip))
    truth = _truth(cards, rides, card, kind, int(missing.sum()), int(doubled.sum()), int(late.sum()))
    return TapColumns(
        card_id=cards.card_id[card],
        device_id=device,
        seq=_sequence(device, block, tapped_ms, device_taps),
        kind=kind,
        tapped_ms=tapped_ms,
        uploaded_ms=uploaded_ms,
        stop=np.where(gated, tt.n_nodes + station, node),
        route=np.where(gated, -1, tt.pattern_route[tt.trip_pattern[trip]]),
        trip=np.where(gated, -1, trip),
        medium=cards.medium[card],
        category=cards.category[card],
        truth=truth,
    )


def _sequence(device: IntArray, block: IntArray, tapped_ms: IntArray, device_taps: IntArray) -> IntArray:
    """Each device's counter: by block, then tap time, then row (card order: the sort is stable)."""
    order = np.lexsort((tapped_ms, device * (int(block.max(initial=0)) + 1) + block))
    ordered = device[order]
    group_start = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    sizes = np.diff(np.r_[group_start, len(ordered)])
    rank = np.arange(len(ordered)) - np.repeat(group_start, sizes)
    seq = np.empty(len(device), dtype=np.int64)
    seq[order] = device_taps[ordered] + rank + 1
    device_taps += np.bincount(device, minlength=len(device_taps))
    return seq


def _truth(
    cards: Cards, rides: Rides, card: IntArray, kind: IntArray, missing: int, doubled: int, late: int
) -> Truth:
    n = len(CATEGORIES)
    columns = {
        "cards": np.bincount(cards.category, minlength=n),
        "journeys": np.bincount(cards.category, weights=rides.journeys_made, minlength=n),
        "legs": np.bincount(cards.category[rides.card[rides.taps_on]], minlength=n),
        "taps": np.bincount(cards.category[card], minlength=n),
    }
    return Truth(
        cards=len(cards.card_id),
        journeys=int(rides.journeys_made.sum()),
        rides=len(rides.card),
        legs=int(rides.taps_on.sum()),
        taps=len(card),
        tap_ons=int((kind == ON).sum()),
        tap_offs=int((kind == OFF).sum()),
        missing_tap_offs=missing,
        duplicate_taps=doubled,
        late_uploads=late,
        by_category={c: {name: int(v[i]) for name, v in columns.items()} for i, c in enumerate(CATEGORIES)},
    )


def _between(bounds: tuple[int, int], u: FloatArray) -> IntArray:
    """Whole milliseconds in [low, high]."""
    low, high = bounds
    return low + np.floor(u * (high - low + 1)).astype(np.int64)
