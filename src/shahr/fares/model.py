"""Values the fare engine takes and gives: taps in; legs, journeys, charges and anomalies out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from shahr.network.model import Distance


class TapKind(StrEnum):
    ON = "on"
    OFF = "off"


@dataclass(frozen=True, slots=True)
class Tap:
    """One card tap on a validator. `mode` is set when the device knows its fare mode (quotes, gates
    configured for a mode); otherwise the policy maps the route to a mode."""

    kind: TapKind
    time: datetime
    stop_id: str
    route_id: str | None = None
    trip_id: str | None = None
    medium: str = "card"
    rider_category: str = "adult"
    mode: str | None = None
    tap_id: str | None = None

    def __post_init__(self) -> None:
        if self.time.tzinfo is None or self.time.utcoffset() is None:
            raise ValueError(f"tap {self.tap_id or self.stop_id}: time {self.time} has no time zone")


class ExitStatus(StrEnum):
    """How a leg's exit is known."""

    TAPPED = "tapped"
    NOT_EXPECTED = "not_expected"  # the mode takes no tap-off (flat fares)
    MISSING = "missing"  # no tap-off: ridden distance unknown, charged as the policy says
    INFERRED = "inferred"  # exit inferred from the next tap-on
    ASSUMED_MAX = "assumed_max"  # charged as the policy's longest ride


@dataclass(frozen=True, slots=True)
class Leg:
    """A ride on one vehicle (bus) or between entering and leaving the gates (metro)."""

    mode: str
    route_id: str | None
    route_key: str
    """What 're-boarding the same route' compares: the route id, or `mode:<id>` for gated modes."""
    board: Tap
    alight: Tap | None
    exit_stop_id: str | None
    distance: Distance
    exit_status: ExitStatus
    agency_id: str | None = None
    free: bool = False
    """The rider's category rides this mode free: the leg is a journey of its own at no charge."""

    @property
    def closed_at(self) -> datetime:
        """When the transfer window starts counting: the tap-off, or the tap-on if none is expected."""
        return self.alight.time if self.alight is not None else self.board.time


class AnomalyCode(StrEnum):
    """Reason codes for taps that do not make a well-formed leg; each has a policy-defined charge."""

    TIME_BACKWARDS = "time_backwards"
    DUPLICATE_TAP = "duplicate_tap"
    UNKNOWN_STOP = "unknown_stop"
    UNKNOWN_ROUTE = "unknown_route"
    UNKNOWN_CATEGORY = "unknown_category"
    UNKNOWN_MEDIUM = "unknown_medium"
    UNKNOWN_MODE = "unknown_mode"
    TAP_OFF_WITHOUT_TAP_ON = "tap_off_without_tap_on"
    MISSING_TAP_OFF = "missing_tap_off"
    EXIT_NOT_ON_ROUTE = "exit_not_on_route"
    NO_TARIFF = "no_tariff"


REJECTING = frozenset(
    {
        AnomalyCode.TIME_BACKWARDS,
        AnomalyCode.DUPLICATE_TAP,
        AnomalyCode.UNKNOWN_STOP,
        AnomalyCode.UNKNOWN_ROUTE,
        AnomalyCode.UNKNOWN_CATEGORY,
        AnomalyCode.UNKNOWN_MEDIUM,
        AnomalyCode.UNKNOWN_MODE,
        AnomalyCode.NO_TARIFF,
    }
)
"""Codes whose tap is refused (charged nothing, state unchanged): the back office quarantines it."""


@dataclass(frozen=True, slots=True)
class Anomaly:
    code: AnomalyCode
    tap: Tap
    detail: str

    @property
    def rejects_tap(self) -> bool:
        return self.code in REJECTING


@dataclass(frozen=True, slots=True)
class SurchargeStep:
    """Distance steps counted in one band of the surcharge."""

    from_m: int
    to_m: int
    step_m: int
    steps: int
    step_fare_minor: int


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a journey costs what it does, in parts a rider can check."""

    policy_id: str
    version_from: date
    rider_category: str
    medium: str
    base_mode: str
    base_fare_minor: int
    """The highest base fare of the journey's modes, after time-of-day rules."""
    time_rules: tuple[str, ...]
    total_distance_m: int
    base_distance_m: int
    distance_charged: bool
    surcharge: tuple[SurchargeStep, ...]
    surcharge_minor: int
    standalone_minor: int
    """What the legs would have cost as separate journeys."""
    cap_minor: int | None
    capped: bool
    kept_minor: int
    """Amount kept because it was already collected at an earlier tap (a fare is never refunded)."""
    rules: tuple[str, ...] = field(default=())
    """Ids of the rules that applied: `transfer`, `early-bird`, `distance`, `cap`, `missing_tap_off:...`."""

    @property
    def transfer_discount_minor(self) -> int:
        return max(self.standalone_minor - self.fare_before_keep, 0)

    @property
    def fare_before_keep(self) -> int:
        raw = self.base_fare_minor + self.surcharge_minor
        return min(raw, self.cap_minor) if self.capped and self.cap_minor is not None else raw


@dataclass(frozen=True, slots=True)
class Journey:
    """One or more legs chained by transfers, priced as a whole."""

    legs: tuple[Leg, ...]
    fare_minor: int
    explanation: Explanation

    @property
    def start(self) -> datetime:
        return self.legs[0].board.time

    @property
    def distance_m(self) -> int:
        return sum(leg.distance.metres for leg in self.legs)
