"""A day of taps on a feed, chunk by chunk: the timetable, paths and demand are built once; each chunk
of cards is sampled, ridden, turned into taps and written before the next one starts, so memory stays
that of one chunk whatever the number of cards."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from gtfs_kit import Feed

from shahr.batch.simulate.blocks import BLOCK_CARDS, BlockRandom
from shahr.batch.simulate.demand import build_demand, sample_cards
from shahr.batch.simulate.itineraries import ride_journeys
from shahr.batch.simulate.model import SimulationOptions, Truth
from shahr.batch.simulate.routing import find_paths
from shahr.batch.simulate.taps import make_taps
from shahr.batch.simulate.timetable import build_timetable
from shahr.batch.simulate.writer import TapWriter


def simulate_taps(
    feed: Feed,
    options: SimulationOptions,
    out: Path,
    *,
    feed_name: str,
    on_progress: Callable[[int], None] | None = None,
) -> Truth:
    """Write the taps of `options.cards` cards on `options.service_date` to `out` (Parquet, TAPS_SCHEMA)
    and return the counts also stored in its metadata. `on_progress` hears the cards of each chunk.

    Chunks are whole blocks of BLOCK_CARDS cards (`chunk_cards` rounded up), one row group each.
    Raises FeedError when no service runs on the date.
    """
    timetable = build_timetable(feed, options.service_date)
    paths = find_paths(timetable)
    demand = build_demand(timetable, paths)
    device_taps = np.zeros(timetable.n_devices, dtype=np.int64)
    truth = Truth()
    blocks_per_chunk = -(-options.chunk_cards // BLOCK_CARDS)
    n_blocks = -(-options.cards // BLOCK_CARDS)
    with TapWriter(out, timetable) as writer:
        for first_block in range(0, n_blocks, blocks_per_chunk):
            chunk_blocks = min(blocks_per_chunk, n_blocks - first_block)
            first_card = first_block * BLOCK_CARDS
            n_cards = min(chunk_blocks * BLOCK_CARDS, options.cards - first_card)
            rand = BlockRandom(options.seed, first_block, chunk_blocks)
            cards = sample_cards(first_card, n_cards, demand, rand, first_block)
            rides = ride_journeys(cards, timetable, paths, demand, rand)
            taps = make_taps(cards, rides, timetable, options, rand, device_taps)
            writer.write(taps)
            truth.add(taps.truth)
            if on_progress is not None:
                on_progress(n_cards)
        writer.finish(truth.to_json(options, feed_name))
    return truth
