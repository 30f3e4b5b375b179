"""mashhad-flat: 20,000 rials per boarding (1404), any mode, no transfer discount, no tap-off needed."""

from __future__ import annotations

from shahr.fares.engine import FareEngine
from shahr.fares.load import load_policy
from shahr.fares.model import ExitStatus
from tests.factories import LineNetwork, tap, trip


def test_each_boarding_pays_20000() -> None:
    # bus, then BRT 5 minutes later, then metro: 3 boardings x 20,000 = 60,000 whatever the distance.
    rating = trip().ride("bus", 4).ride("brt", 12).ride("metro", 20).quote("mashhad-flat")
    assert rating.total_minor == 60000
    assert [j.fare_minor for j in rating.journeys] == [20000, 20000, 20000]


def test_categories_and_qr_pay_the_same() -> None:
    assert trip().ride("metro", 9).quote("mashhad-flat", rider="youth", medium="qr").total_minor == 20000


def test_taps_on_only_are_normal_under_the_flat_fare() -> None:
    # Two tap-ons, no tap-off: two journeys, no anomaly; the metro is found from the station's routes.
    network = LineNetwork(rail={"st_a": 0, "st_b": 5}, routes={"T01": {"b1": 0, "b2": 3}})
    engine = FareEngine(load_policy("mashhad-flat"), network)
    rating = engine.rate([tap("on", "08:00:00", "b1", "T01"), tap("on", "08:20:00", "st_a")])
    assert rating.total_minor == 40000
    assert rating.anomalies == ()
    assert [leg.exit_status for j in rating.journeys for leg in j.legs] == [ExitStatus.NOT_EXPECTED] * 2
    assert [j.legs[0].mode for j in rating.journeys] == ["bus", "metro"]


def test_brt_routes_map_to_the_brt_mode() -> None:
    network = LineNetwork(rail={}, routes={"BRT1": {"s1": 0, "s2": 4}})
    engine = FareEngine(load_policy("mashhad-flat"), network)
    rating = engine.rate([tap("on", "08:00:00", "s1", "BRT1"), tap("off", "08:10:00", "s2", "BRT1")])
    assert rating.journeys[0].legs[0].mode == "brt"
    assert rating.journeys[0].distance_m == 4000
    assert rating.total_minor == 20000
    assert rating.charges_minor[-1] == 0 and sum(rating.charges_minor) == 20000
