"""Open311 API keys: issued by an admin to a client (a city app, a partner's service), required to file
reports through `POST requests`, kept only as their sha256 and revoked by id."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shahr.civic.reports.errors import ApiKeyNotFound, BadApiKey, InvalidReport
from shahr.civic.reports.tables import ApiKey


def issue_api_key(session: Session, name: str, created_by: str, now: datetime) -> tuple[ApiKey, str]:
    """A new key for client `name`, returned once with its row."""
    if not name.strip() or len(name) > 128:
        raise InvalidReport("a key needs a client name of 1 to 128 characters", field="body.name")
    key = secrets.token_urlsafe(24)
    row = ApiKey(key_hash=_sha256(key), name=name.strip(), created_by=created_by, created_at=now)
    session.add(row)
    session.flush()
    return row, key


def list_api_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))


def revoke_api_key(session: Session, key_id: int, now: datetime) -> ApiKey:
    """Refuse the key from now on; revoking twice keeps the first time."""
    row = session.get(ApiKey, key_id)
    if row is None:
        raise ApiKeyNotFound(f"no API key {key_id}", field="path.key_id")
    row.revoked_at = row.revoked_at or now
    session.flush()
    return row


def check_api_key(session: Session, key: str | None) -> ApiKey:
    """The active key's row, or `BadApiKey` (Open311: 403) naming what was wrong."""
    if not key:
        raise BadApiKey("api_key is required to create a service request", field="api_key")
    row = session.scalars(select(ApiKey).where(ApiKey.key_hash == _sha256(key))).one_or_none()
    if row is None or row.revoked_at is not None:
        raise BadApiKey("invalid api_key received: unknown or revoked", field="api_key")
    return row


def _sha256(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()
