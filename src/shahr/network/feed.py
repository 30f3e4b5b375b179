"""Loading a GTFS feed (zip or folder) with gtfs-kit, refusing a broken one with its file, row and field."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import gtfs_kit as gk
import numpy as np
import pandas as pd
from gtfs_kit import Feed
from gtfs_kit.constants import DTYPES

from shahr.errors import FeedError
from shahr.network.tables import first_row, position_of
from shahr.network.units import UNIT_METRES, infer_dist_units
from shahr.network.validate import validate_feed

REQUIRED_FILES = ("agency.txt", "stops.txt", "routes.txt", "trips.txt", "stop_times.txt")
SERVICE_FILES = ("calendar.txt", "calendar_dates.txt")
"""GTFS requires one of these (calendar.txt may be left out when calendar_dates.txt lists every date)."""

# What gtfs-kit reads as missing; the raw re-read that finds a bad value must agree with it.
_NA_VALUES = ["", " ", "nan", "NaN", "null"]
_READ_ERRORS = (ValueError, TypeError, OverflowError)  # pandas' parse, cast and decode errors


def load_feed(path: str | Path, *, dist_units: str | None = None) -> Feed:
    """Read and check a feed; its `dist_units` is the caller's or inferred (see `units`).

    Raises FeedError naming the file, row and field of the first problem found.
    """
    source = Path(path)
    if dist_units is not None and dist_units not in UNIT_METRES:
        raise FeedError(f"dist_units {dist_units!r} is not one of {', '.join(UNIT_METRES)}")
    sizes = _list_files(source)
    _require_files(source, sizes)
    try:
        # The placeholder unit skips gtfs-kit's own guess, which says "km" when it cannot tell.
        feed: Feed = gk.read_feed(source, dist_units=dist_units or "m")
    except _READ_ERRORS as exc:
        raise _diagnose(source, sizes, exc) from exc
    _require_rows(feed, sizes)
    validate_feed(feed)
    feed.dist_units = dist_units if dist_units is not None else infer_dist_units(feed)
    return feed


def _list_files(source: Path) -> dict[str, int]:
    """Size in bytes of each .txt file, by file name, as gtfs-kit will see them."""
    if source.is_dir():
        return {p.name: p.stat().st_size for p in source.iterdir() if p.is_file() and p.suffix == ".txt"}
    if not source.exists():
        raise FeedError(f"no such feed: {source} (give a GTFS zip or folder)")
    try:
        with zipfile.ZipFile(source) as archive:
            members = [m for m in archive.infolist() if not m.is_dir() and m.filename.endswith(".txt")]
            return {Path(m.filename).name: m.file_size for m in members}
    except (zipfile.BadZipFile, OSError) as exc:
        raise FeedError(f"{source} is neither a folder nor a readable zip archive: {exc}") from exc


def _require_files(source: Path, sizes: dict[str, int]) -> None:
    for name in REQUIRED_FILES:
        if name not in sizes:
            raise FeedError(f"required file is missing from {source}", file=name)
    if not any(name in sizes for name in SERVICE_FILES):
        raise FeedError(f"{source} has neither calendar.txt nor calendar_dates.txt; GTFS needs one")


def _require_rows(feed: Feed, sizes: dict[str, int]) -> None:
    """gtfs-kit leaves a table None when its file is empty: refuse that for the files shahr needs."""
    for name in REQUIRED_FILES:
        if getattr(feed, name.removesuffix(".txt")) is None:
            raise FeedError(_empty(sizes[name]), file=name)
    if all(getattr(feed, name.removesuffix(".txt")) is None for name in SERVICE_FILES):
        name = next(name for name in SERVICE_FILES if name in sizes)
        raise FeedError(_empty(sizes[name]) + "; no service is defined", file=name)


def _empty(size: int) -> str:
    return "file is empty (0 bytes)" if size == 0 else "file has a header but no rows"


def _diagnose(source: Path, sizes: dict[str, int], exc: Exception) -> FeedError:
    """Find the row gtfs-kit choked on: pandas says which value failed, not where it is."""
    for name in sorted(sizes):
        table = name.removesuffix(".txt")
        if table not in DTYPES or sizes[name] == 0:
            continue
        try:
            frame = _read_text(source, name)
        except _READ_ERRORS as raw_exc:
            return FeedError(f"cannot be read as CSV (UTF-8): {raw_exc}", file=name)
        found = _first_bad_number(frame, DTYPES[table], name)
        if found is not None:
            return found
    return FeedError(f"gtfs-kit cannot read the feed {source}: {exc}")


def _read_text(source: Path, name: str) -> pd.DataFrame:
    options: dict[str, Any] = {
        "dtype": "string",
        "na_values": _NA_VALUES,
        "keep_default_na": True,
        "encoding": "utf-8-sig",
    }
    frame: pd.DataFrame
    if source.is_dir():
        frame = pd.read_csv(source / name, **options)
    else:
        with zipfile.ZipFile(source) as archive:
            member = next(m for m in archive.infolist() if Path(m.filename).name == name)
            with archive.open(member) as handle:
                frame = pd.read_csv(handle, **options)
    frame.columns = frame.columns.str.strip()
    return frame


def _first_bad_number(frame: pd.DataFrame, dtypes: dict[str, str], name: str) -> FeedError | None:
    """The earliest row whose value gtfs-kit cannot cast to its column's number type, if any."""
    problems: list[tuple[int, str, str]] = []
    for field, dtype in dtypes.items():
        if field not in frame or dtype == "string":
            continue
        text = frame[field]
        numbers = pd.to_numeric(text, errors="coerce")
        bad = text.notna() & numbers.isna()
        if dtype != "float":
            limits = np.iinfo(dtype.lower())
            bad |= (numbers % 1 != 0) | (numbers < limits.min) | (numbers > limits.max)
        row = first_row(bad)
        if row is not None:
            kind = "a number" if dtype == "float" else f"a whole number in [{limits.min}, {limits.max}]"
            problems.append((row, field, f"{text.iloc[position_of(row)]!r} is not {kind}"))
    if not problems:
        return None
    row, field, message = min(problems)
    return FeedError(message, file=name, row=row, field=field)
