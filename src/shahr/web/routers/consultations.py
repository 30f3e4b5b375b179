"""Fare consultations over JSON: staff publish a comparison (office or admin), anyone reads the published
ones, and a card holder reads their own journeys priced under both policies. Handlers call
`shahr.civic.consultations` and commit nothing.

Supporting, commenting and the city's answer are the proposal's (`/proposals/{proposal_id}`). The card
holder's figures take the card token (`Authorization: Card <token>`), counted against the `rider_fares`
rate limit per card named and per address before the token is checked, so guessing tokens costs attempts.
Errors are the app's (`web.errors.STATUS`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, status
from fastapi.security import APIKeyHeader

from shahr.backoffice.auth import NotAuthenticated, card_from_token
from shahr.civic.consultations import queries, rider, workflow
from shahr.civic.consultations import schemas as s
from shahr.civic.settings import Action
from shahr.web.deps import (
    CivicDep,
    DistrictsDep,
    FaresDep,
    OfficeDep,
    RateLimitDep,
    SessionDep,
    SettingsDep,
)
from shahr.web.schemas import RATE_LIMITED, RowIdPath, error_responses

router = APIRouter(tags=["consultations"], responses=error_responses(422))

_card_header = APIKeyHeader(
    name="Authorization",
    auto_error=False,
    scheme_name="CardToken",
    description="The card holder's token, issued with the card: `Authorization: Card <token>`.",
)


def card_holder(
    settings: SettingsDep, count: RateLimitDep, authorization: Annotated[str | None, Depends(_card_header)]
) -> str:
    """The card id of the token, once the attempt is counted for the card it names and the address."""
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "card" or not token:
        raise NotAuthenticated(
            "send the card token: Authorization: Card <token>", field="header.authorization"
        )
    count(Action.RIDER_FARES, token.partition(".")[0] or None)
    return card_from_token(token, settings.secret_key)


@router.post(
    "/consultations",
    status_code=status.HTTP_201_CREATED,
    response_model=s.ConsultationPublished,
    responses=error_responses(401, 403),
)
def publish(
    body: s.ConsultationCreate,
    session: SessionDep,
    civic: CivicDep,
    districts: DistrictsDep,
    staff: OfficeDep,
) -> s.ConsultationPublished:
    """Publish a comparison as a consultation and its proposal; 422 `invalid_consultation` names a policy
    that does not load or figures that are not these policies' comparison."""
    done = workflow.publish(
        session,
        title=body.title,
        body=body.body,
        policy_toml=body.policy,
        reference_toml=body.reference,
        figures=body.figures,
        staff=staff.name,
        districts=districts,
        settings=civic,
        now=datetime.now(UTC),
    )
    return s.ConsultationPublished(
        consultation_id=done.consultation.id,
        proposal_id=done.proposal.id,
        visibility=done.proposal.visibility,
    )


@router.get("/consultations", response_model=list[s.ConsultationSummary])
def list_consultations(
    session: SessionDep,
    settings: SettingsDep,
    civic: CivicDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[s.ConsultationSummary]:
    """Published consultations, newest first."""
    views = queries.list_consultations(
        session, settings=civic, now=datetime.now(UTC), limit=limit, offset=offset
    )
    return [s.ConsultationSummary(**_summary(view, settings.timezone)) for view in views]


@router.get(
    "/consultations/{consultation_id}", response_model=s.ConsultationPublic, responses=error_responses(404)
)
def read_consultation(
    consultation_id: RowIdPath, session: SessionDep, settings: SettingsDep, civic: CivicDep
) -> s.ConsultationPublic:
    view = queries.get_consultation(session, consultation_id, settings=civic, now=datetime.now(UTC))
    return s.ConsultationPublic(**_summary(view, settings.timezone), figures=view.figures)


@router.get(
    "/consultations/{consultation_id}/my-fares",
    response_model=s.RiderFaresPublic,
    responses={**RATE_LIMITED, **error_responses(401, 404)},
)
def my_fares(
    consultation_id: RowIdPath,
    card_id: Annotated[str, Depends(card_holder)],
    session: SessionDep,
    settings: SettingsDep,
    fares: FaresDep,
) -> s.RiderFaresPublic:
    """The token's card: its journeys of the last 30 service days under the reference and under the
    proposal, each with the fare engine's explanation, and what the card was charged."""
    policies = queries.get_policies(session, consultation_id)
    mine = rider.rider_fares(
        session,
        card_id,
        proposed=policies.proposed,
        reference=policies.reference,
        network=fares.network,
        today=fares.policy.service_date(datetime.now(UTC)),
    )
    return rider_public(consultation_id, mine, settings.timezone)


def rider_public(consultation_id: int, mine: rider.RiderFares, timezone: str) -> s.RiderFaresPublic:
    zone = ZoneInfo(timezone)

    def day_fares(day: rider.DayFares) -> s.DayFaresPublic:
        return s.DayFaresPublic(
            journeys=[
                s.JourneyFarePublic(
                    start=j.start.astimezone(zone),
                    fare_minor=j.fare_minor,
                    modes=list(j.modes),
                    distance_m=j.distance_m,
                    explanation=list(j.lines),
                )
                for j in day.journeys
            ],
            fares_minor=day.fares_minor,
            charged_minor=day.charged_minor,
            capped_by=day.capped_by,
            refused=list(day.refused),
        )

    return s.RiderFaresPublic(
        consultation_id=consultation_id,
        rider_category=mine.rider_category,
        currency=mine.currency,
        first_day=mine.first_day,
        last_day=mine.last_day,
        reference_minor=mine.reference_minor,
        proposed_minor=mine.proposed_minor,
        charged_minor=mine.charged_minor,
        days=[
            s.RiderDayPublic(
                service_date=day.service_date,
                taps=day.taps,
                reference=day_fares(day.reference),
                proposed=day_fares(day.proposed),
                charged=None
                if day.charged is None
                else s.ChargedPublic(
                    charged_minor=day.charged.charged_minor,
                    fares_minor=day.charged.fares_minor,
                    capped_by=day.charged.capped_by,
                    journeys=day.charged.journeys,
                    closed=day.charged.closed,
                ),
            )
            for day in mine.days
        ],
    )


def _summary(view: queries.ConsultationView, timezone: str) -> dict[str, Any]:
    """The fields a summary and a full answer share."""
    return {
        "id": view.id,
        "title": view.title,
        "created_at": view.created_at.astimezone(ZoneInfo(timezone)),
        "policy": s.PolicyPublic(id=view.policy.id, name=view.policy.name),
        "reference": s.PolicyPublic(id=view.reference.id, name=view.reference.name),
        "proposal_id": view.proposal.id,
        "proposal_status": view.proposal.status,
        "support_count": view.proposal.support_count,
        "participant_count": view.proposal.participant_count,
    }
