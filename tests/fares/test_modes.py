"""Mode mapping: any feed's routes get a mode under any policy."""

from __future__ import annotations

import pytest

from shahr.fares.load import load_policy
from shahr.fares.rules.modes import mode_for_route
from shahr.network.model import RouteInfo

MAPPING = load_policy("mashhad-distance").versions[-1].mode_mapping


@pytest.mark.parametrize(
    ("route", "mode"),
    [
        (RouteInfo("M1", 1), "metro"),
        (RouteInfo("BRT1", 3), "brt"),  # rule: route_type 3 and id BRT.*
        (RouteInfo("F03", 3), "feeder"),  # rule: route_type 3 and id F.*
        (RouteInfo("T01", 3), "bus"),  # route_types "3"
        (RouteInfo("X9", 700), "bus"),  # extended 700 (bus service) falls back to 3
        (RouteInfo("R", 109), "metro"),  # extended 109 (suburban railway) falls back to 2
        (RouteInfo("MR", 405), "metro"),  # monorail falls back to 12
        (RouteInfo("FERRY", 4), "bus"),  # no entry for 4: the policy's default
        (RouteInfo("FX", 700), "bus"),  # the F.* rule wants route_type 3 exactly
    ],
)
def test_every_route_type_gets_a_mode(route: RouteInfo, mode: str) -> None:
    assert mode_for_route(MAPPING, route) == mode


def test_agency_and_network_rules() -> None:
    seoul = load_policy("seoul-2025").versions[-1].mode_mapping
    assert mode_for_route(seoul, RouteInfo("740", 3, network_id="trunk")) == "trunk"
    assert mode_for_route(seoul, RouteInfo("9401", 3, network_id="wide-area")) == "wide-area"
    assert mode_for_route(seoul, RouteInfo("6", 3)) == "branch"
