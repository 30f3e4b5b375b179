"""The fare engine: a card's taps -> legs -> journeys -> charges. Pure and deterministic: no I/O, no
clock, no database; the network is an in-memory object.

Two forms, one logic. `FareEngine.tap(state, tap)` is what a validator does: from the card's stored
journey state and one tap, the amount to charge now and the new state. `FareEngine.rate(taps)` is the
batch form: the same steps over a card's taps in order, then `close` at the end of the service day.
What a step charges is the rise in the open journey's price (base fare at tap-on, the difference to a
higher base fare at a transfer, distance steps at tap-off), so the charges of a card's taps add up to
its journeys' fares. Anomalies are outcomes with reason codes, never exceptions.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from shahr.errors import NetworkError, PolicyError
from shahr.fares.load import Policy
from shahr.fares.model import Anomaly, AnomalyCode, ExitStatus, Journey, Leg, Tap, TapKind
from shahr.fares.network import FareNetwork
from shahr.fares.policy import Tariff
from shahr.fares.pricing import price_journey
from shahr.fares.resolve import ResolvedTap, resolve_tap
from shahr.fares.rules.base import is_free
from shahr.fares.rules.missing_tap_off import close_without_tap_off
from shahr.fares.rules.ridden import ridden_distance
from shahr.fares.rules.transfer import is_reentry, transfer_refusal
from shahr.network.model import Distance


@dataclass(frozen=True, slots=True)
class OpenJourney:
    """A journey still taking legs: what a card stores between taps."""

    tariff: Tariff
    legs: tuple[Leg, ...]
    charged_minor: int
    reentry_used: bool = False

    @property
    def awaiting_tap_off(self) -> bool:
        last = self.legs[-1]
        return last.alight is None and last.exit_status is ExitStatus.MISSING


@dataclass(frozen=True, slots=True)
class CardState:
    """The card's fare state: its open journey and its last accepted tap (for order and duplicates)."""

    journey: OpenJourney | None = None
    last_tap: Tap | None = None


@dataclass(frozen=True, slots=True)
class Step:
    """The outcome of one tap: the amount charged now, the new state, journeys it closed, anomalies."""

    charge_minor: int
    state: CardState
    closed: tuple[Journey, ...] = ()
    anomalies: tuple[Anomaly, ...] = ()


@dataclass(frozen=True, slots=True)
class Rating:
    """A card's taps rated in batch."""

    journeys: tuple[Journey, ...]
    anomalies: tuple[Anomaly, ...]
    charges_minor: tuple[int, ...]

    @property
    def total_minor(self) -> int:
        return sum(j.fare_minor for j in self.journeys)


class FareEngine:
    def __init__(self, policy: Policy, network: FareNetwork) -> None:
        self.policy = policy
        self.network = network

    def rate(self, taps: list[Tap] | tuple[Tap, ...]) -> Rating:
        """Rate a card's taps, in the order given, and close what is open at the end."""
        state = CardState()
        journeys: list[Journey] = []
        anomalies: list[Anomaly] = []
        charges: list[int] = []
        for tap in taps:
            step = self.tap(state, tap)
            state = step.state
            journeys += step.closed
            anomalies += step.anomalies
            charges.append(step.charge_minor)
        end = self.close(state)
        journeys += end.closed
        anomalies += end.anomalies
        charges.append(end.charge_minor)
        return Rating(tuple(journeys), tuple(anomalies), tuple(charges))

    def tap(self, state: CardState, tap: Tap) -> Step:
        """One tap as a validator sees it."""
        checked = self._precheck(state, tap)
        if isinstance(checked, Anomaly):
            return Step(0, state, (), (checked,))
        resolved = resolve_tap(checked, self.network, tap, self.policy.id)
        if isinstance(resolved, Anomaly):
            return Step(0, state, (), (resolved,))
        if tap.kind is TapKind.ON:
            return self._tap_on(state, tap, checked, resolved)
        return self._tap_off(state, tap, checked, resolved)

    def close(self, state: CardState) -> Step:
        """End of the service day: the open journey closes, a missing tap-off by its mode's rule."""
        journey = state.journey
        if journey is None:
            return Step(0, state)
        anomalies: tuple[Anomaly, ...] = ()
        if journey.awaiting_tap_off:
            journey, anomalies = self._settle_missing(journey, None)
        charge, closed = self._finish(journey)
        return Step(charge, CardState(None, state.last_tap), (closed,), anomalies)

    # -- steps ------------------------------------------------------------------------------

    def _tap_on(self, state: CardState, tap: Tap, tariff: Tariff, r: ResolvedTap) -> Step:
        journey = state.journey
        anomalies: tuple[Anomaly, ...] = ()
        closed: tuple[Journey, ...] = ()
        charge = 0
        if journey is not None and journey.awaiting_tap_off:
            journey, anomalies = self._settle_missing(journey, tap)
        mode = tariff.modes[r.mode]
        free = is_free(tariff, r.mode, tap.rider_category)
        status = ExitStatus.NOT_EXPECTED if mode.missing_tap_off.rule == "none" else ExitStatus.MISSING
        leg = Leg(
            r.mode,
            r.route_id,
            r.route_key,
            tap,
            None,
            None,
            Distance(0, "assumed"),
            status,
            r.agency_id,
            free,
        )
        if journey is not None:
            refusal, reentry = self._refusal(journey, tap, leg)
            if refusal is None:
                extended = replace(
                    journey, legs=(*journey.legs, leg), reentry_used=journey.reentry_used or reentry
                )
                charge = self._rise(extended)
                return Step(
                    charge,
                    CardState(replace(extended, charged_minor=extended.charged_minor + charge), tap),
                    (),
                    anomalies,
                )
            charge, done = self._finish(journey)
            closed = (done,)
        opened = OpenJourney(tariff, (leg,), 0)
        first = self._rise(opened)
        new_state = CardState(replace(opened, charged_minor=first), tap)
        return Step(charge + first, new_state, closed, anomalies)

    def _tap_off(self, state: CardState, tap: Tap, tariff: Tariff, r: ResolvedTap) -> Step:
        journey = state.journey
        if (
            journey is not None
            and journey.legs[-1].alight is None
            and self._same_vehicle(journey.legs[-1], r)
        ):
            last = journey.legs[-1]
            try:
                distance = ridden_distance(
                    self.network, journey.tariff.modes[last.mode], last.board.stop_id, tap.stop_id,
                    last.route_id, last.board.trip_id,
                )  # fmt: skip
            except NetworkError as exc:
                anomaly = Anomaly(AnomalyCode.EXIT_NOT_ON_ROUTE, tap, str(exc))
                settled, missing = self._settle_missing(journey, None)
                charge, done = self._finish(settled)
                return Step(charge, CardState(None, tap), (done,), (anomaly, *missing))
            alighted = replace(
                last,
                alight=tap,
                exit_stop_id=tap.stop_id,
                distance=distance,
                exit_status=ExitStatus.TAPPED,
            )
            updated = replace(journey, legs=(*journey.legs[:-1], alighted))
            charge = self._rise(updated)
            return Step(
                charge,
                CardState(replace(updated, charged_minor=updated.charged_minor + charge), tap),
            )
        return self._orphan_tap_off(state, tap, tariff, r)

    def _orphan_tap_off(self, state: CardState, tap: Tap, tariff: Tariff, r: ResolvedTap) -> Step:
        """A tap-off with no tap-on before it on that vehicle: charged as the policy says."""
        journey, anomalies = (
            state.journey,
            [Anomaly(AnomalyCode.TAP_OFF_WITHOUT_TAP_ON, tap, "no tap-on before this tap-off")],
        )
        charge, closed = 0, []
        if journey is not None:
            if journey.awaiting_tap_off:
                journey, missing = self._settle_missing(journey, None)
                anomalies += missing
            charge, done = self._finish(journey)
            closed.append(done)
        if tariff.anomalies.tap_off_without_tap_on == "base_fare":
            leg = Leg(
                r.mode,
                r.route_id,
                r.route_key,
                tap,
                tap,
                tap.stop_id,
                Distance(0, "assumed"),
                ExitStatus.MISSING,
                r.agency_id,
            )
            fare, explanation = price_journey(self.policy, tariff, (leg,))
            closed.append(Journey((leg,), fare, explanation))
            charge += fare
        return Step(charge, CardState(None, tap), tuple(closed), tuple(anomalies))

    # -- helpers ----------------------------------------------------------------------------

    def _precheck(self, state: CardState, tap: Tap) -> Tariff | Anomaly:
        """The tariff in force for the tap, or why the tap is refused (order, duplicate, no tariff)."""
        last = state.last_tap
        if last is not None and tap.time < last.time:
            return Anomaly(
                AnomalyCode.TIME_BACKWARDS,
                tap,
                f"tap at {tap.time.isoformat()} is before the previous tap at {last.time.isoformat()}",
            )
        try:
            tariff = self.policy.version_for(self.policy.service_date(tap.time))
        except PolicyError as exc:
            return Anomaly(AnomalyCode.NO_TARIFF, tap, str(exc))
        window = tariff.anomalies.duplicate_tap_seconds
        if (
            last is not None
            and window
            and (last.kind, last.stop_id, last.route_id) == (tap.kind, tap.stop_id, tap.route_id)
            and tap.time - last.time <= timedelta(seconds=window)
        ):
            return Anomaly(AnomalyCode.DUPLICATE_TAP, tap, f"same tap again within {window} s")
        return tariff

    def _refusal(self, journey: OpenJourney, tap: Tap, leg: Leg) -> tuple[str | None, bool]:
        if leg.free:
            return "free ride", False
        previous = journey.legs[-1]
        gated = journey.tariff.modes[leg.mode].distance == "network"
        same_station = (
            gated
            and previous.mode == leg.mode
            and previous.exit_stop_id is not None
            and self.network.station_of(previous.exit_stop_id) == self.network.station_of(tap.stop_id)
        )
        integration = journey.tariff.integration
        refusal = transfer_refusal(
            integration,
            journey.legs,
            boarded_at=tap.time,
            boarded_local=self.policy.local_time(tap.time),
            medium=tap.medium,
            route_key=leg.route_key,
            same_station=same_station,
            reentry_used=journey.reentry_used,
        )
        return refusal, refusal is None and is_reentry(integration, journey.legs, leg.route_key, same_station)

    def _settle_missing(
        self, journey: OpenJourney, next_tap_on: Tap | None
    ) -> tuple[OpenJourney, tuple[Anomaly, ...]]:
        last = journey.legs[-1]
        settled = close_without_tap_off(last, journey.tariff.modes[last.mode], self.network, next_tap_on)
        rule = journey.tariff.modes[last.mode].missing_tap_off.rule
        anomaly = Anomaly(
            AnomalyCode.MISSING_TAP_OFF,
            last.board,
            f"no tap-off; charged by rule {rule} ({settled.exit_status.value})",
        )
        return replace(journey, legs=(*journey.legs[:-1], settled)), (anomaly,)

    @staticmethod
    def _same_vehicle(leg: Leg, r: ResolvedTap) -> bool:
        return leg.mode == r.mode and leg.route_key == r.route_key

    def _rise(self, journey: OpenJourney) -> int:
        """What the journey's price rose by since the last charge: the amount to charge now."""
        fare, _ = price_journey(
            self.policy, journey.tariff, journey.legs, already_charged=journey.charged_minor
        )
        return fare - journey.charged_minor

    def _finish(self, journey: OpenJourney) -> tuple[int, Journey]:
        fare, explanation = price_journey(
            self.policy, journey.tariff, journey.legs, already_charged=journey.charged_minor
        )
        return fare - journey.charged_minor, Journey(journey.legs, fare, explanation)
