"""Field devices: admins register (the secret is shown once) and revoke them; a device checks its
signing and its clock with a signed ping."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, status

from shahr.backoffice import auth
from shahr.backoffice.auth_tables import Device
from shahr.web.deps import AdminDep, DeviceDep, SessionDep
from shahr.web.schemas import (
    DeviceCreate,
    DeviceIdPath,
    DevicePublic,
    DeviceRegistered,
    Pong,
    error_responses,
)

router = APIRouter(prefix="/devices", tags=["devices"], responses=error_responses(422))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=DeviceRegistered,
    responses=error_responses(401, 403, 409),
)
def register_device(body: DeviceCreate, session: SessionDep, _admin: AdminDep) -> DeviceRegistered:
    """Register a device; load the returned secret onto it now, it is never shown again."""
    device, secret = auth.register_device(session, body.device_id, body.operator, datetime.now(UTC))
    return DeviceRegistered(**_public(device).model_dump(), secret=secret)


@router.post("/{device_id}/revoke", response_model=DevicePublic, responses=error_responses(401, 403, 404))
def revoke_device(device_id: DeviceIdPath, session: SessionDep, _admin: AdminDep) -> DevicePublic:
    """Refuse the device's requests from now on (stolen, retired)."""
    return _public(auth.revoke_device(session, device_id))


@router.post("/{device_id}/ping", response_model=Pong, responses=error_responses(401, 403))
def ping(device_id: DeviceIdPath, device: DeviceDep) -> Pong:
    """A signed no-op: proves the device's secret and shows how far its clock is from the server's."""
    if device.device_id != device_id:
        raise auth.NotAllowed(
            f"signed by device {device.device_id!r}, not {device_id!r}", field="path.device_id"
        )
    return Pong(device_id=device.device_id, operator=device.operator, server_time=datetime.now(UTC))


def _public(device: Device) -> DevicePublic:
    return DevicePublic(
        device_id=device.device_id,
        operator=device.operator,
        status=device.status,
        created_at=device.created_at,
    )
