"""`load_feed`: a good feed loads; a broken one raises FeedError naming file, row and field.

Rows count the header as row 1, so the first data row is row 2.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from shahr.errors import FeedError
from shahr.network import load_feed
from tests.network.feeds import FIXTURES, copy_fixture, edit


def _refused(path: Path) -> FeedError:
    with pytest.raises(FeedError) as caught:
        load_feed(path)
    return caught.value


def _assert_names(error: FeedError, file: str, row: int | None, field: str | None) -> None:
    assert (error.file, error.row, error.field) == (file, row, field)
    assert str(error).startswith(file)
    if row is not None:
        assert f"row {row}" in str(error)
    if field is not None:
        assert repr(field) in str(error)


def test_good_feeds_load() -> None:
    metro = load_feed(FIXTURES / "tiny_metro")
    assert len(metro.stop_times) == 16
    assert metro.dist_units == "km"


def test_zip_loads_like_the_folder(tmp_path: Path) -> None:
    archive = shutil.make_archive(str(tmp_path / "tiny_metro"), "zip", FIXTURES / "tiny_metro")
    assert len(load_feed(archive).stops) == 13


def test_broken_empty() -> None:
    error = _refused(FIXTURES / "broken_empty")
    _assert_names(error, "stops.txt", None, None)
    assert "empty" in str(error)


def test_broken_missing_stops() -> None:
    error = _refused(FIXTURES / "broken_missing_stops")
    _assert_names(error, "stops.txt", None, None)
    assert "missing" in str(error)


def test_broken_bad_row() -> None:
    # stops.txt: header, s1, s2, then s3 with stop_lat "north": row 4.
    error = _refused(FIXTURES / "broken_bad_row")
    _assert_names(error, "stops.txt", 4, "stop_lat")
    assert "'north' is not a number" in str(error)


def test_broken_bad_row_in_a_zip(tmp_path: Path) -> None:
    archive = shutil.make_archive(str(tmp_path / "bad"), "zip", FIXTURES / "broken_bad_row")
    _assert_names(_refused(Path(archive)), "stops.txt", 4, "stop_lat")


def test_broken_dangling() -> None:
    # stop_times.txt: header, s1, then "nowhere": row 3.
    error = _refused(FIXTURES / "broken_dangling")
    _assert_names(error, "stop_times.txt", 3, "stop_id")
    assert "'nowhere' is not in stops.txt" in str(error)


# (file, text in tiny_metro, replacement, expected row, field, words in the message)
BROKEN_ROWS = [
    ("trips.txt", "M2,wk,m2_east", ",wk,m2_east", 4, "route_id", "required value is missing"),
    ("stops.txt", "st_c,C,0.01,0.0", "st_c,C,91.0,0.0", 4, "stop_lat", "out of range"),
    (
        "stops.txt",
        "l2_x,X line 2,0.0,0.0",
        "l2_x,X line 2,0.0,east",
        11,
        "stop_lon",
        "'east' is not a number",
    ),
    ("stops.txt", "t_g,G tram,0.0,0.021", "t_g,G tram,,0.021", 14, "stop_lat", "need coordinates"),
    ("stop_times.txt", "08:12:00,08:12:30,l1_x", "08:12:00,8h12,l1_x", 6, "departure_time", "not a time"),
    ("stop_times.txt", "08:02:00,08:02:30,l1_x", "08:61:00,08:02:30,l1_x", 3, "arrival_time", "not a time"),
    ("stop_times.txt", "l2_x,2,1.5", "l2_x,2.5,1.5", 9, "stop_sequence", "not a whole number"),
    ("routes.txt", "(west-east),1,metro", "(west-east),metro,metro", 3, "route_type", "not a whole number"),
    ("routes.txt", "Tram 3,900,tram", "Tram 3,2000,tram", 4, "route_type", "out of range"),
    ("trips.txt", "M1,wk,m1_south", "M9,wk,m1_south", 3, "route_id", "'M9' is not in routes.txt"),
    ("stop_times.txt", "t3_west,08:13:00", "t3_gone,08:13:00", 17, "trip_id", "not in trips.txt"),
    ("trips.txt", "s_m2_west", "s_nowhere", 5, "shape_id", "not in shapes.txt"),
    ("stops.txt", "0.01,0.0,0,st_c", "0.01,0.0,0,st_zz", 9, "parent_station", "not in stops.txt"),
    ("stops.txt", "t_g,G tram", "t_f,G tram", 14, "stop_id", "duplicate"),
    ("stop_times.txt", "l1_c,3,2.4", "l1_c,2,2.4", 4, "stop_sequence", "duplicate"),
    ("stop_times.txt", "l1_c,3,2.4", "l1_c,3,1.0", 4, "shape_dist_traveled", "must not decrease"),
    ("trips.txt", "T3,wk,t3_east", "T3,sun,t3_east", 6, "service_id", "calendar_dates.txt"),
    ("transfers.txt", "l1_c,l2_d,3", "l1_c,l2_zz,3", 4, "to_stop_id", "not in stops.txt"),
]


@pytest.mark.parametrize(("file", "old", "new", "row", "field", "words"), BROKEN_ROWS)
def test_bad_row_is_named(
    tmp_path: Path, file: str, old: str, new: str, row: int, field: str, words: str
) -> None:
    feed = copy_fixture("tiny_metro", tmp_path)
    edit(feed, file, old, new)
    error = _refused(feed)
    _assert_names(error, file, row, field)
    assert words in str(error)


def test_missing_column(tmp_path: Path) -> None:
    feed = copy_fixture("tiny_metro", tmp_path)
    edit(feed, "routes.txt", "route_type,network_id", "kind,network_id")
    error = _refused(feed)
    _assert_names(error, "routes.txt", None, "route_type")
    assert "column is missing" in str(error)


def test_header_only_file(tmp_path: Path) -> None:
    feed = copy_fixture("tiny_metro", tmp_path)
    (feed / "routes.txt").write_text("route_id,route_type\n")
    error = _refused(feed)
    _assert_names(error, "routes.txt", None, None)
    assert "header but no rows" in str(error)


def test_missing_agency(tmp_path: Path) -> None:
    feed = copy_fixture("tiny_metro", tmp_path)
    (feed / "agency.txt").unlink()
    _assert_names(_refused(feed), "agency.txt", None, None)


def test_missing_calendar(tmp_path: Path) -> None:
    feed = copy_fixture("tiny_metro", tmp_path)
    (feed / "calendar.txt").unlink()
    assert "calendar_dates.txt" in str(_refused(feed))


def test_no_such_path(tmp_path: Path) -> None:
    assert "no such feed" in str(_refused(tmp_path / "nowhere.zip"))


def test_not_a_zip(tmp_path: Path) -> None:
    junk = tmp_path / "feed.zip"
    junk.write_text("not a zip")
    assert "neither a folder nor a readable zip" in str(_refused(junk))


def test_unknown_dist_units() -> None:
    with pytest.raises(FeedError, match="'yards' is not one of ft, m, km, mi"):
        load_feed(FIXTURES / "tiny_metro", dist_units="yards")
