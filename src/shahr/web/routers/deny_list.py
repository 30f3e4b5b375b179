"""The validators' deny list: devices download it (the whole list, or what changed since the version
they hold), staff read it and publish a new version on demand (`backoffice.deny_list`).

A device's download publishes first, inside its request, so a validator always gets the state of the
cards as they are now; the staff read shows the last published version as it is.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from shahr.backoffice import auth
from shahr.backoffice.deny_list import DenyList, get_deny_list, publish
from shahr.web.deps import AnyStaffDep, DeviceDep, FaresDep, OperatorDep, SessionDep
from shahr.web.schemas import (
    DenyEntryPublic,
    DenyListPublic,
    DenyListPublished,
    DeviceIdPath,
    error_responses,
)

router = APIRouter(tags=["deny list"], responses=error_responses(422))

Since = Annotated[
    int | None,
    Query(ge=0, description="The version the caller holds; none or 0 for the whole list."),
]


@router.get(
    "/devices/{device_id}/deny-list", response_model=DenyListPublic, responses=error_responses(401, 403)
)
def download(
    device_id: DeviceIdPath, device: DeviceDep, session: SessionDep, fares: FaresDep, since: Since = None
) -> DenyListPublic:
    """The current deny list for the signing device: whole, or the changes since `since`; 422 with
    `field: query.since` for a version this service never published."""
    if device.device_id != device_id:
        raise auth.NotAllowed(
            f"signed by device {device.device_id!r}, not {device_id!r}", field="path.device_id"
        )
    publish(session, fares.policy, datetime.now(UTC))
    return _public(get_deny_list(session, since))


@router.get("/deny-list", response_model=DenyListPublic, responses=error_responses(401, 403))
def read(session: SessionDep, _staff: AnyStaffDep, since: Since = None) -> DenyListPublic:
    """The last published deny list (whole, or the changes since `since`), without publishing."""
    return _public(get_deny_list(session, since))


@router.post("/deny-list/publish", response_model=DenyListPublished, responses=error_responses(401, 403))
def publish_now(session: SessionDep, fares: FaresDep, _staff: OperatorDep) -> DenyListPublished:
    """Publish what changed since the last version (a card just blocked, a tariff change in force)."""
    published = publish(session, fares.policy, datetime.now(UTC))
    return DenyListPublished(version=published.version, changes=published.changes)


def _public(deny_list: DenyList) -> DenyListPublic:
    return DenyListPublic(
        version=deny_list.version,
        since=deny_list.since,
        full=deny_list.full,
        entries=[
            DenyEntryPublic(card_id=card_id, reason=reason) for card_id, reason in deny_list.entries.items()
        ],
        removed=list(deny_list.removed),
    )
