"""`shahr network distance`, through the Typer sub-app."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from shahr.network.cli import network_app
from tests.network.feeds import FIXTURES

runner = CliRunner()
METRO = str(FIXTURES / "tiny_metro")


def _distance(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(network_app, ["distance", *args])
    return result.exit_code, result.stdout, result.stderr


def test_text_output() -> None:
    code, out, _ = _distance("--feed", METRO, "--from", "l1_a", "--to", "t_g")
    assert code == 0, out
    assert "3.812 km (3812 m)" in out
    assert "method: rail_network" in out
    assert "st_a → st_x → st_e → t_f → t_g" in out


def test_json_output_is_one_object() -> None:
    code, out, _ = _distance("--feed", METRO, "--from", "st_a", "--to", "st_c", "--route", "M1", "--json")
    assert code == 0, out
    assert json.loads(out) == {
        "metres": 2400,
        "method": "shape_dist_traveled",
        "stops": ["l1_a", "l1_x", "l1_c"],
        "from": "st_a",
        "to": "st_c",
        "route": "M1",
    }


def test_network_error_exits_2() -> None:
    code, out, err = _distance("--feed", METRO, "--from", "l1_c", "--to", "l1_a", "--route", "M2")
    assert (code, out) == (2, "")
    assert err.strip() == "error: stop 'l1_c' is not served by route 'M2' (any trip)"


def test_feed_error_exits_2() -> None:
    code, _, err = _distance(
        "--feed", str(FIXTURES / "broken_bad_row"), "--from", "s1", "--to", "s2", "--json"
    )
    assert code == 2
    assert "stops.txt, row 4, field 'stop_lat'" in err
    assert len(err.strip().splitlines()) == 1
