"""Exactly once: a tap uploaded twice (same card, device and device sequence number) counts once,
the copy first in file order kept, as `settle.drop_reuploads` does, but over taps already sorted by
card: a card has few taps a day, so comparing within the card is cheaper than hashing the day."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from shahr.fares.compiled.jit import jit

I64 = npt.NDArray[np.int64]


@jit
def first_copies(card_start: I64, device: I64, seq: I64, file_row: I64) -> npt.NDArray[np.bool_]:
    """True for each row that is the first copy, in file order, of its (device, seq) within its card."""
    keep = np.ones(len(device), np.bool_)
    for c in range(len(card_start) - 1):
        for r in range(card_start[c], card_start[c + 1]):
            for q in range(card_start[c], card_start[c + 1]):
                if q != r and device[q] == device[r] and seq[q] == seq[r] and file_row[q] < file_row[r]:
                    keep[r] = False
                    break
    return keep
