"""The consultations' JSON shapes. Public shapes carry the figures, the policies' ids and names and the
proposal's public counts; a card holder's own figures go to that card holder only. Money is integer
rials (minor units); times are in the city's time zone."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from shahr.civic.consultations.workflow import TOML_MAX_CHARS
from shahr.civic.proposals.tables import ProposalStatus, Visibility
from shahr.lab.figures import Figures
from shahr.web.schemas import NO_NUL


class ConsultationCreate(BaseModel):
    title: str = Field(min_length=1, max_length=400, pattern=NO_NUL)
    body: str | None = Field(
        None,
        min_length=1,
        max_length=8000,
        pattern=NO_NUL,
        description="The proposal's text; by default a short text naming both policies.",
    )
    policy: str = Field(
        min_length=1,
        max_length=TOML_MAX_CHARS,
        pattern=NO_NUL,
        description="The proposed fare policy, as the TOML text of a policy file.",
    )
    reference: str = Field(
        min_length=1,
        max_length=TOML_MAX_CHARS,
        pattern=NO_NUL,
        description="The policy it is compared against (usually today's), as TOML text.",
    )
    figures: Figures = Field(description="What `shahr lab compare` wrote for these two policies.")


class ConsultationPublished(BaseModel):
    """`visibility: pending` when the proposal waits for a moderator: the consultation shows with it."""

    consultation_id: int
    proposal_id: int
    visibility: Visibility


class PolicyPublic(BaseModel):
    id: str
    name: str


class ConsultationSummary(BaseModel):
    id: int
    title: str
    created_at: datetime
    policy: PolicyPublic = Field(description="The proposed policy.")
    reference: PolicyPublic
    proposal_id: int = Field(description="Support, comment and read the answer at /proposals/{id}.")
    proposal_status: ProposalStatus
    support_count: int
    participant_count: int


class ConsultationPublic(ConsultationSummary):
    figures: Figures


class JourneyFarePublic(BaseModel):
    start: datetime
    fare_minor: int
    modes: list[str]
    distance_m: int
    explanation: list[str] = Field(description="The fare engine's explanation, one fact a line (English).")


class DayFaresPublic(BaseModel):
    journeys: list[JourneyFarePublic]
    fares_minor: int = Field(description="The journeys' fares added up.")
    charged_minor: int = Field(description="What the day would be charged within the policy's caps.")
    capped_by: str | None
    refused: list[str] = Field(description="Why taps of the day could not be priced, if any were not.")


class ChargedPublic(BaseModel):
    charged_minor: int = Field(description="What the card was charged for the day, caps and passes included.")
    fares_minor: int
    capped_by: str | None
    journeys: int
    closed: bool = Field(description="The service day is closed: its charge is final.")


class RiderDayPublic(BaseModel):
    service_date: date
    taps: int
    reference: DayFaresPublic
    proposed: DayFaresPublic
    charged: ChargedPublic | None


class RiderFaresPublic(BaseModel):
    """The card's service days with taps from `first_day` to `last_day`, priced by the fare engine."""

    consultation_id: int
    rider_category: str
    currency: str
    first_day: date
    last_day: date
    reference_minor: int = Field(description="The window's total under the reference policy.")
    proposed_minor: int = Field(description="The window's total under the proposal.")
    charged_minor: int = Field(description="What the card was charged over the window.")
    days: list[RiderDayPublic]
