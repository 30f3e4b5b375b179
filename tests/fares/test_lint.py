"""`shahr fare lint`: each check on a small hand-written policy, the presets clean, the CLI contract."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shahr.fares.cli import fare_app
from shahr.fares.lint import Finding, lint_policy, lint_source
from shahr.fares.load import list_presets, parse_policy

runner = CliRunner()
DAY = date(2025, 3, 21)

BANDS = """distance_bands = [
    { until_km = 50, step_km = 5, step_fare = { adult = 2000, youth = 1000 } },
    { step_km = 8, step_fare = { adult = 2000, youth = 1000 } },
]"""
INTEGRATION = """[integration]
max_transfers = 4
media = ["card"]
windows = [
    { start = 07:00:00, end = 21:00:00, minutes = 30 },
    { start = 21:00:00, end = 07:00:00, minutes = 60 },
]
"""
MODES = """[mode_mapping]
default = "bus"
[modes.bus]
name = "Bus"
base_fare = { card = { adult = 20000, youth = 10000 } }
[modes.metro]
name = "Metro"
charges_distance_alone = true
route_scope = "mode"
base_fare = { card = { adult = 22000, youth = 11000 } }
"""


def _toml(top: str = BANDS, integration: str = INTEGRATION, tail: str = "") -> str:
    """A two-mode, two-category policy; every piece can be swapped to trigger one check."""
    return f"""
id = "lint-test"
name = "Lint test"
currency = "IRR"
timezone = "Asia/Tehran"
effective_from = 2025-03-21
rider_categories = ["adult", "youth"]
media = ["card"]
{top}
{integration}
{MODES}
{tail}
"""


def _lint(text: str) -> list[tuple[str, str, str]]:
    return [(f.severity, f.location, f.message) for f in lint_policy(parse_policy(text))]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", list_presets())
def test_presets_lint_clean(name: str) -> None:
    assert lint_source(name) == []


def test_the_clean_test_policy_has_no_findings() -> None:
    assert _lint(_toml()) == []


def test_a_medium_with_no_base_fare_is_the_models_rejection_located_in_its_revision(tmp_path: Path) -> None:
    text = _toml(
        tail="""[[revisions]]
effective_from = 2026-03-21
media = ["card", "qr"]
modes.bus.base_fare.qr = { adult = 20000 }
modes.metro.base_fare.qr = { adult = 22000, youth = 11000 }
"""
    )
    assert lint_source(_write(tmp_path, text)) == [
        Finding(
            "error",
            "revisions.0.modes.bus.base_fare.qr.youth",
            "missing",
            "add the amount: every mode prices every medium and rider category of the tariff",
            None,
        )
    ]


def test_free_rides_and_mode_mapping_naming_unknowns_are_errors(tmp_path: Path) -> None:
    text = _toml(top=f'{BANDS}\nfree_rides = [{{ categories = ["elder"], modes = ["tram"] }}]')
    text = text.replace('default = "bus"', 'default = "bus"\nroute_types = { "0" = "tram" }')
    findings = lint_source(_write(tmp_path, text))
    assert [(f.severity, f.location, f.message) for f in findings] == [
        ("error", "free_rides.0.modes", "unknown mode 'tram'"),
        ("error", "free_rides.0.categories", "unknown 'elder'"),
        ("error", "mode_mapping", "unknown mode 'tram'"),
    ]


def test_amounts_for_an_unknown_category_never_apply() -> None:
    text = _toml().replace("youth = 1000 } },\n]", "youth = 1000, child = 600 } },\n]")
    assert _lint(text) == [
        ("error", "distance_bands.1.step_fare.child", "unknown rider category 'child': no card can have it")
    ]


def test_time_rule_with_equal_ends_is_all_day_and_one_over_free_rides_never_applies() -> None:
    rules = """[[time_rules]]
id = "all-day"
start = 06:00:00
end = 06:00:00
percent = -10
categories = ["youth"]
modes = ["bus"]
[[time_rules]]
id = "adult-metro"
start = 04:00:00
end = 06:30:00
percent = -20
categories = ["adult"]
modes = ["metro"]
"""
    top = f'{BANDS}\nfree_rides = [{{ categories = ["adult"], modes = ["metro"] }}]'
    assert _lint(_toml(top=top, tail=rules)) == [
        (
            "warning",
            "time_rules.0.end",
            "time rule 'all-day': start == end (06:00) is read as the whole day, not an empty band",
        ),
        (
            "warning",
            "time_rules.1",
            "time rule 'adult-metro' never changes a fare: its categories ride its modes free",
        ),
    ]


def test_overlapping_time_rules_of_the_same_scope_compound() -> None:
    rules = """[[time_rules]]
id = "early-bird"
start = 04:00:00
end = 06:30:00
percent = -20
media = ["card"]
[[time_rules]]
id = "dawn-metro"
start = 06:00:00
end = 08:00:00
percent = -10
categories = ["youth"]
modes = ["metro"]
[[time_rules]]
id = "night"
start = 22:00:00
end = 05:00:00
percent = 10
modes = ["bus"]
"""
    assert _lint(_toml(tail=rules)) == [
        (
            "warning",
            "time_rules.1",
            "time rules 'early-bird' and 'dawn-metro' both apply to a metro boarding by youth on card at "
            "06:00: their percents compound",
        ),
        (
            "warning",
            "time_rules.2",
            "time rules 'early-bird' and 'night' both apply to a bus boarding by adult on card at "
            "04:00: their percents compound",
        ),
    ]


def test_transfer_windows_that_overlap_or_leave_a_gap() -> None:
    windows = """[integration]
max_transfers = 4
media = ["card"]
windows = [
    { start = 07:00:00, end = 21:00:00, minutes = 30 },
    { start = 20:00:00, end = 23:00:00, minutes = 60 },
    { start = 01:00:00, end = 05:00:00, minutes = 60 },
]
"""
    assert _lint(_toml(integration=windows)) == [
        ("warning", "integration.windows.1", "transfer window 1 overlaps window 0 at 20:00: the first wins"),
        (
            "warning",
            "integration.windows",
            "no transfer window from 05:00 to 07:00: boardings then never transfer",
        ),
        (
            "warning",
            "integration.windows",
            "no transfer window from 23:00 to 01:00: boardings then never transfer",
        ),
    ]


def test_windows_are_not_linted_when_no_transfer_is_allowed() -> None:
    flat = (
        "[integration]\nmax_transfers = 0\nwindows = [{ start = 07:00:00, end = 09:00:00, minutes = 30 }]\n"
    )
    assert _lint(_toml(integration=flat)) == []


def test_distance_bands_out_of_order_and_free_before_paid() -> None:
    bands = """distance_bands = [
    { until_km = 50, step_km = 5, step_fare = { adult = 2000, youth = 0 } },
    { until_km = 40, step_km = 5, step_fare = { adult = 2000, youth = 1000 } },
    { step_km = 8, step_fare = { adult = 2000, youth = 1000 } },
]"""
    assert _lint(_toml(top=bands)) == [
        (
            "error",
            "distance_bands.1.until_km",
            "band ends at 40 km, not after the previous 50 km: it never charges",
        ),
        (
            "warning",
            "distance_bands.0.step_fare.youth",
            "step fare 0 for youth in a band that is not the last: later bands charge again",
        ),
    ]


def test_a_transfer_that_costs_more_than_paying_separately_without_a_cap() -> None:
    # adult only, bus 5,000 (no distance alone), metro 22,000 (distance alone, one route), bands 5 km x 2,000
    # to 50 km then 8 km x 2,000; one window all day, so both legs board at the service day's 04:00.
    # Worst pair: bus 40 km then bus 40 km (another route) = 80 km in one journey: base 5,000 + 8 steps
    # (10-50 km) + 4 steps (50-80 km, 30/8 rounded up) = 5,000 + 24,000 = 29,000; alone each bus leg is
    # 5,000 (no surcharge), 10,000 together: 19,000 more. (bus 40 then metro 40: 22,000 + 24,000 = 46,000
    # against 5,000 + 22,000 + 6 steps 12,000 = 39,000, only 7,000 more; at 10 km each no pair costs more.)
    text = (
        _toml(integration=INTEGRATION.replace("max_transfers = 4", 'max_transfers = 4\ncap = "none"'))
        .replace('["adult", "youth"]', '["adult"]')
        .replace(", youth = 10000", "")
        .replace(", youth = 11000", "")
        .replace(", youth = 1000", "")
        .replace("adult = 20000", "adult = 5000")
    )
    text = text.replace("    { start = 07:00:00, end = 21:00:00, minutes = 30 },\n", "")
    text = text.replace("start = 21:00:00, end = 07:00:00", "start = 00:00:00, end = 00:00:00")
    assert _lint(text) == [
        (
            "warning",
            "integration.cap",
            "adult on card: bus 40.0 km then bus 40.0 km at 04:00 cost 29,000 IRR as one journey, "
            "but 5,000 IRR + 5,000 IRR = 10,000 IRR paid separately",
        )
    ]
    assert _lint(text.replace('cap = "none"', 'cap = "sum_of_legs"')) == []


def test_a_pass_dearer_than_the_monthly_cap_and_a_daily_cap_below_every_fare() -> None:
    caps = """[caps]
daily = { adult = 60000, youth = 9000 }
monthly = { adult = 1000000, youth = 300000 }
[[passes]]
id = "pass-30"
name = "30-day pass"
days = 30
payment = "prepaid"
price = { adult = 800000, youth = 400000 }
"""
    assert _lint(_toml(tail=caps)) == [
        (
            "warning",
            "passes.0.price.youth",
            "pass 'pass-30' costs 400,000, more than the monthly cap of 300,000 for youth: the cap alone is "
            "cheaper",
        ),
        (
            "warning",
            "caps.daily.youth",
            "daily cap 9,000 for youth is below the cheapest base fare (10,000, bus on card): a day's first "
            "journey already reaches it",
        ),
    ]


def test_a_finding_is_reported_at_the_version_that_introduces_it_only() -> None:
    text = _toml(
        top=BANDS.replace("youth = 1000 } },\n    { step", "youth = 0 } },\n    { step"),
        tail="""[[revisions]]
effective_from = 2026-03-21
caps.daily = { adult = 15000 }
""",
    )
    findings = lint_policy(parse_policy(text))
    assert [(f.version_from, f.location) for f in findings] == [
        (DAY, "distance_bands.0.step_fare.youth"),
        (date(2026, 3, 21), "revisions.0.caps.daily.adult"),
    ]


def test_cli_exit_codes_and_json(tmp_path: Path) -> None:
    clean = runner.invoke(fare_app, ["lint", "seoul-2025"])
    assert clean.exit_code == 0, clean.output
    assert "seoul-2025: 0 error(s), 0 warning(s)" in clean.output

    warned = runner.invoke(
        fare_app, ["lint", str(_write(tmp_path, _toml(tail="[caps]\ndaily = { youth = 1 }\n")))]
    )
    assert warned.exit_code == 0, warned.output
    assert "warning" in warned.output and "0 error(s), 1 warning(s)" in warned.output

    bad = _toml().replace("youth = 1000 } },\n]", "youth = 1000, child = 600 } },\n]")
    result = runner.invoke(fare_app, ["lint", str(_write(tmp_path, bad)), "--json"])
    assert result.exit_code == 1, result.output
    assert json.loads(result.output) == [
        {
            "severity": "error",
            "location": "distance_bands.1.step_fare.child",
            "message": "unknown rider category 'child': no card can have it",
            "hint": "add it to rider_categories or remove the amount",
            "version_from": "2025-03-21",
        }
    ]


def test_cli_on_a_gtfs_feed_says_it_needs_the_fares_v2_import() -> None:
    for feed in (Path(__file__).parent.parent / "fixtures" / "tiny_bus", Path("mashhad-demo.zip")):
        result = runner.invoke(fare_app, ["lint", str(feed)])
        assert result.exit_code == 2
        assert "is a GTFS feed: linting a feed's fares needs the Fares v2 import" in result.output


def test_cli_on_an_unreadable_policy_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(fare_app, ["lint", str(tmp_path / "missing.toml")])
    assert result.exit_code == 2
    assert "cannot read policy file" in result.output


def test_a_rejected_field_keeps_its_own_path_and_message(tmp_path: Path) -> None:
    text = _toml(integration="[integration]\nmax_transfers = 2\n").replace("adult = 20000", "adult = -1")
    findings = lint_source(_write(tmp_path, text))
    assert [(f.location, f.message, f.hint) for f in findings] == [
        (
            "modes.bus.base_fare.card.adult",
            "Input should be greater than or equal to 0",
            "see docs/fares.md, Policy files",
        ),
        (
            "integration",
            "transfers are allowed (max_transfers > 0) but no transfer window is set",
            "see docs/fares.md, Policy files",
        ),
    ]
