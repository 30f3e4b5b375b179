"""The quarantine: taps kept aside with a reason, and the replay that looks at them again.

A tap is quarantined when it is malformed (the reason names the field), when its card is unknown, or
when the fare engine refuses it (unknown stop or route, duplicate, no tariff...). After a fix, a card
registered or the network feed corrected, `replay_quarantine` screens the taps again and re-rates the
card-days they belong to with the network given: the taps now accepted are charged like late taps. A
malformed tap stays quarantined (its payload is what the device sent), but it is kept, never lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from shahr.backoffice.ingest import MAX_AHEAD, screen
from shahr.backoffice.rating import Booking, rate_card_days
from shahr.backoffice.taps import TapRecord, TapStatus
from shahr.fares.load import Policy
from shahr.fares.network import FareNetwork


@dataclass(frozen=True, slots=True)
class ReplayResult:
    """The taps looked at again, those released (now accepted and rated) and the fares booked."""

    examined: int
    released: tuple[TapRecord, ...]
    bookings: tuple[Booking, ...]


def list_quarantine(
    session: Session,
    *,
    device_id: str | None = None,
    card_id: str | None = None,
    reason_code: str | None = None,
    limit: int = 100,
) -> list[TapRecord]:
    """Quarantined taps, oldest upload first, optionally of one device, card or reason code."""
    query = select(TapRecord).where(TapRecord.status == TapStatus.QUARANTINED)
    if device_id is not None:
        query = query.where(TapRecord.device_id == device_id)
    if card_id is not None:
        query = query.where(TapRecord.card_id == card_id)
    if reason_code is not None:
        query = query.where(TapRecord.reason_code == reason_code)
    return list(session.scalars(query.order_by(TapRecord.received_at, TapRecord.id).limit(limit)))


def replay_quarantine(
    session: Session,
    *,
    policy: Policy,
    network: FareNetwork,
    card_id: str | None = None,
    max_ahead: timedelta = MAX_AHEAD,
) -> ReplayResult:
    """Screen every quarantined tap (of one card, if given) again against its own upload time and
    re-rate the card-days they now belong to. Flushed, not committed."""
    query = select(TapRecord).where(TapRecord.status == TapStatus.QUARANTINED)
    if card_id is not None:
        query = query.where(TapRecord.card_id == card_id)
    taps = list(session.scalars(query.order_by(TapRecord.id)))
    for tap in taps:
        if tap.service_date is None:
            screen(session, tap, tap.received_at, policy, max_ahead)
    session.flush()
    bookings = rate_card_days(session, policy, network, taps)
    released = tuple(tap for tap in taps if tap.status is TapStatus.ACCEPTED)
    return ReplayResult(len(taps), released, tuple(bookings))
