"""Idempotency keys: a client retrying a command after a timeout must not top up a card twice.

A command first asks `replay`: if its key was seen in its scope with the same request, the stored answer
is returned and nothing is booked; with a different request, `IdempotencyConflict`. Otherwise it does
its work and calls `remember` in the same database transaction, so the answer and the booking commit or
roll back together.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shahr.backoffice.errors import IdempotencyConflict, InvalidCommand
from shahr.backoffice.tables import IdempotencyKey

MAX_KEY_LENGTH = 128


def fingerprint(request: dict[str, Any]) -> str:
    """sha256 of the request as canonical JSON (sorted keys, no spaces): equal requests, equal prints."""
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def replay(session: Session, scope: str, key: str, request: dict[str, Any]) -> dict[str, Any] | None:
    """The stored answer for `key` in `scope`, or None if the key is new."""
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidCommand(f"idempotency key must be 1 to {MAX_KEY_LENGTH} characters, got {key!r}")
    row = session.scalars(
        select(IdempotencyKey).where(IdempotencyKey.scope == scope, IdempotencyKey.key == key)
    ).one_or_none()
    if row is None:
        return None
    if row.fingerprint != fingerprint(request):
        raise IdempotencyConflict(scope, key)
    return dict(row.response)


def remember(
    session: Session, scope: str, key: str, request: dict[str, Any], response: dict[str, Any]
) -> None:
    """Store the answer to `request` under `key`; flushed, committed with the caller's transaction."""
    session.add(
        IdempotencyKey(
            scope=scope,
            key=key,
            fingerprint=fingerprint(request),
            response=response,
            created_at=datetime.now(UTC),
        )
    )
    session.flush()
