"""`shahr fare ...`: quote stated legs, explain raw taps on a network, list and check policies."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from shahr.errors import ShahrError
from shahr.fares.engine import FareEngine, Rating
from shahr.fares.explain import explain_lines, journey_data, money
from shahr.fares.lint import is_gtfs_feed, lint_source
from shahr.fares.load import Policy, list_presets, load_policy
from shahr.fares.quote import parse_leg, quote
from shahr.fares.taps_io import read_taps

fare_app = typer.Typer(
    help="Fare policies: quote journeys, explain taps, check policy files.", no_args_is_help=True
)
_out = Console(highlight=False, soft_wrap=True, markup=False)
_err = Console(stderr=True, highlight=False, soft_wrap=True)

PolicyOpt = Annotated[str, typer.Option("--policy", "-p", help="A preset id or a policy TOML file.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")]


def _fail(exc: ShahrError) -> typer.Exit:
    _err.print(f"[bold red]error:[/] {exc}", markup=True, highlight=False)
    return typer.Exit(2)


@fare_app.command("quote")
def quote_command(
    policy: PolicyOpt,
    leg: Annotated[
        list[str], typer.Option("--leg", help="MODE,KM,HH:MM,HH:MM[,ROUTE]; repeat for each leg.")
    ],
    rider: Annotated[str, typer.Option(help="Rider category.")] = "adult",
    medium: Annotated[str, typer.Option(help="Fare medium.")] = "card",
    day: Annotated[
        str | None,
        typer.Option("--date", help="Service date YYYY-MM-DD (default: today in the policy's zone)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """The fare of a journey stated leg by leg, without a network."""
    try:
        loaded = load_policy(policy)
        when = _parse_date(day) if day else datetime.now(loaded.tz).date()
        legs = [parse_leg(text, i) for i, text in enumerate(leg, start=1)]
        rating = quote(loaded, legs, rider=rider, medium=medium, day=when)
    except ShahrError as exc:
        raise _fail(exc) from exc
    _print_rating(loaded, rating, as_json)


@fare_app.command("explain")
def explain_command(
    taps: Annotated[Path, typer.Argument(help='JSON file of taps (a list, or {"taps": [...]}).')],
    policy: PolicyOpt,
    feed: Annotated[Path, typer.Option(help="GTFS feed (zip or folder) the taps were made on.")],
    as_json: JsonOpt = False,
) -> None:
    """The fares of raw taps on a network, card by card, with every anomaly."""
    from shahr.network import load_network

    try:
        loaded = load_policy(policy)
        cards = read_taps(taps)
        engine = FareEngine(loaded, load_network(feed))
        ratings = {card: engine.rate(card_taps) for card, card_taps in cards.items()}
    except ShahrError as exc:
        raise _fail(exc) from exc
    if as_json:
        data = {card: _rating_data(loaded, rating) for card, rating in ratings.items()}
        total = sum(r.total_minor for r in ratings.values())
        print(
            json.dumps(
                {"total": total, "currency": loaded.currency, "cards": data},
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    for card, rating in ratings.items():
        _out.print(f"Card {card}")
        _print_rating(loaded, rating, False)


@fare_app.command("presets")
def presets_command() -> None:
    """The policies shipped with shahr."""
    for name in list_presets():
        loaded = load_policy(name)
        versions = ", ".join(v.effective_from.isoformat() for v in loaded.versions)
        _out.print(f"{name}: {loaded.header.name} ({loaded.currency}; versions from {versions})")


@fare_app.command("check")
def check_command(
    policy: Annotated[str, typer.Argument(help="A preset id or a policy TOML file.")],
) -> None:
    """Validate a policy file; every problem is named by its key path."""
    try:
        loaded = load_policy(policy)
    except ShahrError as exc:
        raise _fail(exc) from exc
    _out.print(
        f"{loaded.source}: valid, {len(loaded.versions)} version(s), "
        f"modes: {', '.join(loaded.versions[-1].modes)}"
    )


@fare_app.command("lint")
def lint_command(
    policy: Annotated[str, typer.Argument(help="A preset id or a policy TOML file.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list of findings.")] = False,
) -> None:
    """Find what a policy allows but surely does not mean; exit 1 on any error, 0 on warnings only."""
    if is_gtfs_feed(Path(policy)):
        _err.print(
            f"error: {policy} is a GTFS feed: linting a feed's fares needs the Fares v2 import, which "
            "shahr does not have yet; lint a policy (a preset id or a TOML file)"
        )
        raise typer.Exit(2)
    try:
        findings = lint_source(policy)
    except ShahrError as exc:
        raise _fail(exc) from exc
    if as_json:
        print(json.dumps([asdict(f) for f in findings], default=str, ensure_ascii=False, indent=2))
    else:
        table = Table("severity", "version", title=f"Lint of {policy}")
        for column in ("location", "finding", "hint"):
            table.add_column(column, overflow="fold")
        for f in findings:
            version = f.version_from.isoformat() if f.version_from else "-"
            table.add_row(f.severity, version, f.location, f.message, f.hint)
        errors = sum(f.severity == "error" for f in findings)
        if findings:
            _out.print(table)
        _out.print(f"{policy}: {errors} error(s), {len(findings) - errors} warning(s)")
    if any(f.severity == "error" for f in findings):
        raise typer.Exit(1)


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(f"{text!r} is not a date YYYY-MM-DD", param_hint="--date") from exc


def _rating_data(policy: Policy, rating: Rating) -> dict[str, Any]:
    return {
        "total": rating.total_minor,
        "currency": policy.currency,
        "policy": policy.id,
        "journeys": [journey_data(policy, j) for j in rating.journeys],
        "charges": list(rating.charges_minor),
        "anomalies": [
            {
                "code": a.code.value,
                "tap": a.tap.tap_id,
                "time": a.tap.time.isoformat(),
                "detail": a.detail,
            }
            for a in rating.anomalies
        ],
    }


def _print_rating(policy: Policy, rating: Rating, as_json: bool) -> None:
    if as_json:
        print(json.dumps(_rating_data(policy, rating), ensure_ascii=False, indent=2))
        return
    for i, journey in enumerate(rating.journeys, start=1):
        lines = explain_lines(policy, journey)
        _out.print(f"Journey {i}: {lines[0]}")
        for line in lines[1:]:
            _out.print(f"  {line}")
    for anomaly in rating.anomalies:
        _out.print(f"Anomaly {anomaly.code.value} at {anomaly.tap.time.isoformat()}: {anomaly.detail}")
    _out.print(f"Total: {money(rating.total_minor, policy.currency)}")
