"""Cards: staff issue and manage them, card holders read their own with the card token.

Money commands need an `Idempotency-Key` header: the first call books and answers 201; a retry with the
same key and request answers 200 with the first receipt and books nothing; the same key with a different
request is 409 `idempotency_conflict`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Header, Response, status
from sqlalchemy.orm import Session

from shahr.backoffice import cards, ledger
from shahr.backoffice.auth import card_token
from shahr.backoffice.cards import Receipt
from shahr.backoffice.tables import Card, CardStatus
from shahr.web.deps import AnyStaffDep, CardHolderDep, FinanceDep, OperatorDep, SessionDep, SettingsDep
from shahr.web.schemas import (
    NO_NUL,
    AdjustmentIn,
    CardCreate,
    CardHolderView,
    CardIdPath,
    CardIssued,
    CardPublic,
    MoneyIn,
    ReceiptPublic,
    error_responses,
)

router = APIRouter(tags=["cards"], responses=error_responses(422))

IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=128,
        pattern=NO_NUL,
        description="Chosen by the client per command; a retry sends the same key.",
    ),
]
_MONEY_RESPONSES = {
    200: {"model": ReceiptPublic, "description": "A replay: the first receipt, nothing booked."},
    **error_responses(401, 403, 404, 409),
}


@router.post(
    "/cards",
    status_code=status.HTTP_201_CREATED,
    response_model=CardIssued,
    responses=error_responses(401, 403),
)
def create_card(
    body: CardCreate, session: SessionDep, settings: SettingsDep, _staff: OperatorDep
) -> CardIssued:
    """Issue a card; the answer carries the holder's card token (it can be printed as a QR code)."""
    card = cards.create_card(session, body.rider_category, body.medium, body.birth_date)
    return _issued(session, card, settings.secret_key)


@router.get("/cards/{card_id}", response_model=CardPublic, responses=error_responses(401, 403, 404))
def read_card(card_id: CardIdPath, session: SessionDep, _staff: AnyStaffDep) -> CardPublic:
    return _public(session, cards.get_card(session, card_id))


@router.get("/me/card", response_model=CardHolderView, responses=error_responses(401, 404))
def read_my_card(card_id: CardHolderDep, session: SessionDep) -> CardHolderView:
    """The card named by the `Card` token: its holder sees this card and no other."""
    card = cards.get_card(session, card_id)
    return CardHolderView(
        card_id=card.id,
        rider_category=card.rider_category,
        category_valid_until=card.category_valid_until,
        status=card.status,
        balance_minor=ledger.balance(session, card.account_code),
    )


@router.post(
    "/cards/{card_id}/top-ups",
    status_code=status.HTTP_201_CREATED,
    response_model=ReceiptPublic,
    responses=_MONEY_RESPONSES,
)
def top_up(
    card_id: CardIdPath,
    body: MoneyIn,
    key: IdempotencyKey,
    session: SessionDep,
    response: Response,
    _staff: OperatorDep,
) -> ReceiptPublic:
    """Load money onto an active card."""
    return _receipt(cards.top_up(session, card_id, body.amount, key=key, at=datetime.now(UTC)), response)


@router.post(
    "/cards/{card_id}/refunds",
    status_code=status.HTTP_201_CREATED,
    response_model=ReceiptPublic,
    responses=_MONEY_RESPONSES,
)
def refund(
    card_id: CardIdPath,
    body: MoneyIn,
    key: IdempotencyKey,
    session: SessionDep,
    response: Response,
    _staff: OperatorDep,
) -> ReceiptPublic:
    """Pay money back to the holder; refused (409 insufficient_balance) beyond the balance."""
    return _receipt(cards.refund(session, card_id, body.amount, key=key, at=datetime.now(UTC)), response)


@router.post(
    "/cards/{card_id}/adjustments",
    status_code=status.HTTP_201_CREATED,
    response_model=ReceiptPublic,
    responses=_MONEY_RESPONSES,
)
def adjust(
    card_id: CardIdPath,
    body: AdjustmentIn,
    key: IdempotencyKey,
    session: SessionDep,
    response: Response,
    _staff: FinanceDep,
) -> ReceiptPublic:
    """Credit or debit a card against the adjustments account: finance's corrections, not the counter's."""
    receipt = cards.adjust(session, card_id, body.amount, key=key, at=datetime.now(UTC), reason=body.reason)
    return _receipt(receipt, response)


@router.post(
    "/cards/{card_id}/block", response_model=CardPublic, responses=error_responses(401, 403, 404, 409)
)
def block(card_id: CardIdPath, session: SessionDep, _staff: OperatorDep) -> CardPublic:
    """Stop the card being used; blocking twice changes nothing."""
    return _public(session, cards.block(session, card_id))


@router.post(
    "/cards/{card_id}/lost", response_model=CardPublic, responses=error_responses(401, 403, 404, 409)
)
def report_lost(card_id: CardIdPath, session: SessionDep, _staff: OperatorDep) -> CardPublic:
    """Mark the card lost: no more top-ups or refunds until its balance moves to a replacement."""
    return _public(session, cards.report_lost(session, card_id))


@router.post(
    "/cards/{card_id}/replace",
    status_code=status.HTTP_201_CREATED,
    response_model=CardIssued,
    responses={
        200: {"model": CardIssued, "description": "A replay: the same new card."},
        **error_responses(401, 403, 404, 409),
    },
)
def replace(
    card_id: CardIdPath,
    key: IdempotencyKey,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
    _staff: OperatorDep,
) -> CardIssued:
    """Issue a new card and move the whole balance to it; the answer is the new card and its token."""
    already_replaced = cards.get_card(session, card_id).status is CardStatus.REPLACED
    new = cards.replace(session, card_id, key=key, at=datetime.now(UTC))
    if already_replaced:  # `replace` refuses a replaced card unless the key replays its replacement
        response.status_code = status.HTTP_200_OK
    return _issued(session, new, settings.secret_key)


def _public(session: Session, card: Card) -> CardPublic:
    return CardPublic(
        card_id=card.id,
        rider_category=card.rider_category,
        category_valid_until=card.category_valid_until,
        medium=card.medium,
        status=card.status,
        replaced_by=card.replaced_by,
        balance_minor=ledger.balance(session, card.account_code),
        created_at=card.created_at,
    )


def _issued(session: Session, card: Card, secret: str) -> CardIssued:
    return CardIssued(**_public(session, card).model_dump(), card_token=card_token(card.id, secret))


def _receipt(receipt: Receipt, response: Response) -> ReceiptPublic:
    """A replayed command answers 200: nothing new was created."""
    if receipt.replayed:
        response.status_code = status.HTTP_200_OK
    return ReceiptPublic(
        transaction_id=receipt.transaction_id,
        card_id=receipt.card_id,
        amount_minor=receipt.amount_minor,
        balance_minor=receipt.balance_minor,
        replayed=receipt.replayed,
    )
