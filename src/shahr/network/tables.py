"""Small vectorised helpers over GTFS tables: first offending row, order within a trip, group bounds."""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray


def row_of(position: int) -> int:
    """The file row of a data row: 1-based with the header as row 1, so position 0 is row 2."""
    return position + 2


def position_of(row: int) -> int:
    return row - 2


def first_row(mask: pd.Series | NDArray[np.bool_]) -> int | None:
    """The file row of the first True in `mask` (positions as read), or None when all are False."""
    flags = mask.to_numpy(dtype=bool, na_value=False) if isinstance(mask, pd.Series) else mask
    if flags.size == 0:
        return None
    position = int(flags.argmax())
    return row_of(position) if flags[position] else None


def order_within(frame: pd.DataFrame, group: str, sequence: str) -> NDArray[np.intp]:
    """Positions of `frame` sorted by `group` (first appearance) then `sequence`: trips in stop order.

    Factorising the ids first keeps this a sort of integers, which matters on millions of stop_times.
    """
    codes, _ = pd.factorize(frame[group])
    seq = frame[sequence].to_numpy(dtype=np.float64, na_value=np.nan)
    return np.lexsort((seq, codes))


def group_starts(codes: NDArray[np.intp]) -> NDArray[np.intp]:
    """Where each run of equal codes starts in a sorted array (the first index is always 0)."""
    if codes.size == 0:
        return np.zeros(0, dtype=np.intp)
    return np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
