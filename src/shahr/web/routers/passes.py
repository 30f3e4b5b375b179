"""Passes: the products on sale (public), sold to a card at a counter (staff) or by its holder (card
token). Buying is idempotent by the `Idempotency-Key` header, as the cards' money commands are."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from sqlalchemy.orm import Session

from shahr.backoffice import cards, passes
from shahr.backoffice.passes import PassReceipt
from shahr.backoffice.tables import CardPass
from shahr.fares.load import Policy
from shahr.web.deps import AnyStaffDep, CardHolderDep, FaresDep, OperatorDep, SessionDep
from shahr.web.routers.cards import IdempotencyKey
from shahr.web.schemas import (
    CardIdPath,
    CardPassPublic,
    PassIn,
    PassProductPublic,
    PassReceiptPublic,
    error_responses,
)

router = APIRouter(tags=["passes"], responses=error_responses(422))

_BUY_RESPONSES = {
    200: {"model": PassReceiptPublic, "description": "A replay: the first receipt, nothing booked."},
    **error_responses(401, 403, 404, 409),
}


@router.get("/passes", response_model=list[PassProductPublic])
def products(
    fares: FaresDep,
    on: Annotated[date | None, Query(description="Service date; today's when omitted.")] = None,
) -> list[PassProductPublic]:
    """The passes the fare policy sells on a service date, with their prices: public information."""
    policy = fares.policy
    day = on or policy.service_date(datetime.now(UTC))
    return [
        PassProductPublic(
            product_id=product.id,
            name=product.name,
            days=product.days,
            payment=product.payment,
            price_minor=dict(product.price),
        )
        for product in policy.version_for(day).passes
    ]


@router.post(
    "/cards/{card_id}/passes",
    status_code=status.HTTP_201_CREATED,
    response_model=PassReceiptPublic,
    responses=_BUY_RESPONSES,
)
def sell_pass(
    card_id: CardIdPath,
    body: PassIn,
    key: IdempotencyKey,
    session: SessionDep,
    fares: FaresDep,
    response: Response,
    _staff: OperatorDep,
) -> PassReceiptPublic:
    """Sell a pass at a counter: prepaid from the card's stored value, or enrol it postpaid."""
    return _bought(session, fares.policy, card_id, body, key, response)


@router.get(
    "/cards/{card_id}/passes",
    response_model=list[CardPassPublic],
    responses=error_responses(401, 403, 404),
)
def list_passes(card_id: CardIdPath, session: SessionDep, _staff: AnyStaffDep) -> list[CardPassPublic]:
    cards.get_card(session, card_id)
    return [_public(row) for row in passes.card_passes(session, card_id)]


@router.post(
    "/me/passes",
    status_code=status.HTTP_201_CREATED,
    response_model=PassReceiptPublic,
    responses=_BUY_RESPONSES,
)
def buy_my_pass(
    body: PassIn,
    key: IdempotencyKey,
    card_id: CardHolderDep,
    session: SessionDep,
    fares: FaresDep,
    response: Response,
) -> PassReceiptPublic:
    """The card holder buys a pass for their own card."""
    return _bought(session, fares.policy, card_id, body, key, response)


@router.get("/me/passes", response_model=list[CardPassPublic], responses=error_responses(401, 404))
def my_passes(card_id: CardHolderDep, session: SessionDep) -> list[CardPassPublic]:
    cards.get_card(session, card_id)
    return [_public(row) for row in passes.card_passes(session, card_id)]


def _bought(
    session: Session, policy: Policy, card_id: str, body: PassIn, key: str, response: Response
) -> PassReceiptPublic:
    now = datetime.now(UTC)
    first_day = body.first_day or policy.service_date(now)
    receipt = passes.buy_pass(session, policy, card_id, body.product_id, first_day, key=key, at=now)
    if receipt.replayed:
        response.status_code = status.HTTP_200_OK
    return _receipt(receipt)


def _receipt(receipt: PassReceipt) -> PassReceiptPublic:
    return PassReceiptPublic(
        pass_id=receipt.pass_id,
        card_id=receipt.card_id,
        product_id=receipt.product_id,
        name=receipt.name,
        payment=receipt.payment,
        first_day=receipt.first_day,
        last_day=receipt.last_day,
        price_minor=receipt.price_minor,
        paid_minor=receipt.paid_minor,
        balance_minor=receipt.balance_minor,
        rebooked_minor=receipt.rebooked_minor,
        replayed=receipt.replayed,
    )


def _public(row: CardPass) -> CardPassPublic:
    return CardPassPublic(
        pass_id=row.id,
        card_id=row.card_id,
        product_id=row.product_id,
        name=row.name,
        payment=row.payment,
        first_day=row.first_day,
        last_day=row.last_day,
        price_minor=row.price_minor,
    )
