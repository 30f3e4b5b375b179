"""The figures of a policy comparison, as one validated document: what the HTML report draws, what the
JSON file holds, what a consultation page publishes. Amounts are integer minor units; forecasts after
the ridership response are rounded to the rial (they are estimates, not money that moves)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Figures(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Figures):
    """A factor of the ridership response and where its value comes from."""

    value: float
    source: str


class DemandSummary(_Figures):
    source: str
    """The demand file or folder, as given."""
    trips: int
    """Trips: a rider's journey as the demand recorded it (the unit every policy prices)."""
    cards: int
    legs: int
    legs_without_tap_off: int
    service_dates: list[date]
    km: float
    """Total distance ridden, kilometres (legs' measured distances)."""


class Response(_Figures):
    """Ridership after the fare change (constant elasticity per trip), against the reference policy."""

    trips: float
    revenue: int
    trips_change: float
    car_trips_avoided: float
    car_km_avoided: float
    co2_tonnes_saved: float


class PolicyFigures(_Figures):
    id: str
    name: str
    revenue: int
    trips: int
    journeys: int
    """Journeys as the policy counts them (a trip may be several journeys under a per-boarding fare)."""
    average_fare: int
    fare_per_km: int
    refused_taps: int = 0
    """Taps the policy cannot rate (a rider category or medium it does not know): their trips pay 0."""
    response: Response


class Breakdown(_Figures):
    """Trips of one group (a distance band, rider category, zone or hour) under both policies."""

    key: str
    label: str
    trips: int
    reference_average: int
    average: int
    change_percent: float
    pays_more: int
    pays_same: int
    pays_less: int


class RidersRising(_Figures):
    """Riders (cards) whose total over the demand rises by more than `threshold_percent`, and who they are."""

    threshold_percent: float
    riders: int
    share: float
    by_rider_category: list[Breakdown]
    by_distance_band: list[Breakdown]
    by_zone: list[Breakdown]


class Comparison(_Figures):
    policy: str
    against: str
    pays_more: int
    pays_same: int
    pays_less: int
    largest_increase: int
    """The largest rise of one trip's fare, minor units."""
    largest_increase_percent: float
    by_distance_band: list[Breakdown]
    by_rider_category: list[Breakdown]
    by_zone: list[Breakdown]
    by_hour: list[Breakdown]
    riders_rising: RidersRising


class Figures(_Figures):
    """Everything `shahr lab compare` computed."""

    title: str
    created_at: datetime
    feed: str
    currency: str
    reference: str
    """The policy every other is compared against (the first given)."""
    demand: DemandSummary
    elasticity: dict[str, Source]
    """Rider category -> elasticity of trips to fare (negative)."""
    factors: dict[str, Source]
    """car_share, car_trip_km, co2_g_per_km: the response's conversion to cars and CO2."""
    policies: list[PolicyFigures]
    comparisons: list[Comparison]
    zones: dict[str, Any] = Field(description="GeoJSON FeatureCollection; properties id, name")
