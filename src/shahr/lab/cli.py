"""`shahr lab`: compare fare policies on a demand (`compare`) and calibrate a distance policy's amounts
against a reference (`calibrate`)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from shahr import console as term
from shahr.errors import ShahrError
from shahr.fares.explain import money
from shahr.fares.load import Policy, load_policy, parse_policy, read_policy_text
from shahr.lab.calibrate import Bounds, Candidates, Target, Template, calibrate
from shahr.lab.compare import DEFAULT_RISE_PERCENT, Responder, TripTable, compare
from shahr.lab.demand import load_demand
from shahr.lab.factors import DEFAULT_FACTORS, load_factors
from shahr.lab.reprice import prepare, price
from shahr.lab.zones import DEFAULT_ZONES, Zones, clustered, from_districts
from shahr.network.network import Network, load_network

lab_app = typer.Typer(
    help="Policy lab: what a fare policy does to riders, revenue and traffic.", no_args_is_help=True
)


class Language(StrEnum):
    EN = "en"
    FA = "fa"


FeedOption = Annotated[Path, typer.Option(help="GTFS feed (zip or folder) the demand rode on.")]
DemandOption = Annotated[
    Path,
    typer.Option(
        help="A settled day's folder (`shahr settle --out`) or a taps Parquet file (`shahr simulate taps`)."
    ),
]


@lab_app.command("compare")
def compare_command(
    feed: FeedOption,
    demand: DemandOption,
    policy: Annotated[
        list[str],
        typer.Option(
            "--policy", "-p", help="Preset id or TOML file; the first is the reference. Give two or more."
        ),
    ],
    out: Annotated[Path, typer.Option(help="The HTML report to write; the figures go next to it as .json.")],
    zones: Annotated[
        Path | None,
        typer.Option(help="Districts GeoJSON (code, name_fa, name_en); default: stops clustered."),
    ] = None,
    zone_count: Annotated[
        int, typer.Option(min=2, help="Zones to cluster stops into without --zones.")
    ] = DEFAULT_ZONES,
    factors: Annotated[
        str, typer.Option(help="Response factors: a TOML file or preset id.")
    ] = DEFAULT_FACTORS,
    rise_percent: Annotated[
        float, typer.Option(min=0, help="Riders whose fare rises by more than this are listed.")
    ] = DEFAULT_RISE_PERCENT,
    trips_by: Annotated[
        str | None,
        typer.Option(
            help="Policy whose journeys define trips when --demand is taps "
            "(default: the one allowing most transfers)."
        ),
    ] = None,
    lang: Annotated[Language, typer.Option(help="Language of the report.")] = Language.EN,
    title: Annotated[str | None, typer.Option(help="The report's title.")] = None,
) -> None:
    """Price one demand under every policy and write the comparison: an HTML report that opens offline
    (charts and a zone map) and a JSON of every figure."""
    from shahr.lab.report import render_report

    if len(policy) < 2:
        _fail("give at least two policies (--policy A --policy B): the first is the reference")
    try:
        with term.progress() as progress:
            task = progress.add_task("reading", total=4 + len(policy))
            policies = [load_policy(p) for p in policy]
            network = load_network(feed)
            progress.advance(task)
            trips_policy = load_policy(trips_by) if trips_by else _most_transfers(policies)
            progress.update(task, description=f"reading the demand (trips by {trips_policy.id})")
            rides = load_demand(demand, trips_policy, network)
            zoning = _zones(zones, network, zone_count)
            table = TripTable.build(rides, zoning, network, policies[0].header.timezone)
            progress.advance(task)
            priced = []
            for p in policies:
                progress.update(task, description=f"pricing {rides.trips:,} trips under {p.id}")
                priced.append(price(prepare(rides, p, network)))
                progress.advance(task)
            progress.update(task, description="comparing")
            figures = compare(
                rides, table, priced, zoning, load_factors(factors), feed=str(feed),
                created_at=datetime.now(UTC), rise_percent=rise_percent, title=title,
            )  # fmt: skip
            progress.advance(task)
            progress.update(task, description=f"writing {out}")
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(render_report(figures, lang.value), encoding="utf-8")
            figures_path = out.with_suffix(".json")
            figures_path.write_text(figures.model_dump_json(indent=2), encoding="utf-8")
            progress.advance(task)
    except ShahrError as exc:
        _fail(str(exc))
    for f in figures.policies:
        term.out.print(
            f"{f.id}: revenue {money(f.revenue, figures.currency)}, average fare "
            f"{money(f.average_fare, figures.currency)}; after the response {f.response.trips:,.0f} trips "
            f"({f.response.trips_change:+,.0f}), {f.response.car_trips_avoided:,.0f} car trips avoided"
        )
    for c in figures.comparisons:
        term.out.print(
            f"{c.policy} against {c.against}: {c.pays_more:,} trips pay more, {c.pays_same:,} the same, "
            f"{c.pays_less:,} less; {c.riders_rising.riders:,} riders pay over "
            f"{c.riders_rising.threshold_percent:g}% more"
        )
    term.out.print(f"written {out} and {figures_path}")


@lab_app.command("calibrate")
def calibrate_command(
    feed: FeedOption,
    demand: DemandOption,
    policy: Annotated[
        str, typer.Option("--policy", "-p", help="The distance policy to calibrate (preset id or TOML file).")
    ],
    reference: Annotated[
        str, typer.Option(help="The policy whose revenue is the target (preset id or TOML file).")
    ],
    out: Annotated[Path, typer.Option(help="The calibrated policy file to write (TOML).")],
    target: Annotated[
        Target,
        typer.Option(
            help="fairest: revenue within --tolerance, smallest largest rise; "
            "ridership: most trips at a revenue floor."
        ),
    ] = Target.FAIREST,
    base_fare: Annotated[
        str | None,
        typer.Option(help="Bounds of the base fare, MIN:MAX minor units (default: half to twice today's)."),
    ] = None,
    step_fare: Annotated[
        str | None, typer.Option(help="Bounds of the step fare, MIN:MAX minor units.")
    ] = None,
    step_km: Annotated[str | None, typer.Option(help="Bounds of the step length, MIN:MAX km.")] = None,
    base_km: Annotated[str | None, typer.Option(help="Bounds of the base distance, MIN:MAX km.")] = None,
    base_mode: Annotated[
        str | None, typer.Option(help="The mode whose adult base fare is the base fare (default: bus).")
    ] = None,
    fare_unit: Annotated[
        int, typer.Option(min=1, help="Fares are whole multiples of this (minor units).")
    ] = 500,
    tolerance: Annotated[
        float, typer.Option(min=0, help="fairest: revenue within this share of the reference's.")
    ] = 0.005,
    floor: Annotated[
        float,
        typer.Option(
            min=0, help="ridership: revenue after the response at least this share of the reference's."
        ),
    ] = 1.0,
    factors: Annotated[
        str, typer.Option(help="Response factors: a TOML file or preset id.")
    ] = DEFAULT_FACTORS,
    policy_id: Annotated[
        str | None, typer.Option("--id", help="Id of the calibrated policy (default: <policy>-calibrated).")
    ] = None,
    generations: Annotated[int, typer.Option(min=1, help="Generations of the differential evolution.")] = 25,
    seed: Annotated[int, typer.Option(min=0, help="Same seed, same demand: the same result.")] = 0,
    workers: Annotated[
        int, typer.Option(min=1, help="Processes pricing candidates (the result does not depend on it).")
    ] = min(os.cpu_count() or 1, 2),
) -> None:
    """Search a distance policy's base fare, step fare, step length and base distance for a revenue
    target on a demand, and write the result as a ready policy file."""
    try:
        template_policy = load_policy(policy)
        ref_policy = load_policy(reference)
        template = Template.of(read_policy_text(policy)[0], template_policy, base_mode)
        defaults = template.defaults()
        bounds = Bounds(
            base_fare=_bounds(base_fare, defaults.base_fare, "--base-fare"),
            step_fare=_bounds(step_fare, defaults.step_fare, "--step-fare"),
            step_km=_bounds(step_km, defaults.step_km, "--step-km"),
            base_km=_bounds(base_km, defaults.base_km, "--base-km"),
        )
        with term.progress() as progress:
            task = progress.add_task("reading", total=3 + generations)
            network = load_network(feed)
            rides = load_demand(demand, template_policy, network)
            progress.advance(task)
            progress.update(task, description=f"preparing {rides.trips:,} trips")
            prepared = prepare(rides, template_policy, network)
            ref = price(prepare(rides, ref_policy, network))
            respond = Responder.of(rides.trip_table()["rider_category"], ref, load_factors(factors))
            progress.update(task, advance=2, description=f"calibrating ({target.value})")
            candidates = Candidates(
                template,
                prepared,
                ref.fare,
                respond,
                fare_unit,
                policy_id or f"{template_policy.id}-calibrated",
            )
            result = calibrate(
                candidates, ref.revenue, target=target, bounds=bounds, tolerance=tolerance, floor=floor,
                seed=seed, generations=generations, workers=workers,
                on_generation=lambda g: progress.update(task, completed=3 + g),
            )  # fmt: skip
        written = parse_policy(result.policy_text, source=str(out))
        check = price(prepare(rides, written, network))
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(result.policy_text, encoding="utf-8")
    except ShahrError as exc:
        _fail(str(exc))
    o, currency = result.outcome, template_policy.currency
    term.out.print(
        f"base fare {money(o.params.base_fare, currency)} ({template.base_mode}, adult), step "
        f"{money(o.params.step_fare, currency)} every {o.params.step_km} km after {o.params.base_km} km"
    )
    term.out.print(
        f"revenue {money(check.revenue, currency)} against {money(result.reference_revenue, currency)} "
        f"({(check.revenue / result.reference_revenue - 1) * 100:+.2f}%); largest rise of a trip "
        f"{money(o.largest_increase, currency)}; trips after the response {o.trips_after:,.0f}; "
        f"{result.evaluations} candidates priced"
    )
    term.out.print(f"written {out}")


def _most_transfers(policies: list[Policy]) -> Policy:
    return max(policies, key=lambda p: max(v.integration.max_transfers for v in p.versions))


def _zones(path: Path | None, network: Network, count: int) -> Zones:
    if path is None:
        return clustered(network, count)
    from shahr.civic.geo import load_districts

    return from_districts(load_districts(str(path)))


def _bounds(text: str | None, default: tuple[int, int], option: str) -> tuple[int, int]:
    if text is None:
        return default
    try:
        low, high = (int(part) for part in text.split(":"))
    except ValueError:
        raise ShahrError(f"{option}: expected MIN:MAX in whole numbers, got {text!r}") from None
    if low > high or low < 0:
        raise ShahrError(f"{option}: {text!r} is not a range MIN:MAX with 0 <= MIN <= MAX")
    return low, high


def _fail(message: str) -> NoReturn:
    term.err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(2)
