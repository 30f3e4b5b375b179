"""Policy files: presets load, revisions merge, and every problem is named by its key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from shahr.errors import PolicyError
from shahr.fares.load import list_presets, load_policy, parse_policy

MINIMAL = """
id = "mini"
name = "Minimal"
currency = "IRR"
timezone = "Asia/Tehran"
effective_from = 2025-03-21
rider_categories = ["adult"]
media = ["card"]
[integration]
max_transfers = 0
[mode_mapping]
default = "bus"
[modes.bus]
name = "Bus"
base_fare = { card = { adult = 20000 } }
"""


def test_presets_are_shipped_and_valid() -> None:
    assert list_presets() == ["mashhad-distance", "mashhad-flat", "seoul-2025"]
    for name in list_presets():
        assert load_policy(name).id == name


def test_seoul_preset_has_the_reference_modes_and_categories() -> None:
    tariff = load_policy("seoul-2025").versions[-1]
    assert sorted(tariff.modes) == [
        "branch",
        "circular",
        "late-night",
        "subway",
        "trunk",
        "village",
        "wide-area",
    ]
    assert tariff.rider_categories == ("adult", "youth", "child", "senior")


def test_revision_merges_over_the_base_tariff() -> None:
    text = (
        MINIMAL
        + "\n[[revisions]]\neffective_from = 2026-03-21\n"
        + "[revisions.modes.bus.base_fare.card]\nadult = 25000\n"
    )
    policy = parse_policy(text)
    assert [v.modes["bus"].base_fare["card"]["adult"] for v in policy.versions] == [20000, 25000]
    assert policy.versions[1].modes["bus"].name == "Bus"  # kept from the base


def test_missing_fare_names_its_key_path() -> None:
    text = MINIMAL.replace('rider_categories = ["adult"]', 'rider_categories = ["adult", "youth"]')
    with pytest.raises(PolicyError, match=r"modes\.bus\.base_fare\.card\.youth: missing"):
        parse_policy(text, source="mini.toml")


def test_wrong_type_names_its_key_path_and_file() -> None:
    text = MINIMAL.replace("adult = 20000", 'adult = "twenty"')
    with pytest.raises(PolicyError) as err:
        parse_policy(text, source="mini.toml")
    assert "mini.toml" in str(err.value)
    assert "modes.bus.base_fare.card.adult" in str(err.value)


def test_negative_fare_is_refused() -> None:
    with pytest.raises(PolicyError, match=r"modes\.bus\.base_fare\.card\.adult"):
        parse_policy(MINIMAL.replace("adult = 20000", "adult = -1"))


def test_unknown_key_is_refused() -> None:
    with pytest.raises(PolicyError, match=r"modes\.bus\.colour: Extra inputs are not permitted"):
        parse_policy(MINIMAL + 'colour = "red"\n')


def test_unknown_mode_in_mapping_is_refused() -> None:
    with pytest.raises(PolicyError, match=r"mode_mapping: unknown mode 'tram'"):
        parse_policy(MINIMAL.replace('default = "bus"', 'default = "tram"'))


def test_transfers_without_a_window_are_refused() -> None:
    with pytest.raises(PolicyError, match=r"integration: .*no transfer window"):
        parse_policy(MINIMAL.replace("max_transfers = 0", "max_transfers = 2"))


def test_bad_toml_and_timezone_and_dates() -> None:
    with pytest.raises(PolicyError, match="not valid TOML"):
        parse_policy("id = ")
    with pytest.raises(PolicyError, match="unknown time zone 'Mars/Olympus'"):
        parse_policy(MINIMAL.replace("Asia/Tehran", "Mars/Olympus"))
    with pytest.raises(PolicyError, match="effective_from dates must increase"):
        parse_policy(MINIMAL + "\n[[revisions]]\neffective_from = 2020-01-01\n")


def test_unknown_preset_lists_the_presets(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="presets are: mashhad-distance, mashhad-flat, seoul-2025"):
        load_policy("tokyo")
    with pytest.raises(PolicyError, match="cannot read policy file"):
        load_policy(tmp_path / "absent.toml")


def test_no_version_before_the_first_date() -> None:
    from datetime import date

    with pytest.raises(PolicyError, match="no version in force on 2020-01-01"):
        parse_policy(MINIMAL).version_for(date(2020, 1, 1))
