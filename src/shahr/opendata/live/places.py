"""Where the dashboard's figures are on a map and what they are called: a feed's stops (boardings counted
at their station, where they have one) and its operators, each named in Persian and English.

Read from the feed's small files only (stops.txt, agency.txt, translations.txt), not through gtfs-kit:
the dashboard needs names and points, not the timetable, and a second full load of the feed would cost
seconds and memory for nothing. Names come from GTFS translations (`record_id` or `field_value` ones),
falling back to the feed's own name in either language.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from shahr.errors import FeedError

LANGUAGES = ("fa", "en")


@dataclass(frozen=True, slots=True)
class Place:
    """A stop or station riders board at, as a map shows it."""

    stop_id: str
    name_fa: str
    name_en: str
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class Operator:
    agency_id: str
    name_fa: str
    name_en: str


@dataclass(frozen=True)
class Places:
    """A feed's boarding places and operators, by id."""

    places: Mapping[str, Place]
    """Stations and stops that belong to no station, with a point."""
    parents: Mapping[str, str]
    """stop_id -> parent_station, for the stops that have one."""
    operators: Mapping[str, Operator]

    def station_of(self, stop_id: str) -> str:
        """The outermost station of a stop (a platform counts at its station), or the stop itself."""
        seen = {stop_id}
        while (parent := self.parents.get(stop_id)) is not None and parent not in seen:
            seen.add(parent)
            stop_id = parent
        return stop_id

    def operator(self, agency_id: str) -> Operator:
        """The operator's names; an id the feed does not name (clearing's `unknown`) stands for itself."""
        return self.operators.get(agency_id) or Operator(agency_id, agency_id, agency_id)


@lru_cache(maxsize=2)
def load_places(feed: str) -> Places:
    """The places and operators of a GTFS zip or folder (`settings.feed`), read once per process;
    FeedError when stops.txt or agency.txt cannot be read."""
    files = _Files(Path(feed))
    names = _Translations(files.rows("translations.txt", required=False))
    parents: dict[str, str] = {}
    places: dict[str, Place] = {}
    for row in files.rows("stops.txt"):
        stop_id, parent = row.get("stop_id", ""), row.get("parent_station") or ""
        if parent:
            parents[stop_id] = parent
            continue
        try:
            lat, lon = float(row["stop_lat"]), float(row["stop_lon"])
        except (KeyError, TypeError, ValueError):
            continue  # a stop with no point is not on a map (GTFS allows it for some location types)
        fa, en = (
            names.get("stops", "stop_name", stop_id, row.get("stop_name", ""), lang) for lang in LANGUAGES
        )
        places[stop_id] = Place(stop_id, fa, en, lat, lon)
    operators = {}
    for row in files.rows("agency.txt"):
        agency_id = row.get("agency_id") or ""
        fa, en = (
            names.get("agency", "agency_name", agency_id, row.get("agency_name", ""), lang)
            for lang in LANGUAGES
        )
        operators[agency_id] = Operator(agency_id, fa, en)
    return Places(places, parents, operators)


class _Files:
    """The feed's text files, from a zip or a folder."""

    def __init__(self, source: Path) -> None:
        self.source = source

    def rows(self, name: str, *, required: bool = True) -> Iterator[dict[str, str]]:
        text = self._read(name)
        if text is None:
            if required:
                raise FeedError(f"required file is missing from {self.source}", file=name)
            return iter(())
        return csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))

    def _read(self, name: str) -> str | None:
        try:
            if self.source.is_dir():
                path = self.source / name
                return path.read_text(encoding="utf-8") if path.exists() else None
            with zipfile.ZipFile(self.source) as archive:
                member = next((m for m in archive.namelist() if Path(m).name == name), None)
                return None if member is None else archive.read(member).decode("utf-8")
        except (OSError, UnicodeDecodeError, zipfile.BadZipFile) as exc:
            raise FeedError(f"cannot read {name} from {self.source}: {exc}", file=name) from exc


class _Translations:
    """translations.txt as lookups: by (table, field, record_id, language), else by the field's value."""

    def __init__(self, rows: Iterator[dict[str, str]]) -> None:
        self._by_record: dict[tuple[str, str, str, str], str] = {}
        self._by_value: dict[tuple[str, str, str, str], str] = {}
        for row in rows:
            key = (row.get("table_name", ""), row.get("field_name", ""))
            lang, text = row.get("language", ""), row.get("translation", "")
            if row.get("record_id"):
                self._by_record[(*key, row["record_id"], lang)] = text
            elif row.get("field_value"):
                self._by_value[(*key, row["field_value"], lang)] = text

    def get(self, table: str, field: str, record_id: str, value: str, lang: str) -> str:
        return (
            self._by_record.get((table, field, record_id, lang))
            or self._by_value.get((table, field, value, lang))
            or value
        )
