"""Shared test settings: hypothesis profiles sized for a 2-core CI machine; the demo policy and network."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, settings

from shahr.fares.load import Policy, load_policy

if TYPE_CHECKING:
    from shahr.network import Network

settings.register_profile("ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=60, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture(scope="session")
def mashhad_distance() -> Policy:
    """The `mashhad-distance` preset, loaded once: read-only, shared by back-office and web tests."""
    return load_policy("mashhad-distance")


@pytest.fixture(scope="session")
def mashhad_network() -> Network:
    """The Mashhad demo feed's network (data/mashhad-demo.zip), loaded once (about 2 s): read-only."""
    from shahr.network import load_network  # gtfs-kit is slow to import: only when a test needs it

    return load_network(Path(__file__).parent.parent / "data" / "mashhad-demo.zip")
