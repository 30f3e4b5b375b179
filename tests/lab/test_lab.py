"""The policy lab's computation: trips priced by the fare rules, comparisons, the ridership response,
zones and calibration, with values derived by hand from the written rules."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from shahr.batch.columnar import settle_compiled
from shahr.batch.settle import read_taps
from shahr.cli import app
from shahr.fares.load import Policy, load_policy, parse_policy, read_policy_text
from shahr.lab.calibrate import (
    Bounds,
    CalibrationError,
    Candidates,
    Params,
    Target,
    Template,
    calibrate,
    variant_text,
)
from shahr.lab.compare import Responder, TripTable, compare
from shahr.lab.demand import DEMAND_SCHEMA, Demand, DemandError, from_settled, load_demand
from shahr.lab.factors import FactorsError, load_factors
from shahr.lab.figures import Figures
from shahr.lab.reprice import Prepared, Priced, prepare, price, price_demand
from shahr.lab.zones import OUTSIDE, clustered, from_districts
from shahr.network import Network
from tests.lab.conftest import DEMO_FEED

runner = CliRunner()
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def flat(fare: int) -> Policy:
    """mashhad-flat with every base fare (both versions) set to `fare`."""
    text, _ = read_policy_text("mashhad-flat")
    text = text.replace("15000", str(fare)).replace("20000", str(fare))
    return parse_policy(text.replace('id = "mashhad-flat"', f'id = "flat-{fare}"'), source=f"flat {fare}")


def bus_trips(n: int) -> Demand:
    """`n` adult trips of one T05 bus leg each (3 km), on 2025-09-06 from 08:00 Tehran, a minute apart."""
    start = datetime(2025, 9, 6, 4, 30, tzinfo=UTC)  # 08:00 in Asia/Tehran (+03:30)
    legs = pl.DataFrame(
        {
            "trip": range(n),
            "card_id": range(n),
            "service_date": [date(2025, 9, 6)] * n,
            "rider_category": ["adult"] * n,
            "medium": ["card"] * n,
            "mode": ["bus"] * n,
            "route_id": ["T05"] * n,
            "board_stop": ["b_imam_reza_terminal"] * n,
            "board_at": [start + timedelta(minutes=i) for i in range(n)],
            "alight_stop": ["b_imam_reza_terminal__kouhsangi_2"] * n,
            "alight_at": [start + timedelta(minutes=i + 4) for i in range(n)],
            "distance_m": [3000] * n,
        }
    ).cast(DEMAND_SCHEMA)  # type: ignore[arg-type]
    return Demand(legs, "by hand")


@pytest.fixture(scope="module")
def elastic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("factors") / "factors.toml"
    path.write_text(
        '[elasticity]\nadult = { value = -0.5, source = "test" }\n'
        '[factors]\ncar_share = { value = 0.5, source = "test" }\n'
        'car_trip_km = { value = 10, source = "test" }\nco2_g_per_km = { value = 200, source = "test" }\n'
    )
    return path


def _figures(demand: Demand, policies: list[Policy], network: Network, factors: str | Path) -> Figures:
    zones = clustered(network, 5)
    table = TripTable.build(demand, zones, network, "Asia/Tehran")
    priced = [price_demand(demand, p, network) for p in policies]
    return compare(demand, table, priced, zones, load_factors(factors), feed="demo", created_at=NOW)


def test_flat_against_a_higher_flat_fare_gives_the_elasticity_response(
    mashhad_network: Network, elastic: Path
) -> None:
    figures = _figures(bus_trips(110), [flat(10_000), flat(12_100)], mashhad_network, elastic)
    ref, new = figures.policies
    assert (ref.revenue, new.revenue) == (1_100_000, 1_331_000)  # 110 x 10,000 and 110 x 12,100
    # Each trip is made (12,100 / 10,000) ** -0.5 = 1.21 ** -0.5 = 1 / 1.1 times as often:
    # 110 / 1.1 = 100 trips, paying 100 x 12,100 = 1,210,000; 10 trips fewer, 10 x 0.5 = 5 more car trips
    # of 10 km: 50 car-km, 50 x 200 g = 10 kg = 0.01 t of CO2 more.
    assert new.response.trips == pytest.approx(100.0)
    assert new.response.revenue == 1_210_000
    assert new.response.trips_change == pytest.approx(-10.0)
    assert new.response.car_trips_avoided == pytest.approx(-5.0)
    assert new.response.car_km_avoided == pytest.approx(-50.0)
    assert new.response.co2_tonnes_saved == pytest.approx(-0.01)
    assert ref.response.trips == 110 and ref.response.revenue == 1_100_000
    (c,) = figures.comparisons
    assert (c.pays_more, c.pays_same, c.pays_less) == (110, 0, 0)
    assert c.largest_increase == 2_100 and c.largest_increase_percent == 21.0
    (band,) = c.by_distance_band
    assert (band.key, band.trips, band.reference_average, band.average) == ("0-5", 110, 10_000, 12_100)
    assert band.change_percent == 21.0
    assert c.riders_rising.riders == 110 and c.riders_rising.share == 1.0
    assert [h.key for h in c.by_hour] == ["08", "09"]  # 08:00 to 09:49 local
    assert sum(z.trips for z in c.by_zone) == 110
    assert new.average_fare == 12_100 and new.fare_per_km == 4_033  # 1,331,000 / 330 km = 4,033.3


@pytest.fixture(scope="module")
def settled_demo(demo_taps: Path, mashhad_network: Network, mashhad_distance: Policy) -> Demand:
    return from_settled(settle_compiled(read_taps(demo_taps), mashhad_distance, mashhad_network), "demo")


def test_repricing_under_the_settling_policy_gives_the_settlement_fares(
    demo_taps: Path, mashhad_network: Network, mashhad_distance: Policy
) -> None:
    day = settle_compiled(read_taps(demo_taps), mashhad_distance, mashhad_network)
    demand = from_settled(day, "demo")
    priced = price_demand(demand, mashhad_distance, mashhad_network)
    journeys = day.journeys.sort("card_id", "journey_seq")
    assert demand.trips == len(journeys) > 2000
    assert np.array_equal(priced.fare, journeys["fare"].to_numpy())
    assert priced.revenue == day.counts["revenue"]


def test_a_policy_compared_with_itself_changes_nothing(
    settled_demo: Demand, mashhad_network: Network, mashhad_distance: Policy
) -> None:
    figures = _figures(settled_demo, [mashhad_distance, mashhad_distance], mashhad_network, "mashhad-factors")
    a, b = figures.policies
    assert a.revenue == b.revenue > 0
    assert b.response.trips == b.trips and b.response.revenue == b.revenue
    assert b.response.car_trips_avoided == 0 and b.response.co2_tonnes_saved == 0
    (c,) = figures.comparisons
    assert c.pays_same == settled_demo.trips and c.pays_more == c.pays_less == 0
    assert c.largest_increase == 0 and c.riders_rising.riders == 0
    assert all(row.change_percent == 0 for row in [*c.by_zone, *c.by_hour, *c.by_rider_category])


def test_flat_against_distance_on_the_demo_day(
    settled_demo: Demand, mashhad_network: Network, mashhad_distance: Policy
) -> None:
    flat_today = load_policy("mashhad-flat")
    figures = _figures(settled_demo, [flat_today, mashhad_distance], mashhad_network, "mashhad-factors")
    ref, new = figures.policies
    (c,) = figures.comparisons
    assert c.pays_more + c.pays_same + c.pays_less == settled_demo.trips
    for rows in (c.by_distance_band, c.by_rider_category, c.by_zone, c.by_hour):
        assert sum(r.trips for r in rows) == settled_demo.trips
        assert sum(r.pays_more for r in rows) == c.pays_more
    # Under the flat fare every boarding pays 20,000 (1404): a trip pays 20,000 per leg.
    legs_per_trip = settled_demo.legs.group_by("trip").len().sort("trip")["len"].to_numpy()
    assert ref.revenue == 20_000 * int(legs_per_trip.sum())
    # A youth pays half the adult base fare under mashhad-distance, and never more than under flat.
    youth = next(r for r in c.by_rider_category if r.key == "youth")
    assert youth.pays_more == 0 and youth.average < youth.reference_average
    assert ref.journeys == len(settled_demo.legs) and new.journeys == settled_demo.trips


def test_responder_holds_free_trips_constant() -> None:
    reference = priced_at(np.array([0, 10_000, 10_000]))
    respond = Responder.of(pl.Series(["adult", "adult", "child"]), reference, load_factors())
    factor = respond(np.array([5_000, 0, 20_000]))
    # free under the reference, free under the new policy: held; 10,000 -> 20,000 at -0.3: 2 ** -0.3
    assert factor.tolist() == pytest.approx([1.0, 1.0, 2**-0.3])


def priced_at(fares: np.ndarray) -> Priced:
    """Trips priced at these fares under mashhad-flat (one journey each)."""
    return Priced(load_policy("mashhad-flat"), fares.astype(np.int64), np.ones(len(fares), np.int64), 0)


def test_variant_scales_every_amount_from_the_template() -> None:
    text, _ = read_policy_text("mashhad-distance")
    template = Template.of(text, load_policy("mashhad-distance"), None)
    assert (template.base_mode, template.base_fare, template.step_fare) == ("bus", 20_000, 2_000)
    variant = parse_policy(variant_text(template, Params(15_000, 1_000, 4, 8), 100, "trial"), source="t")
    tariff = variant.versions[0]
    assert variant.id == "trial"
    # base fares x 15,000 / 20,000 = 3/4: bus 20,000 -> 15,000, metro 22,000 -> 16,500, feeder 16,000 ->
    # 12,000, youth bus 10,000 -> 7,500, child metro 6,600 -> 4,950 -> 5,000 (to the 100 rials)
    assert tariff.modes["bus"].base_fare["card"] == {
        "adult": 15_000,
        "youth": 7_500,
        "child": 4_500,
        "senior": 7_500,
    }
    assert tariff.modes["metro"].base_fare["qr"]["adult"] == 16_500
    assert tariff.modes["metro"].base_fare["card"]["child"] == 5_000
    assert tariff.modes["feeder"].base_fare["card"]["adult"] == 12_000
    # step fares x 1/2: 2,000 -> 1,000, child 600 -> 300; step lengths x 4/5: 5 -> 4 km, 8 -> 6.4 -> 6 km
    assert [b.step_fare["adult"] for b in tariff.distance_bands] == [1_000, 1_000]
    assert tariff.distance_bands[0].step_fare["child"] == 300
    assert [int(b.step_km) for b in tariff.distance_bands] == [4, 6]
    assert {m.base_distance_m for m in tariff.modes.values()} == {8_000}
    assert "# The Seoul rules" in variant_text(template, Params(15_000, 1_000, 4, 8), 100, "trial")


@dataclass(frozen=True)
class Calibrating:
    """mashhad-distance prepared on the demo day, against mashhad-flat's fares on the same trips."""

    template: Template
    reference: Priced
    respond: Responder
    prepared: Prepared

    def candidates(self, fare_unit: int, policy_id: str) -> Candidates:
        return Candidates(
            self.template, self.prepared, self.reference.fare, self.respond, fare_unit, policy_id
        )


@pytest.fixture(scope="module")
def calibrating(settled_demo: Demand, mashhad_network: Network, mashhad_distance: Policy) -> Calibrating:
    text, _ = read_policy_text("mashhad-distance")
    reference = price_demand(settled_demo, load_policy("mashhad-flat"), mashhad_network)
    return Calibrating(
        Template.of(text, mashhad_distance, None),
        reference,
        Responder.of(settled_demo.trip_table()["rider_category"], reference, load_factors()),
        prepare(settled_demo, mashhad_distance, mashhad_network),
    )


def test_calibration_meets_its_revenue_target_on_the_demo_network(
    calibrating: Calibrating, settled_demo: Demand, mashhad_network: Network
) -> None:
    reference = calibrating.reference
    result = calibrate(
        calibrating.candidates(500, "calibrated"), reference.revenue, target=Target.FAIREST,
        bounds=calibrating.template.defaults(), generations=8,
    )  # fmt: skip
    written = parse_policy(result.policy_text, source="calibrated.toml")
    check = price_demand(settled_demo, written, mashhad_network)  # prepared anew from the written file
    assert abs(check.revenue / reference.revenue - 1) <= 0.005
    assert check.revenue == result.outcome.revenue
    assert result.outcome.largest_increase == int((check.fare - reference.fare).max())
    bus = written.versions[0].modes["bus"].base_fare["card"]["adult"]
    assert bus == result.outcome.params.base_fare and bus % 500 == 0


def test_calibration_on_two_processes_finds_the_same_amounts(calibrating: Calibrating) -> None:
    candidates, reference = calibrating.candidates(1_000, "calibrated"), calibrating.reference
    bounds = Bounds((20_000, 40_000), (0, 4_000), (5, 5), (10, 10))
    results = [
        calibrate(
            candidates, reference.revenue, target=Target.RIDERSHIP, bounds=bounds, generations=3, workers=n
        )
        for n in (1, 2)
    ]
    assert results[0].outcome == results[1].outcome
    assert results[0].outcome.revenue_after >= reference.revenue  # the floor: 1.0 x the reference


def test_calibration_says_when_the_bounds_cannot_meet_the_target(calibrating: Calibrating) -> None:
    candidates, reference = calibrating.candidates(500, "x"), calibrating.reference
    with pytest.raises(CalibrationError, match="widen the bounds"):
        bounds = Bounds((1_000, 2_000), (0, 500), (5, 5), (10, 10))
        calibrate(candidates, reference.revenue, target=Target.FAIREST, bounds=bounds, generations=2)


def test_clustered_zones_cover_every_stop_and_repeat(mashhad_network: Network) -> None:
    zones = clustered(mashhad_network, 20)
    assert len(zones.zones) == 20 and [z.id for z in zones.zones][:2] == ["z01", "z02"]
    lat, lon = mashhad_network.stop_locations(mashhad_network.stop_ids)
    assigned = zones.of_points(lat, lon)
    assert OUTSIDE not in assigned and len(set(assigned)) == 20
    assert clustered(mashhad_network, 20).to_geojson() == zones.to_geojson()
    assert zones.of_points(np.array([np.nan]), np.array([np.nan])) == [OUTSIDE]


def test_districts_as_zones_and_a_point_outside_goes_to_the_nearest() -> None:
    from shahr.civic.geo import load_districts

    zones = from_districts(load_districts())
    samen = next(z for z in zones.zones if "Samen" in z.name)
    shrine = (36.2880, 59.6157)  # the Imam Reza shrine, in Samen
    assert zones.of_points(np.array([shrine[0]]), np.array([shrine[1]])) == [samen.id]
    far_east = zones.of_points(np.array([36.3]), np.array([60.5]))
    assert far_east[0] in {z.id for z in zones.zones}


def test_demand_errors_name_the_file(
    tmp_path: Path, mashhad_network: Network, mashhad_distance: Policy
) -> None:
    with pytest.raises(DemandError, match="legs.parquet is missing"):
        load_demand(tmp_path, mashhad_distance, mashhad_network)
    with pytest.raises(DemandError, match="no such file"):
        load_demand(tmp_path / "nothing.parquet", mashhad_distance, mashhad_network)
    bad = tmp_path / "bad.toml"
    bad.write_text("[elasticity]\nadult = { value = 0.4, source = 'x' }\n")
    with pytest.raises(FactorsError, match="elasticity.adult.value"):
        load_factors(bad)


def test_price_refuses_a_policy_of_another_structure(settled_demo: Demand, mashhad_network: Network) -> None:
    prepared = prepare(settled_demo, load_policy("mashhad-distance"), mashhad_network)
    with pytest.raises(Exception, match="prepare it anew"):
        price(prepared, load_policy("mashhad-flat"))


def test_cli_compare_writes_the_report_and_figures(demo_taps: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    args = ["lab", "compare", "--feed", str(DEMO_FEED), "--demand", str(demo_taps), "-p", "mashhad-flat",
            "-p", "mashhad-distance", "--out", str(out), "--zone-count", "8", "--lang", "fa"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    figures = Figures.model_validate(json.loads(out.with_suffix(".json").read_text()))
    assert [p.id for p in figures.policies] == ["mashhad-flat", "mashhad-distance"]
    assert len(figures.zones["features"]) == 8
    html = out.read_text()
    assert 'dir="rtl"' in html and "mashhad-distance" in html
    assert "trips pay more" in result.output


def test_cli_compare_needs_two_policies(demo_taps: Path, tmp_path: Path) -> None:
    args = ["lab", "compare", "--feed", str(DEMO_FEED), "--demand", str(demo_taps), "-p", "mashhad-flat",
            "--out", str(tmp_path / "r.html")]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "at least two policies" in result.output


def test_cli_calibrate_writes_a_policy_that_loads(demo_taps: Path, tmp_path: Path) -> None:
    out = tmp_path / "calibrated.toml"
    args = ["lab", "calibrate", "--feed", str(DEMO_FEED), "--demand", str(demo_taps),
            "-p", "mashhad-distance", "--reference", "mashhad-flat", "--out", str(out),
            "--generations", "4", "--id", "mashhad-cal",
            "--step-km", "5:5", "--base-km", "10:10"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    policy = load_policy(out)
    assert policy.id == "mashhad-cal"
    assert [int(b.step_km) for b in policy.versions[0].distance_bands] == [5, 8]
    assert "revenue" in result.output and "written" in result.output
    bad = runner.invoke(app, [*args[:-4], "--step-km", "9:1"])
    assert bad.exit_code == 2 and "--step-km" in bad.output
