"""Streaming taps to Parquet: one row group per chunk, the ground truth in the footer at the end.

The file is written under a temporary name and renamed when complete, so a failed or interrupted run
never leaves a taps file without its truth. Strings are built by `take` from small value tables (stop,
route, trip ids): no Python string per row.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

import pyarrow as pa
import pyarrow.parquet as pq

from shahr.batch.schema import TAPS_SCHEMA, TRUTH_KEY
from shahr.batch.simulate.demand import CATEGORIES, MEDIA
from shahr.batch.simulate.taps import TapColumns
from shahr.batch.simulate.timetable import IntArray, Timetable

_KINDS = pa.array(["on", "off"])
_TIMESTAMP = pa.timestamp("ms", tz="UTC")


class TapWriter:
    """Writes chunks of taps to `path`; use as a context manager and call `finish` with the truth."""

    def __init__(self, path: Path, timetable: Timetable) -> None:
        self._path = path
        self._partial = path.with_name(path.name + ".partial")
        self._stops = pa.array([*timetable.node_ids, *timetable.station_ids], pa.string())
        self._routes = pa.array(timetable.route_ids, pa.string())
        self._trips = pa.array(timetable.trip_ids, pa.string())
        self._media = pa.array(MEDIA, pa.string())
        self._categories = pa.array(CATEGORIES, pa.string())
        self._writer = pq.ParquetWriter(self._partial, TAPS_SCHEMA, compression="zstd")
        self._finished = False

    def write(self, taps: TapColumns) -> None:
        """One row group."""
        arrays = [
            pa.array(taps.card_id, pa.int64()),
            pa.array(taps.device_id, pa.int32()),
            pa.array(taps.seq, pa.int64()),
            _KINDS.take(pa.array(taps.kind)),
            pa.array(taps.tapped_ms, pa.int64()).cast(_TIMESTAMP),
            pa.array(taps.uploaded_ms, pa.int64()).cast(_TIMESTAMP),
            self._stops.take(pa.array(taps.stop)),
            _nullable(self._routes, taps.route),
            _nullable(self._trips, taps.trip),
            self._media.take(pa.array(taps.medium)),
            self._categories.take(pa.array(taps.category)),
        ]
        table = pa.Table.from_arrays(arrays, schema=TAPS_SCHEMA)
        self._writer.write_table(table, row_group_size=max(table.num_rows, 1))

    def finish(self, truth_json: str) -> None:
        """Store the truth in the file's key-value metadata and give the file its name."""
        self._writer.add_key_value_metadata({TRUTH_KEY.decode(): truth_json})
        self._writer.close()
        self._partial.replace(self._path)
        self._finished = True

    def __enter__(self) -> TapWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if not self._finished:
            self._writer.close()
            self._partial.unlink(missing_ok=True)


def _nullable(values: pa.Array, index: IntArray) -> pa.Array:
    """values[index], null where index is -1."""
    return values.take(pa.array(index, mask=index < 0))
