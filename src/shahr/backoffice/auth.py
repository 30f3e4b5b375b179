"""Who is calling: field devices signing their requests, staff with a bearer token and a role, and card
holders with a token that names their one card.

    ShahrError
     └── AuthError                  the caller is not who they say, or may not do this
          ├── NotAuthenticated      401: no credentials, or a staff token unknown or revoked
          │    ├── BadTimestamp     a device's timestamp unreadable or outside the replay window
          │    ├── UnknownDevice    a device id not registered, or revoked
          │    ├── BadSignature     a device's HMAC does not match
          │    └── BadCardToken     a card token not issued with this service's secret
          ├── NotAllowed            403: a known caller without the role the action needs
          ├── DeviceNotFound        404: an admin names a device that is not registered
          └── DeviceExists          409: a device id registered twice

Each carries `field`: the header, path or body field at fault.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Collection
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shahr.backoffice.auth_tables import Device, DeviceStatus, StaffRole, StaffToken
from shahr.errors import ShahrError

REPLAY_WINDOW = timedelta(minutes=5)
"""How far a device's timestamp may be from the server's clock, either way. Within it a captured request
can be sent again: the commands it calls are idempotent, which is what makes that harmless."""


class AuthError(ShahrError):
    """The caller is not who they say, or may not do this."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)


class NotAuthenticated(AuthError):
    """No credentials, or credentials the service does not accept (unknown or revoked staff token)."""


class BadTimestamp(NotAuthenticated):
    """`X-Timestamp` is not Unix seconds, or is more than `REPLAY_WINDOW` from the server's clock: a
    replayed request, or a device whose clock drifted."""


class UnknownDevice(NotAuthenticated):
    """`X-Device-Id` is not registered, or was revoked."""


class BadSignature(NotAuthenticated):
    """`X-Signature` is not the HMAC of the timestamp and body with the device's secret."""


class BadCardToken(NotAuthenticated):
    """A card token that is malformed or was not signed with this service's secret."""


class NotAllowed(AuthError):
    """A known caller whose role (or device) does not allow the action."""


class DeviceNotFound(AuthError):
    """An admin named a device id that was never registered."""


class DeviceExists(AuthError):
    """A device id is registered once; a second registration would silently replace its secret."""


def register_device(session: Session, device_id: str, operator: str, now: datetime) -> tuple[Device, str]:
    """Register a device of `operator` and return it with its new secret: the only time the secret is
    shown, so it must be loaded onto the device then."""
    if session.get(Device, device_id) is not None:
        raise DeviceExists(f"device {device_id!r} is already registered", field="body.device_id")
    secret = secrets.token_urlsafe(32)
    device = Device(
        device_id=device_id, operator=operator, secret=secret, status=DeviceStatus.ACTIVE, created_at=now
    )
    session.add(device)
    session.flush()
    return device, secret


def revoke_device(session: Session, device_id: str) -> Device:
    """Refuse the device's requests from now on (stolen or retired); revoking twice changes nothing."""
    device = session.get(Device, device_id)
    if device is None:
        raise DeviceNotFound(f"no device {device_id!r} is registered", field="path.device_id")
    device.status = DeviceStatus.REVOKED
    session.flush()
    return device


def device_signature(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 of `{timestamp}.{body}` with the device's secret, as lowercase hex: what a device
    sends in `X-Signature`. Signing the timestamp binds the request to the replay window."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def verify_device_signature(
    session: Session, device_id: str, timestamp: str, body: bytes, signature: str, now: datetime
) -> Device:
    """The active device whose secret signed `body` at `timestamp` (Unix seconds), within
    `REPLAY_WINDOW` of `now`. The signature is compared in constant time."""
    try:
        sent_at = datetime.fromtimestamp(int(timestamp), UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise BadTimestamp(
            f"timestamp {timestamp!r} is not Unix seconds", field="header.x-timestamp"
        ) from exc
    if abs(now - sent_at) > REPLAY_WINDOW:
        raise BadTimestamp(
            f"timestamp {sent_at.isoformat()} is more than {REPLAY_WINDOW} from the server's "
            f"{now.isoformat()}: a replayed request, or the device's clock is wrong",
            field="header.x-timestamp",
        )
    device = session.get(Device, device_id)
    if device is None or device.status is not DeviceStatus.ACTIVE:
        state = "unknown" if device is None else device.status.value
        raise UnknownDevice(f"device {device_id!r} is {state}", field="header.x-device-id")
    expected = device_signature(device.secret, timestamp, body)
    if not hmac.compare_digest(expected.encode(), signature.lower().encode()):
        raise BadSignature(f"signature does not match for device {device_id!r}", field="header.x-signature")
    return device


def create_staff_token(session: Session, name: str, role: StaffRole, now: datetime) -> str:
    """A new bearer token for `name` with `role`, returned once: only its sha256 is stored."""
    token = secrets.token_urlsafe(32)
    session.add(StaffToken(token_hash=_sha256(token), name=name, role=role, created_at=now))
    session.flush()
    return token


def check_staff_token(session: Session, token: str, roles: Collection[StaffRole]) -> StaffToken:
    """The staff token's row if it is known, not revoked, and its role is one of `roles`."""
    row = session.scalars(select(StaffToken).where(StaffToken.token_hash == _sha256(token))).one_or_none()
    if row is None or row.revoked_at is not None:
        raise NotAuthenticated("unknown or revoked staff token", field="header.authorization")
    if row.role not in roles:
        allowed = ", ".join(sorted(role.value for role in roles))
        raise NotAllowed(
            f"{row.name!r} is {row.role.value}; this needs {allowed}", field="header.authorization"
        )
    return row


def revoke_staff_tokens(session: Session, name: str, now: datetime) -> int:
    """Revoke every active token of `name` (a staff member leaving); returns how many were revoked."""
    revoked = session.execute(
        update(StaffToken)
        .where(StaffToken.name == name, StaffToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .returning(StaffToken.id)
    )
    return len(revoked.all())


def card_token(card_id: str, secret: str) -> str:
    """`<card_id>.<mac>`: the card holder's proof of the card, a keyed MAC of its id. It needs no table
    and names exactly one card; it lasts as long as `secret` (rotating the secret voids every token)."""
    return f"{card_id}.{_card_mac(card_id, secret)}"


def card_from_token(token: str, secret: str) -> str:
    """The card id a token was issued for, or `BadCardToken` if it was not issued with `secret`."""
    card_id, dot, mac = token.partition(".")
    if not (card_id and dot) or not hmac.compare_digest(mac.encode(), _card_mac(card_id, secret).encode()):
        raise BadCardToken(
            "card token is malformed or not issued by this service", field="header.authorization"
        )
    return card_id


def _card_mac(card_id: str, secret: str) -> str:
    """Domain-separated ("card:") so the same secret signing anything else cannot forge a card token."""
    digest = hmac.new(secret.encode(), f"card:{card_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
