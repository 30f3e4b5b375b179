"""`shahr demo` on the Mashhad demo feed: fares by the engine from taps, checked by hand."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from shahr.cli import app
from shahr.demo import JOURNEYS, compare

FEED = Path(__file__).parent.parent / "data" / "mashhad-demo.zip"


def test_demo_fares() -> None:
    rows = {journey.title: (flat, dist) for journey, flat, dist in compare(FEED)}
    # Flat: 20,000 rials a boarding (1404) whatever the distance.
    for journey in JOURNEYS:
        assert rows[journey.title][0].total_minor == 20000 * len(journey.rides)
    # Metro VakilAbad -> Airport is all of line 1: 22.99 km in the feed. 22,000 + 3 steps of 5 km
    # (12.99 km past 10) x 2,000 = 28,000.
    end_to_end = rows["Metro end to end"][1]
    assert 22_900 < end_to_end.journeys[0].distance_m <= 25_000
    assert end_to_end.total_minor == 28000
    # A trunk bus alone is flat: 20,000 for 18 km.
    assert rows["Trunk bus, 18 km"][1].total_minor == 20000
    # Three legs (feeder 16,000, metro 22,000, trunk 20,000) are one journey: the highest base 22,000
    # plus 2 steps for 19.3 km (9.3 km past 10): 26,000.
    three = rows["Feeder, metro, trunk bus"][1]
    assert [len(j.legs) for j in three.journeys] == [3]
    assert 15_000 < three.journeys[0].distance_m <= 20_000
    assert three.total_minor == 26000


def test_demo_command_prints_the_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the service part keeps its database in ./.shahr-demo
    args = ["demo", "--feed", str(FEED), "--no-serve", "--cards", "20", "--port", "0"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Metro end to end" in result.output
    assert "Total: flat 300,000 rials" in result.output
