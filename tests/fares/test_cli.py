"""`shahr fare quote` and friends, through the real Typer app."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from shahr.fares.cli import fare_app

runner = CliRunner()


def test_quote_json_contract() -> None:
    # trunk 4 km then subway 9 km (bus route 100): 1,550 + 1 step = 1,650 in one journey.
    result = runner.invoke(
        fare_app,
        [
            "quote",
            "--policy",
            "seoul-2025",
            "--rider",
            "adult",
            "--date",
            "2025-09-01",
            "--leg",
            "trunk,4,08:00,08:15,100",
            "--leg",
            "subway,9,08:20,08:40",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["total"] == 1650
    assert [j["fare"] for j in data["journeys"]] == [1650]
    journey = data["journeys"][0]
    assert [leg["mode"] for leg in journey["legs"]] == ["trunk", "subway"]
    assert journey["legs"][0]["route_id"] == "100"
    assert journey["explanation"]["base_fare"] == 1550
    assert journey["explanation"]["surcharge"] == 100
    assert journey["explanation"]["transfer_discount"] == 1400


def test_quote_text_explains_the_fare() -> None:
    result = runner.invoke(
        fare_app,
        ["quote", "--policy", "seoul-2025", "--date", "2025-09-01", "--leg", "subway,15.1,08:00,08:30"],
    )
    assert result.exit_code == 0, result.output
    assert "Base fare: 1,550 KRW for subway" in result.output
    assert "2 step(s) of 5.0 km x 100 KRW = 200 KRW" in result.output
    assert "Total: 1,750 KRW" in result.output


def test_quote_bad_leg_is_a_clear_error() -> None:
    result = runner.invoke(
        fare_app,
        ["quote", "--policy", "seoul-2025", "--date", "2025-09-01", "--leg", "subway,far,08:00,08:30"],
    )
    assert result.exit_code == 2
    assert "--leg 1 'subway,far,08:00,08:30': distance 'far' is not a number" in result.output


def test_quote_unknown_mode_is_a_clear_error() -> None:
    result = runner.invoke(
        fare_app, ["quote", "--policy", "seoul-2025", "--date", "2025-09-01", "--leg", "tram,3,08:00,08:30"]
    )
    assert result.exit_code == 2
    assert (
        "--leg 1: unknown mode 'tram'; seoul-2025 has branch, circular, late-night, subway" in result.output
    )


def test_check_and_presets() -> None:
    assert "valid, 2 version(s)" in runner.invoke(fare_app, ["check", "mashhad-flat"]).output
    listing = runner.invoke(fare_app, ["presets"]).output
    assert "seoul-2025: Seoul integrated distance-based fare (2025)" in listing
