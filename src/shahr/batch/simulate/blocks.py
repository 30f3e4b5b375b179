"""Random numbers per block of cards, so the data do not depend on how many cards a chunk holds.

Cards are numbered from 0 and cut into blocks of `BLOCK_CARDS`; block b draws from its own generator
seeded with (seed, b). A chunk is whole blocks. Every draw is for a list of entities (cards, journeys,
rides, taps) kept in card order, so each block's share of the list is contiguous and is drawn from that
block's generator alone: the same seed gives the same taps whatever `--chunk-cards` is.
"""

from __future__ import annotations

import numpy as np

from shahr.batch.simulate.timetable import FloatArray, IntArray

BLOCK_CARDS = 8192


class BlockRandom:
    """The generators of the blocks of one chunk."""

    def __init__(self, seed: int, first_block: int, n_blocks: int) -> None:
        self._generators = [np.random.default_rng([seed, first_block + b]) for b in range(n_blocks)]

    def uniform(self, block: IntArray, width: int = 1) -> FloatArray:
        """`width` uniform [0, 1) numbers per entity (rows), `block` being each entity's block in the
        chunk, non-decreasing."""
        counts = np.bincount(block, minlength=len(self._generators))
        draws = [rng.random(int(c) * width) for rng, c in zip(self._generators, counts, strict=True)]
        return np.concatenate(draws).reshape(len(block), width)
