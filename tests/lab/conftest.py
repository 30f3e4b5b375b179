"""A generated demo day for the policy lab's tests: taps of 1,500 cards on the demo feed, written once."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from shahr.batch.simulate.generate import simulate_taps
from shahr.batch.simulate.model import SimulationOptions
from shahr.network import load_feed

DEMO_FEED = Path(__file__).parents[2] / "data" / "mashhad-demo.zip"
SATURDAY = date(2025, 9, 6)


@pytest.fixture(scope="session")
def demo_taps(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("lab") / "taps.parquet"
    options = SimulationOptions(cards=1500, service_date=SATURDAY, seed=5)
    simulate_taps(load_feed(DEMO_FEED), options, path, feed_name=DEMO_FEED.name)
    return path
