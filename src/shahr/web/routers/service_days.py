"""Service days: finance closes a day once it has ended, settling every card-day of it for good.

Closing is safe to run twice: the second run closes only card-days rated open since (an upload that
raced the first run) and books nothing else (`backoffice.rating.close_service_day`). Once the close has
committed, the day's open datasets are published in the background (`opendata.build.publish_closed_day`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, BackgroundTasks, Request

from shahr.backoffice.rating import close_service_day
from shahr.lab.zones import from_districts
from shahr.opendata.build import publish_closed_day
from shahr.web.deps import CivicDep, DistrictsDep, FaresDep, FinanceDep, SessionDep
from shahr.web.schemas import ServiceDatePath, ServiceDayClosed, error_responses

router = APIRouter(prefix="/service-days", tags=["service days"], responses=error_responses(422))


@router.post(
    "/{service_date}/close", response_model=ServiceDayClosed, responses=error_responses(401, 403, 409)
)
def close_day(
    service_date: ServiceDatePath,
    session: SessionDep,
    fares: FaresDep,
    _finance: FinanceDep,
    request: Request,
    background: BackgroundTasks,
    civic: CivicDep,
    districts: DistrictsDep,
) -> ServiceDayClosed:
    """Close a service day (`2025-10-05`); 409 `service_day_not_ended` before 04:00 the next morning."""
    now = datetime.now(UTC)
    bookings = close_service_day(session, service_date, policy=fares.policy, network=fares.network, now=now)
    background.add_task(
        publish_closed_day, request.app.state.sessions, service_date, policy=fares.policy,
        network=fares.network, zones=from_districts(districts), civic=civic,
    )  # fmt: skip
    return ServiceDayClosed(
        service_date=service_date,
        bookings=len(bookings),
        amount_minor=sum(booking.amount_minor for booking in bookings),
    )
