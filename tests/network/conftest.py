"""Networks of the tiny fixture feeds, built once per session (they are read-only)."""

from __future__ import annotations

import pytest

from shahr.network import Network, load_network
from tests.network.feeds import FIXTURES


@pytest.fixture(scope="session")
def metro() -> Network:
    return load_network(FIXTURES / "tiny_metro")


@pytest.fixture(scope="session")
def bus() -> Network:
    return load_network(FIXTURES / "tiny_bus")
