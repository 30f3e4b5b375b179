"""`shahr fare explain TAPS.json --policy P --feed FEED`: raw taps on the demo network."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from shahr.fares.cli import fare_app

FEED = Path(__file__).parent.parent.parent / "data" / "mashhad-demo.zip"
runner = CliRunner()

TAPS = [
    # Card A: metro VakilAbad -> Airport (all of line 1, 22.99 km): 22,000 + 3 steps x 2,000 = 28,000.
    {"card_id": "A", "kind": "on", "time": "2025-10-05T07:30:00+03:30", "stop_id": "st_vakilabad"},
    {"card_id": "A", "kind": "off", "time": "2025-10-05T08:20:00+03:30", "stop_id": "st_airport"},
    # Card B: a youth on trunk T01 with no tap-off: flat alone, 10,000, and a missing_tap_off anomaly.
    {
        "card_id": "B",
        "kind": "on",
        "time": "2025-10-05T09:00:00+03:30",
        "stop_id": "b_vakilabad",
        "route_id": "T01",
        "rider_category": "youth",
        "tap_id": "b1",
    },
]


def test_explain_rates_each_card(tmp_path: Path) -> None:
    path = tmp_path / "taps.json"
    path.write_text(json.dumps(TAPS), encoding="utf-8")
    result = runner.invoke(
        fare_app, ["explain", str(path), "--policy", "mashhad-distance", "--feed", str(FEED), "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["total"] == 38000
    assert data["cards"]["A"]["total"] == 28000
    assert data["cards"]["A"]["journeys"][0]["legs"][0]["distance_method"] == "rail_network"
    assert data["cards"]["B"]["total"] == 10000
    assert [a["code"] for a in data["cards"]["B"]["anomalies"]] == ["missing_tap_off"]


def test_explain_text_names_the_rules(tmp_path: Path) -> None:
    path = tmp_path / "taps.json"
    path.write_text(json.dumps(TAPS[:2]), encoding="utf-8")
    result = runner.invoke(
        fare_app, ["explain", str(path), "--policy", "mashhad-distance", "--feed", str(FEED)]
    )
    assert result.exit_code == 0, result.output
    assert "Base fare: 22,000 IRR for metro" in result.output
    assert "3 step(s) of 5.0 km x 2,000 IRR = 6,000 IRR" in result.output


def test_bad_tap_names_its_index_and_field(tmp_path: Path) -> None:
    path = tmp_path / "taps.json"
    bad = [TAPS[0], {**TAPS[1], "time": "2025-10-05T08:20:00"}]
    path.write_text(json.dumps(bad), encoding="utf-8")
    result = runner.invoke(
        fare_app, ["explain", str(path), "--policy", "mashhad-distance", "--feed", str(FEED)]
    )
    assert result.exit_code == 2
    assert "tap 1, field time" in result.output
    assert "timezone" in result.output.lower()


def test_taps_file_that_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "taps.json"
    path.write_text("[{", encoding="utf-8")
    result = runner.invoke(
        fare_app, ["explain", str(path), "--policy", "mashhad-distance", "--feed", str(FEED)]
    )
    assert result.exit_code == 2
    assert "not JSON" in result.output
