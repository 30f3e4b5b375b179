"""Read-only reports: a service day's clearing between operators (finance), a card holder's statement."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Response

from shahr.backoffice.clearing import ClearingReport, clearing_report, to_csv
from shahr.backoffice.statement import Language, Statement, statement
from shahr.web.deps import CardHolderDep, FaresDep, FinanceDep, SessionDep
from shahr.web.schemas import DATE_RANGE, FIRST_DATE, LAST_DATE, ServiceDatePath, error_responses

router = APIRouter(tags=["reports"], responses=error_responses(401, 422))

DEFAULT_DAYS = 30
"""A statement without `since` covers this many service days up to `until`."""


@router.get(
    "/clearing/{service_date}.csv",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {}}, "description": "The clearing as CSV."},
        **error_responses(403),
    },
)
def clearing_csv(service_date: ServiceDatePath, session: SessionDep, _staff: FinanceDep) -> Response:
    """The day's clearing, one row per operator, then the total, the card debits and their difference."""
    report = clearing_report(session, service_date)
    return Response(
        to_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="clearing-{service_date}.csv"'},
    )


@router.get("/clearing/{service_date}", response_model=ClearingReport, responses=error_responses(403))
def clearing(service_date: ServiceDatePath, session: SessionDep, _staff: FinanceDep) -> ClearingReport:
    """What each operator is owed for the service day, checked against the cards' fare debits
    (`difference_minor` is 0 when they agree), with the day's reconciliation figures."""
    return clearing_report(session, service_date)


@router.get("/me/statement", response_model=Statement, responses=error_responses(404))
def my_statement(
    card_id: CardHolderDep,
    session: SessionDep,
    fares: FaresDep,
    lang: Language = "fa",
    since: Annotated[
        date | None,
        Query(
            ge=FIRST_DATE, le=LAST_DATE, description=f"Default: {DEFAULT_DAYS} days to `until`. {DATE_RANGE}"
        ),
    ] = None,
    until: Annotated[
        date | None,
        Query(ge=FIRST_DATE, le=LAST_DATE, description=f"Default: today's service day. {DATE_RANGE}"),
    ] = None,
) -> Statement:
    """The card holder's movements, balances and journeys over service days `since` to `until`."""
    until = until or fares.policy.service_date(datetime.now(UTC))
    since = since or until - timedelta(days=DEFAULT_DAYS - 1)
    return statement(session, card_id, since=since, until=until, language=lang, policy=fares.policy)
