"""Dependencies, defined once: a session per request (committed when the handler succeeds, rolled back
when it raises, so handlers never commit), the settings, the fares, the civic settings and districts, the
civic rate limits, and who is calling: staff by role, a card holder, a signing device
(`shahr.backoffice.auth`)."""

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
from shahr.civic import ratelimit
from shahr.civic.geo import Districts, load_districts
from shahr.civic.reports.settings import ReportSettings, get_report_settings
from shahr.civic.settings import Action, CivicSettings, get_civic_settings
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


def civic_settings() -> CivicSettings:
    """The civic settings (`SHAHR_CIVIC_...`); tests override this dependency."""
    return get_civic_settings()


CivicDep = Annotated[CivicSettings, Depends(civic_settings)]
ReportSettingsDep = Annotated[ReportSettings, Depends(get_report_settings)]
"""The reports' settings (`SHAHR_REPORTS_...`); tests override `get_report_settings`."""


def _districts(civic: CivicDep) -> Districts:
    return load_districts(civic.districts_file)


DistrictsDep = Annotated[Districts, Depends(_districts)]
"""The districts file of the civic settings, read once per process: reports and proposals place things
in the same districts."""


def _client_address(request: Request) -> str | None:
    """The client's address as the server sees it: behind a proxy, run uvicorn with --proxy-headers."""
    return request.client.host if request.client else None


RateLimit = Callable[[Action, str | None], None]


def _rate_limit(request: Request, settings: SettingsDep, civic: CivicDep) -> RateLimit:
    def count(action: Action, person: str | None) -> None:
        ratelimit.consume(
            request.app.state.sessions,
            action,
            person=person,
            address=_client_address(request),
            now=datetime.now(UTC),
            settings=civic,
            secret=settings.secret_key,
        )

    return count


RateLimitDep = Annotated[RateLimit, Depends(_rate_limit)]
"""`count(action, person)`: one `action` for `person` (None when no one is named) and for the client's
address, in their own committed session (`civic.ratelimit.consume`); `RateLimited`, a 429 with
`Retry-After`, when either is over its limit. Call it before the request's own writes."""


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


AnyStaffDep = Annotated[StaffToken, Depends(_staff(StaffRole.OPERATOR, StaffRole.FINANCE, StaffRole.ADMIN))]
"""Any of the back office's roles; the civic ones (office, moderator) are given the civic module only."""
OperatorDep = Annotated[StaffToken, Depends(_staff(StaffRole.OPERATOR, StaffRole.ADMIN))]
FinanceDep = Annotated[StaffToken, Depends(_staff(StaffRole.FINANCE, StaffRole.ADMIN))]
AdminDep = Annotated[StaffToken, Depends(_staff(StaffRole.ADMIN))]
ReportReaderDep = Annotated[
    StaffToken, Depends(_staff(StaffRole.OPERATOR, StaffRole.FINANCE, StaffRole.OFFICE, StaffRole.ADMIN))
]
"""Reads the reports' staff views, the reporters' contacts included: every role but moderator."""
TriageDep = Annotated[StaffToken, Depends(_staff(StaffRole.OPERATOR, StaffRole.OFFICE, StaffRole.ADMIN))]
"""Works the report triage: status changes, assignments, notes, merges."""
OfficeDep = Annotated[StaffToken, Depends(_staff(StaffRole.OFFICE, StaffRole.ADMIN))]
"""Answers proposals for the city."""
ModeratorDep = Annotated[StaffToken, Depends(_staff(StaffRole.MODERATOR, StaffRole.ADMIN))]
"""Reads the moderation queue and decides on flagged or held proposals and comments."""
CardHolderDep = Annotated[str, Depends(_card_holder)]
"""The id of the card whose token was presented."""
DeviceDep = Annotated[Device, Depends(_device)]
"""The active device that signed this request within the replay window."""
