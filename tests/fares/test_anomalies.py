"""Anomalies are outcomes with reason codes and policy-defined charges, never exceptions."""

from __future__ import annotations

from importlib import resources

from shahr.fares.engine import CardState, FareEngine
from shahr.fares.load import load_policy, parse_policy
from shahr.fares.model import AnomalyCode, ExitStatus, Tap
from tests.factories import SEOUL, LineNetwork, tap

NET = LineNetwork(
    rail={"s0": 0, "s5": 5, "s12": 12, "s30": 30},
    routes={"100": {"b0": 0, "b3": 3, "b7": 7, "b9": 9}, "200": {"c0": 0, "c4": 4, "c8": 8}},
)


def seoul_tap(kind: str, at: str, stop: str, route: str | None = None, **kw: str) -> Tap:
    return tap(kind, at, stop, route, tz=SEOUL, **kw)  # type: ignore[arg-type]


def _engine(policy: str = "seoul-2025") -> FareEngine:
    return FareEngine(load_policy(policy), NET)


def test_tap_off_without_tap_on_is_free_in_seoul() -> None:
    rating = _engine().rate([seoul_tap("off", "08:00:00", "b3", "100")])
    assert rating.total_minor == 0
    assert [a.code for a in rating.anomalies] == [AnomalyCode.TAP_OFF_WITHOUT_TAP_ON]


def test_two_tap_ons_in_a_row_void_the_transfer_on_a_bus() -> None:
    # Trunk... here route 100 maps to Seoul's default bus mode (branch, 1,500): on at b0, no tap-off.
    # Route 200 boarded 10 minutes later pays a full base fare: the first journey closed as it stood.
    taps = [
        seoul_tap("on", "08:00:00", "b0", "100"),
        seoul_tap("on", "08:10:00", "c0", "200"),
        seoul_tap("off", "08:20:00", "c8", "200"),
    ]
    rating = _engine().rate(taps)
    assert [j.fare_minor for j in rating.journeys] == [1500, 1500]
    assert rating.journeys[0].legs[0].exit_status is ExitStatus.MISSING
    assert [a.code for a in rating.anomalies] == [AnomalyCode.MISSING_TAP_OFF]


def test_subway_without_exit_is_closed_and_flagged_at_end_of_day() -> None:
    rating = _engine().rate([seoul_tap("on", "08:00:00", "s0")])
    assert rating.total_minor == 1550
    assert [a.code for a in rating.anomalies] == [AnomalyCode.MISSING_TAP_OFF]


def test_time_going_backwards_is_refused() -> None:
    engine = _engine()
    first = engine.tap(CardState(), seoul_tap("on", "08:00:00", "s0"))
    skewed = engine.tap(first.state, seoul_tap("off", "07:59:59", "s12"))
    assert skewed.charge_minor == 0
    assert skewed.state == first.state
    assert [a.code for a in skewed.anomalies] == [AnomalyCode.TIME_BACKWARDS]


def test_unknown_stop_is_refused_and_named() -> None:
    step = _engine().tap(CardState(), seoul_tap("on", "08:00:00", "nowhere"))
    assert step.charge_minor == 0
    assert step.anomalies[0].code is AnomalyCode.UNKNOWN_STOP
    assert "nowhere" in step.anomalies[0].detail


def test_unknown_route_category_and_medium_are_refused() -> None:
    engine = _engine()
    codes = [
        engine.tap(CardState(), seoul_tap("on", "08:00:00", "b0", "999")).anomalies[0].code,
        engine.tap(CardState(), seoul_tap("on", "08:00:00", "b0", "100", rider="pilot")).anomalies[0].code,
        engine.tap(CardState(), seoul_tap("on", "08:00:00", "b0", "100", medium="qr")).anomalies[0].code,
    ]
    assert codes == [AnomalyCode.UNKNOWN_ROUTE, AnomalyCode.UNKNOWN_CATEGORY, AnomalyCode.UNKNOWN_MEDIUM]


def test_duplicate_tap_within_a_minute_is_ignored() -> None:
    taps = [seoul_tap("on", "08:00:00", "b0", "100"), seoul_tap("on", "08:00:30", "b0", "100")]
    rating = _engine().rate(taps)
    assert rating.total_minor == 1500
    # The ride itself never got its tap-off: that is flagged at the end of the day too.
    assert [a.code for a in rating.anomalies] == [AnomalyCode.DUPLICATE_TAP, AnomalyCode.MISSING_TAP_OFF]


def test_exit_before_the_boarding_stop_is_an_anomaly() -> None:
    # Off at b0 after boarding at b7 on route 100: not a ride along the route.
    taps = [seoul_tap("on", "08:00:00", "b7", "100"), seoul_tap("off", "08:10:00", "b0", "100")]
    rating = _engine().rate(taps)
    assert rating.total_minor == 1500
    assert [a.code for a in rating.anomalies] == [AnomalyCode.EXIT_NOT_ON_ROUTE, AnomalyCode.MISSING_TAP_OFF]


def test_infer_exit_takes_the_route_stop_nearest_the_next_boarding() -> None:
    # mashhad-distance: BRT infers a missing exit. BRT1 b0 -> (no tap-off) -> next boarding at b7 on the
    # metro: exit inferred at b7, 7 km. The inferred leg closes its journey: BRT alone, 7 km within the
    # base: 20,000. Then the metro s0 -> s12 alone: 22,000 + 1 step (2 km past 10) x 2,000 = 24,000.
    net = LineNetwork(rail={"s0": 0, "s12": 12, "b7": 7.2}, routes={"BRT1": {"b0": 0, "b3": 3, "b7": 7}})
    engine = FareEngine(load_policy("mashhad-distance"), net)
    taps = [
        tap("on", "08:00:00", "b0", "BRT1"),
        tap("on", "08:30:00", "s0", "RAIL"),
        tap("off", "08:50:00", "s12", "RAIL"),
    ]
    rating = engine.rate(taps)
    brt = rating.journeys[0].legs[0]
    assert (brt.exit_status, brt.exit_stop_id, brt.distance.metres) == (ExitStatus.INFERRED, "b7", 7000)
    assert [j.fare_minor for j in rating.journeys] == [20000, 24000]


def test_max_fare_rule_charges_the_longest_ride() -> None:
    # A policy whose metro charges a missing exit as a 30 km ride: 22,000 + 4 steps (20 km / 5) x 2,000.
    base = (resources.files("shahr.fares") / "presets" / "mashhad-distance.toml").read_text(encoding="utf-8")
    changed = base.replace(
        'route_scope = "mode"\nmissing_tap_off = { rule = "void_transfer" }',
        'route_scope = "mode"\nmissing_tap_off = { rule = "max_fare", max_distance_km = 30 }',
    )
    assert changed != base
    engine = FareEngine(parse_policy(changed), LineNetwork(rail={"s0": 0, "s12": 12}, routes={}))
    rating = engine.rate([tap("on", "08:00:00", "s0", "RAIL")])
    assert rating.total_minor == 30000
    assert rating.journeys[0].legs[0].exit_status is ExitStatus.ASSUMED_MAX


def test_subway_reentry_at_the_same_station_within_10_minutes_is_a_transfer() -> None:
    # s0 -> s5 (5 km), out and back in at s5 after 8 minutes, s5 -> s12 (7 km): one journey of 12 km:
    # 1,550 + 1 step = 1,650. After 11 minutes: two journeys, 1,550 + 1,550.
    def ride(reenter_at: str) -> list[int]:
        taps = [
            seoul_tap("on", "08:00:00", "s0"),
            seoul_tap("off", "08:10:00", "s5"),
            seoul_tap("on", reenter_at, "s5"),
            seoul_tap("off", "08:40:00", "s12"),
        ]
        return [j.fare_minor for j in _engine().rate(taps).journeys]

    assert ride("08:18:00") == [1650]
    assert ride("08:21:00") == [1550, 1550]
