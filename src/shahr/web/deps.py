"""Dependencies, defined once: a session per request (committed when the handler succeeds, rolled back
when it raises, so handlers never commit), the settings, the fares, and who is calling: staff by role, a
card holder, a signing device (`shahr.backoffice.auth`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from shahr.backoffice.auth import (
    NotAuthenticated,
    card_from_token,
    check_staff_token,
    verify_device_signature,
)
from shahr.backoffice.auth_tables import Device, StaffRole, StaffToken
from shahr.settings import Settings
from shahr.web.fares import Fares


def _session(request: Request) -> Iterator[Session]:
    """Scoped to the handler (`scope="function"`), so the commit happens before the response is sent: a
    failed commit is an error to the client, never a 201 for money that was not booked."""
    with request.app.state.sessions() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _fares(request: Request) -> Fares:
    fares: Fares = request.app.state.fares
    return fares


SessionDep = Annotated[Session, Depends(_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(_settings)]
FaresDep = Annotated[Fares, Depends(_fares)]
"""The fare policy and network loaded at start (`web.fares`)."""


_staff_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="StaffToken",
    description="A staff token (`shahr staff token NAME --role ROLE`): `Authorization: Bearer <token>`.",
)
_card_header = APIKeyHeader(
    name="Authorization",
    auto_error=False,
    scheme_name="CardToken",
    description="The card holder's token, issued with the card: `Authorization: Card <token>`.",
)
_device_signature = APIKeyHeader(
    name="X-Signature",
    auto_error=False,
    scheme_name="DeviceSignature",
    description=(
        "Lowercase hex HMAC-SHA256 of `{X-Timestamp}.{raw body}` with the device's secret, sent with "
        "`X-Device-Id` and `X-Timestamp` (Unix seconds, within 5 minutes of the server's clock)."
    ),
)


def _staff(*roles: StaffRole) -> Callable[[Session, HTTPAuthorizationCredentials | None], StaffToken]:
    """A dependency admitting a staff token whose role is one of `roles` (401 without one, 403 with
    another role)."""

    def staff(
        session: SessionDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_staff_bearer)],
    ) -> StaffToken:
        if credentials is None:
            raise NotAuthenticated(
                "send a staff token: Authorization: Bearer <token>", field="header.authorization"
            )
        return check_staff_token(session, credentials.credentials, roles)

    return staff


def _card_holder(settings: SettingsDep, authorization: Annotated[str | None, Depends(_card_header)]) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "card" or not token.strip():
        raise NotAuthenticated(
            "send the card token: Authorization: Card <token>", field="header.authorization"
        )
    return card_from_token(token.strip(), settings.secret_key)


async def _raw_body(request: Request) -> bytes:
    """The body exactly as sent: a device signs bytes, not the JSON they parse to."""
    return await request.body()


def _device(
    session: SessionDep,
    body: Annotated[bytes, Depends(_raw_body)],
    signature: Annotated[str | None, Depends(_device_signature)],
    signer: Annotated[
        str | None, Header(alias="X-Device-Id", description="The registered device id.")
    ] = None,
    timestamp: Annotated[str | None, Header(alias="X-Timestamp", description="Unix seconds, signed.")] = None,
) -> Device:
    """Missing headers are 401 naming the header (not 422): they are credentials, not input."""
    return verify_device_signature(
        session,
        _required("x-device-id", signer),
        _required("x-timestamp", timestamp),
        body,
        _required("x-signature", signature),
        datetime.now(UTC),
    )


def _required(header: str, value: str | None) -> str:
    if not value:
        raise NotAuthenticated(f"a device request needs the {header} header", field=f"header.{header}")
    return value


AnyStaffDep = Annotated[StaffToken, Depends(_staff(*StaffRole))]
OperatorDep = Annotated[StaffToken, Depends(_staff(StaffRole.OPERATOR, StaffRole.ADMIN))]
FinanceDep = Annotated[StaffToken, Depends(_staff(StaffRole.FINANCE, StaffRole.ADMIN))]
AdminDep = Annotated[StaffToken, Depends(_staff(StaffRole.ADMIN))]
CardHolderDep = Annotated[str, Depends(_card_holder)]
"""The id of the card whose token was presented."""
DeviceDep = Annotated[Device, Depends(_device)]
"""The active device that signed this request within the replay window."""
