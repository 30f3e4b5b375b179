"""The dashboard's snapshot: public aggregates only (counts, sums, names, points), never a card id or a
person. Money is integer minor units (rials); instants are UTC, pages show them in the city's time."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class _Live(BaseModel):
    model_config = ConfigDict(frozen=True)


class DaySeries(_Live):
    """One service day minute by minute, from its start (the policy's `service_day_start`, local time)."""

    service_date: date
    starts_at: datetime = Field(description="The service day's first minute (UTC).")
    taps: list[int] = Field(description="Accepted taps (on and off) per minute; index 0 is the first minute.")
    journeys: list[int] = Field(
        description="Journeys per minute of their first boarding: the rated ones (closed), and for each "
        "card-day still open the journey it is in, at the card's latest boarding (its first one when the "
        "journey has a single leg)."
    )


class Activity(_Live):
    """Today against the same weekday a week earlier, with totals up to the same minute of the day."""

    today: DaySeries = Field(description="Up to the current minute (later minutes are not listed).")
    last_week: DaySeries = Field(description="The whole day.")
    minute: int = Field(description="Today's current minute: its index in the series.")
    taps_today: int
    taps_last_week: int = Field(description="Last week's taps up to and including the same minute.")
    journeys_today: int
    journeys_last_week: int = Field(description="Last week's journeys up to and including the same minute.")


class OperatorRevenue(_Live):
    operator: str = Field(description="The GTFS agency_id (`unknown` for legs without one).")
    name_fa: str
    name_en: str
    amount_minor: int = Field(description="The operator's charged shares of today's rated journeys.")
    journeys: int = Field(description="Rated journeys with a share for the operator.")


class StopBoardings(_Live):
    stop_id: str = Field(description="The station (a platform counts at its station) or stop.")
    name_fa: str
    name_en: str
    lat: float
    lon: float
    boardings: int = Field(description="Accepted tap-ons today.")


class DistrictReports(_Live):
    code: str = Field(
        description="The district's code, as in /layers/districts.geojson; `unplaced` for "
        "reports filed with an address only."
    )
    name_fa: str
    name_en: str
    open: int = Field(description="Reports open now (filed, acknowledged, in progress).")
    overdue: int = Field(description="Of those, past their deadline.")


class OverdueReport(_Live):
    id: int
    category_fa: str
    category_en: str
    district_code: str | None
    due_at: datetime


class Reports(_Live):
    open: int
    overdue: int
    by_district: list[DistrictReports] = Field(description="Every district of the map, in its order.")
    longest_overdue: list[OverdueReport] = Field(description="The longest overdue first, at most five.")


class AwaitingProposal(_Live):
    id: int
    title: str
    participant_count: int
    answer_due_at: datetime | None
    overdue: bool


class Proposals(_Live):
    awaiting: int = Field(description="Published proposals whose participants obliged the city to answer.")
    overdue: int = Field(description="Of those, past their answer's due date.")
    first_due: list[AwaitingProposal] = Field(description="The earliest due first, at most five.")


class LabPolicy(_Live):
    id: str
    name: str
    revenue_minor: int = Field(description="Over the lab's demand, as recorded.")


class LabHeadline(_Live):
    """The headline of the latest published fare consultation (the policy lab's comparison)."""

    consultation_id: int
    title: str
    currency: str
    trips: int = Field(description="Trips in the lab's demand.")
    reference: LabPolicy
    proposed: LabPolicy
    pays_more: int
    pays_same: int
    pays_less: int
    car_trips_avoided: float = Field(description="By the proposal's ridership response, a day.")
    co2_tonnes_saved: float


class DashboardSnapshot(_Live):
    generated_at: datetime
    timezone: str = Field(description="The city's time zone, for showing instants and minutes.")
    currency: str
    service_date: date = Field(description="Today's service day.")
    activity: Activity
    revenue: list[OperatorRevenue] = Field(description="By amount, largest first.")
    revenue_minor: int = Field(description="Their sum: what today's rated journeys were charged.")
    busiest_stops: list[StopBoardings] = Field(description="The ten with the most boardings today.")
    boardings: list[StopBoardings] = Field(description="Every place with a boarding today, for the map.")
    reports: Reports
    proposals: Proposals
    lab: LabHeadline | None = Field(description="None until a consultation is published.")
