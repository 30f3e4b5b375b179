"""Rate limits per person and per client address, counted in the database so that every process of the
stateless web app shares them.

Fixed windows of `rate_window_s` (aligned to the epoch): a counter row per (bucket, window), incremented
by one atomic upsert (`INSERT ... ON CONFLICT DO UPDATE ... RETURNING`, the same on PostgreSQL and
SQLite), so concurrent requests never lose a count. A burst can reach twice the limit across a window's
edge; that is the price of exact, explainable numbers and a `Retry-After` that is simply the window's end.
Buckets are HMACs of action, kind and subject, so the table holds no client address.

    ShahrError
     └── RateLimited    429: the action's limit for this person or address is used up in this window
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Integer, String, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from shahr.backoffice.tables import UTCDateTime
from shahr.civic.settings import Action, CivicSettings
from shahr.db.base import Base
from shahr.errors import ShahrError


class RateLimited(ShahrError):
    """Too many of one action from one person or address in the current window; `retry_after_s` is
    when the window ends (the `Retry-After` header)."""

    def __init__(self, action: Action, who: str, limit: int, window_s: int, retry_after_s: int) -> None:
        self.action = action
        self.retry_after_s = retry_after_s
        self.field: str | None = None
        super().__init__(
            f"too many {action.value} requests from this {who}: at most {limit} per {window_s} s; "
            f"try again in {retry_after_s} s"
        )


class RateCounter(Base):
    """How many times a bucket acted in the window starting at `window_start`."""

    __tablename__ = "civic_rate_counters"

    bucket: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True, index=True)
    hits: Mapped[int] = mapped_column(Integer)


def consume(
    sessions: Callable[[], Session],
    action: Action,
    *,
    person: str | None,
    address: str | None,
    now: datetime,
    settings: CivicSettings,
    secret: str,
) -> None:
    """Count one `action` for `person` (a person id, or a phone hash for verification) and `address`
    (the client's IP address), either of which may be None, and raise `RateLimited` if either is now over
    its limit.

    Runs in a session of its own from `sessions`, committed before returning: a refused or failing request
    still counts, and no counter row stays locked for the length of the request. Call it before the
    request's own session writes (on SQLite a second writer would wait for the first).
    """
    limit = settings.limit(action)
    window_s = settings.rate_window_s
    start = _window_start(now, window_s)
    retry_after_s = max(1, math.ceil((start + timedelta(seconds=window_s) - now).total_seconds()))
    over: list[tuple[str, int]] = []
    with sessions() as session:
        for who, subject, allowed in (
            ("person", person, limit.per_person),
            ("address", address, limit.per_address),
        ):
            if (
                subject is not None
                and _increment(session, _bucket(secret, action, who, subject), start) > allowed
            ):
                over.append((who, allowed))
        session.commit()
    if over:
        who, allowed = over[0]
        raise RateLimited(action, who, allowed, window_s, retry_after_s)


def prune(session: Session, now: datetime, settings: CivicSettings) -> int:
    """Delete the counters of windows that have ended (housekeeping, `shahr civic sweep`); returns how
    many. Not done on each request: concurrent deletes of the same rows could deadlock on PostgreSQL."""
    ended = delete(RateCounter).where(RateCounter.window_start < _window_start(now, settings.rate_window_s))
    return len(session.execute(ended.returning(RateCounter.bucket)).all())


def _increment(session: Session, bucket: str, start: datetime) -> int:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(RateCounter)
        .values(bucket=bucket, window_start=start, hits=1)
        .on_conflict_do_update(
            index_elements=[RateCounter.bucket, RateCounter.window_start],
            set_={"hits": RateCounter.hits + 1},
        )
        .returning(RateCounter.hits)
    )
    hits: int = session.execute(statement).scalar_one()
    return hits


def _window_start(now: datetime, window_s: int) -> datetime:
    if now.utcoffset() is None:
        raise ValueError(f"{now!r} has no time zone")
    epoch_s = math.floor(now.timestamp())
    return datetime.fromtimestamp(epoch_s - epoch_s % window_s, UTC)


def _bucket(secret: str, action: Action, who: str, subject: str) -> str:
    message = f"ratelimit:{action.value}:{who}:{subject}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
