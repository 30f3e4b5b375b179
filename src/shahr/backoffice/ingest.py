"""Exactly-once tap ingestion: a device uploads a batch of taps, each tap is stored once per
(device_id, seq) and answered; the card-days the batch touches are re-rated and their fares booked.

A device re-sends a batch it got no answer for, so a tap already stored is not stored again and gets
its stored answer (`replayed=True`): the same answer as before unless a quarantine replay has since
released it. Malformed taps and taps of unknown cards are acknowledged and kept in quarantine with a
reason naming the field; nothing acknowledged is lost. Two concurrent uploads of the same tap cannot
both store it: the loser gets an `IntegrityError` at flush or commit and should retry, which replays.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeGuard

from pydantic import ValidationError
from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from shahr.backoffice.errors import InvalidCommand
from shahr.backoffice.ledger import check_aware
from shahr.backoffice.rating import Booking, rate_card_days
from shahr.backoffice.tables import Card
from shahr.backoffice.taps import MALFORMED, NO_TARIFF, SEQ_MAX, UNKNOWN_CARD, TapIn, TapRecord, TapStatus
from shahr.fares.load import Policy
from shahr.fares.network import FareNetwork

MAX_AHEAD = timedelta(minutes=5)
"""How far after its upload a tap's time may lie before the device clock is deemed wrong."""


@dataclass(frozen=True, slots=True)
class TapAnswer:
    """What the device is told about one tap of its batch (in batch order). `replayed`: the tap was
    already stored and this is its stored answer; `conflict`: the re-sent tap differs from the stored one,
    which stands (a device reusing a seq)."""

    index: int
    seq: int | None
    status: TapStatus
    reason_code: str | None
    reason_detail: str | None
    replayed: bool = False
    conflict: bool = False


@dataclass(frozen=True, slots=True)
class BatchResult:
    """Every tap acknowledged, with its answer, and the fares booked for the card-days it touched."""

    device_id: str
    answers: tuple[TapAnswer, ...]
    bookings: tuple[Booking, ...]

    @property
    def accepted(self) -> int:
        return sum(a.status is TapStatus.ACCEPTED for a in self.answers)

    @property
    def quarantined(self) -> int:
        return sum(a.status is TapStatus.QUARANTINED for a in self.answers)


def ingest_batch(
    session: Session,
    device_id: str,
    taps: Sequence[Mapping[str, Any]],
    *,
    policy: Policy,
    network: FareNetwork,
    now: datetime,
    max_ahead: timedelta = MAX_AHEAD,
) -> BatchResult:
    """Store each new tap once, re-rate the card-days the new taps belong to, and answer every tap.
    `now` is the upload's arrival time (`received_at`). Flushed, not committed."""
    if not device_id or len(device_id) > 64:
        raise InvalidCommand(f"device_id {device_id!r} must be 1 to 64 characters")
    check_aware("now", now)
    payloads = [_canonical(tap) for tap in taps]
    digests = [_fingerprint(payload) for payload in payloads]
    stored = _stored(session, device_id, payloads, digests)
    cards = _known_cards(session, payloads)
    rows: list[tuple[TapRecord, bool, bool]] = []
    new: list[TapRecord] = []
    for payload, digest in zip(payloads, digests, strict=True):
        key = _key(payload, digest)
        record = stored.get(key)
        if record is not None:
            rows.append((record, True, record.fingerprint != digest))
            continue
        record = TapRecord(device_id=device_id, payload=payload, fingerprint=digest)
        session.add(screen(session, record, now, policy, max_ahead, known_cards=cards))
        stored[key] = record
        new.append(record)
        rows.append((record, False, False))
    session.flush()
    bookings = rate_card_days(session, policy, network, new)
    answers = tuple(
        TapAnswer(i, r.seq, r.status, r.reason_code, r.reason_detail, replayed, conflict)
        for i, (r, replayed, conflict) in enumerate(rows)
    )
    return BatchResult(device_id, answers, tuple(bookings))


def screen(
    session: Session,
    record: TapRecord,
    received_at: datetime,
    policy: Policy,
    max_ahead: timedelta,
    *,
    known_cards: Collection[str] | None = None,
) -> TapRecord:
    """Fill `record` from its payload: malformed, unknown card, or assigned to its card-day for the
    engine to rate. Used at ingestion and again by the quarantine replay. `known_cards`: the cards that
    exist among those a batch names, read at once (`_known_cards`); without it the card is looked up."""
    record.received_at = received_at
    record.seq = _seq_of(record.payload)
    try:
        tap = TapIn.model_validate(record.payload)
    except ValidationError as exc:
        return _quarantine(record, MALFORMED, _field_errors(exc))
    if tap.tapped_at > received_at + max_ahead:
        ahead = tap.tapped_at - received_at
        detail = f"tapped_at: {tap.tapped_at.isoformat()} is {ahead} after the upload at {received_at}"
        return _quarantine(record, MALFORMED, f"{detail}; the device clock is probably wrong")
    record.card_id = tap.card_id
    record.kind = tap.kind.value
    record.tapped_at = tap.tapped_at
    record.stop_id = tap.stop_id
    record.route_id = tap.route_id
    record.trip_id = tap.trip_id
    record.medium = tap.medium
    known = tap.card_id in known_cards if known_cards is not None else session.get(Card, tap.card_id)
    if not known:
        return _quarantine(record, UNKNOWN_CARD, f"card_id: no card {tap.card_id!r} in the back office")
    service_date = policy.service_date(tap.tapped_at)
    first = policy.versions[0].effective_from
    if service_date < first:
        detail = f"tapped_at: service date {service_date} is before the policy's first version ({first})"
        return _quarantine(record, NO_TARIFF, detail)
    record.service_date = service_date
    record.status = TapStatus.ACCEPTED
    record.reason_code = record.reason_detail = None
    return record


def _quarantine(record: TapRecord, code: str, detail: str) -> TapRecord:
    record.status = TapStatus.QUARANTINED
    record.reason_code = code
    record.reason_detail = detail
    record.service_date = None
    return record


def _field_errors(exc: ValidationError) -> str:
    """Pydantic's errors as `field: message` (the value is not echoed: it may be large or binary)."""
    parts = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "tap"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


def _canonical(tap: Mapping[str, Any]) -> dict[str, Any]:
    """The tap as JSON-safe data (anything else, say a datetime object, as its string): what is stored
    and what is validated, so a replay sees what ingestion saw."""
    if not isinstance(tap, Mapping):
        return {"tap": str(tap)}
    loaded: dict[str, Any] = json.loads(json.dumps(dict(tap), default=str))
    return loaded


def _seq_of(payload: Mapping[str, Any]) -> int | None:
    seq = payload.get("seq")
    return seq if isinstance(seq, int) and not isinstance(seq, bool) and 0 <= seq <= SEQ_MAX else None


def _key(payload: Mapping[str, Any], digest: str) -> tuple[int | None, str | None]:
    """What identifies a tap of a device: its seq, or its fingerprint when it has no usable seq."""
    seq = _seq_of(payload)
    return (seq, None) if seq is not None else (None, digest)


def _fingerprint(payload: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _stored(
    session: Session, device_id: str, payloads: list[dict[str, Any]], digests: list[str]
) -> dict[tuple[int | None, str | None], TapRecord]:
    """Taps of this batch already stored, by seq (or by fingerprint for the few without a usable seq),
    in one query."""
    keys = [_key(payload, digest) for payload, digest in zip(payloads, digests, strict=True)]
    seqs = {seq for seq, _ in keys if seq is not None}
    unnumbered = {digest for _, digest in keys if digest is not None}
    which: list[ColumnElement[bool]] = []
    if seqs:
        which.append(TapRecord.seq.in_(seqs))
    if unnumbered:
        which.append(and_(TapRecord.seq.is_(None), TapRecord.fingerprint.in_(unnumbered)))
    if not which:
        return {}
    query = select(TapRecord).where(TapRecord.device_id == device_id, or_(*which))
    return {_stored_key(record): record for record in session.scalars(query)}


def _stored_key(record: TapRecord) -> tuple[int | None, str | None]:
    return (record.seq, None) if record.seq is not None else (None, record.fingerprint)


def _could_be_card_id(card_id: object) -> TypeGuard[str]:
    return isinstance(card_id, str) and 1 <= len(card_id) <= 32 and "\x00" not in card_id


def _known_cards(session: Session, payloads: list[dict[str, Any]]) -> set[str]:
    """The cards that exist among those the batch's taps name, in one query. Only ids a tap could carry
    are asked for (`TapIn.card_id`: 1 to 32 characters, no NUL, which PostgreSQL text cannot hold)."""
    named = {card_id for card_id in (p.get("card_id") for p in payloads) if _could_be_card_id(card_id)}
    if not named:
        return set()
    return set(session.scalars(select(Card.id).where(Card.id.in_(named))))
