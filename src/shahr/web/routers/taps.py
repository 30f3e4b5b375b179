"""Taps: devices upload signed batches, staff look at the quarantine and replay it after a fix.

An upload is answered 200 with one answer per tap, in batch order: every tap is acknowledged, accepted
or quarantined with the reason, and stored once per (device_id, seq), so a batch re-sent after a lost
answer gets the same answers (`replayed: true`) and books nothing more (`backoffice.ingest`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from shahr.backoffice import auth
from shahr.backoffice.ingest import ingest_batch
from shahr.backoffice.quarantine import list_quarantine, replay_quarantine
from shahr.backoffice.taps import TapRecord
from shahr.web.deps import AdminDep, DeviceDep, FaresDep, OperatorDep, SessionDep
from shahr.web.schemas import (
    CARD_ID_LENGTH,
    DEVICE_ID_LENGTH,
    NO_NUL,
    BatchResultPublic,
    DeviceIdPath,
    QuarantinedTapPublic,
    ReplayResultPublic,
    TapAnswerPublic,
    TapBatchIn,
    error_responses,
)

router = APIRouter(tags=["taps"], responses=error_responses(422))


@router.post(
    "/devices/{device_id}/taps",
    response_model=BatchResultPublic,
    responses=error_responses(401, 403, 409),  # 409: the same tap stored by a concurrent upload; retry
)
def upload_taps(
    device_id: DeviceIdPath, body: TapBatchIn, device: DeviceDep, session: SessionDep, fares: FaresDep
) -> BatchResultPublic:
    """Store a batch of taps from the signing device, rate the card-days they touch and book the fares."""
    if device.device_id != device_id:
        raise auth.NotAllowed(
            f"signed by device {device.device_id!r}, not {device_id!r}", field="path.device_id"
        )
    result = ingest_batch(
        session,
        device.device_id,
        body.taps,
        policy=fares.policy,
        network=fares.network,
        now=datetime.now(UTC),
    )
    return BatchResultPublic(
        device_id=result.device_id,
        accepted=result.accepted,
        quarantined=result.quarantined,
        answers=[
            TapAnswerPublic(
                index=answer.index,
                seq=answer.seq,
                status=answer.status,
                reason_code=answer.reason_code,
                reason_detail=answer.reason_detail,
                replayed=answer.replayed,
                conflict=answer.conflict,
            )
            for answer in result.answers
        ],
    )


@router.get("/quarantine", response_model=list[QuarantinedTapPublic], responses=error_responses(401, 403))
def read_quarantine(
    session: SessionDep,
    _staff: OperatorDep,
    device_id: Annotated[str | None, Query(max_length=DEVICE_ID_LENGTH, pattern=NO_NUL)] = None,
    card_id: Annotated[str | None, Query(max_length=CARD_ID_LENGTH, pattern=NO_NUL)] = None,
    reason: Annotated[
        str | None,
        Query(max_length=32, pattern=NO_NUL, description="A reason code: malformed, unknown_card..."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1_000)] = 100,
) -> list[QuarantinedTapPublic]:
    """Quarantined taps, oldest upload first, optionally of one device, card or reason code."""
    taps = list_quarantine(session, device_id=device_id, card_id=card_id, reason_code=reason, limit=limit)
    return [_quarantined(tap) for tap in taps]


@router.post("/quarantine/replay", response_model=ReplayResultPublic, responses=error_responses(401, 403))
def replay(
    session: SessionDep,
    fares: FaresDep,
    _admin: AdminDep,
    card_id: Annotated[str | None, Query(max_length=CARD_ID_LENGTH, pattern=NO_NUL)] = None,
) -> ReplayResultPublic:
    """Look at every quarantined tap (of one card, if given) again after a fix (a card registered, the
    feed corrected): the taps now accepted are charged like late taps. Malformed taps stay."""
    result = replay_quarantine(session, policy=fares.policy, network=fares.network, card_id=card_id)
    return ReplayResultPublic(
        examined=result.examined, released=len(result.released), bookings=len(result.bookings)
    )


def _quarantined(tap: TapRecord) -> QuarantinedTapPublic:
    return QuarantinedTapPublic(
        tap_id=tap.id,
        device_id=tap.device_id,
        seq=tap.seq,
        card_id=tap.card_id,
        tapped_at=tap.tapped_at,
        received_at=tap.received_at,
        reason_code=tap.reason_code,
        reason_detail=tap.reason_detail,
        payload=tap.payload,
    )
