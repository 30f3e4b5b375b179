"""The back office's tables: accounts, transactions and their postings (a double-entry ledger), cards,
and the idempotency keys that make commands safe to retry.

Money is integer minor units (rials) in BigInteger. Times are timezone-aware and stored in UTC; on
SQLite, which has no such type, `UTCDateTime` stores a fixed-width ISO string so both databases compare
and return the same values.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    Enum,
    ForeignKey,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeEngine

from shahr.db.base import Base

CURRENCY = "IRR"
"""The ledger's one currency; `accounts.currency` records it so a second one is a data change."""

ID = BigInteger().with_variant(Integer, "sqlite")
"""Row ids: 64-bit on PostgreSQL (postings outgrow 2^31), INTEGER on SQLite so it aliases the rowid."""


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored in UTC: `timestamptz` on PostgreSQL, a fixed-width ISO string on SQLite
    (so string order is time order). Naive datetimes are refused: their instant is unknown."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(32))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.utcoffset() is None:
            raise ValueError(f"{value!r} is not a timezone-aware datetime")
        utc = value.astimezone(UTC)
        return utc.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00") if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
        if not isinstance(parsed, datetime):
            raise TypeError(f"expected a datetime from the database, got {value!r}")
        return parsed.astimezone(UTC)


def _enum(cls: type[StrEnum], name: str) -> Enum:
    """A string column with a CHECK of the allowed values, the same on both databases (no native type
    to migrate when a value is added)."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [member.value for member in members],
    )


class AccountKind(StrEnum):
    CARD_LIABILITY = "card_liability"
    """What the city owes a card holder: credit-normal."""
    OPERATOR_REVENUE = "operator_revenue"
    """Fares earned by an operator, not yet paid out: credit-normal."""
    FLOAT = "float"
    """Cash taken in at top-up points and paid out in refunds: debit-normal."""
    CLEARING = "clearing"
    """Fares charged to cards, waiting to be apportioned to operators: credit-normal."""
    ADJUSTMENTS = "adjustments"
    """The other side of goodwill credits and corrections: debit-normal."""


class TransactionKind(StrEnum):
    TOP_UP = "top_up"
    REFUND = "refund"
    ADJUSTMENT = "adjustment"
    FARE = "fare"
    CLEARING = "clearing"
    TRANSFER = "transfer"
    """A card's balance moved to its replacement."""
    PASS_SALE = "pass_sale"
    """A prepaid pass bought from a card's stored value."""


class CardStatus(StrEnum):
    ACTIVE = "active"
    BLOCKED = "blocked"
    LOST = "lost"
    REPLACED = "replaced"


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[AccountKind] = mapped_column(_enum(AccountKind, "account_kind"))
    currency: Mapped[str] = mapped_column(String(3), default=CURRENCY)


class Transaction(Base):
    """A booked movement of money; never updated or deleted (see `shahr.backoffice.ledger`)."""

    __tablename__ = "transactions"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    kind: Mapped[TransactionKind] = mapped_column(_enum(TransactionKind, "transaction_kind"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    reason: Mapped[str] = mapped_column(Text)
    reference: Mapped[str | None] = mapped_column(String(128), index=True)
    """What the transaction is about (`card-day:<card_id>:<date>`, `clearing:<date>`, `pass:<product>`);
    indexed because rating sums a batch's card-days by it."""
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("transactions.id"), unique=True)
    """The transaction this one reverses; unique, so a transaction is reversed at most once."""

    postings: Mapped[list[Posting]] = relationship(back_populates="transaction", order_by="Posting.id")


class Posting(Base):
    """One side of a transaction: debit positive, credit negative, never zero."""

    __tablename__ = "postings"
    __table_args__ = (CheckConstraint("amount_minor <> 0", name="nonzero"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("transactions.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)

    transaction: Mapped[Transaction] = relationship(back_populates="postings")
    account: Mapped[Account] = relationship()


class Card(Base):
    """A smart card (or QR medium). The id is opaque and random: never a bank card number."""

    __tablename__ = "cards"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    rider_category: Mapped[str] = mapped_column(String(32))
    """A category of the fare policy (adult, youth...): policy data, so a plain string."""
    category_valid_until: Mapped[date | None] = mapped_column(Date)
    """Last day the category applies (youth: the day before the 19th birthday); the birth date itself is
    not kept."""
    medium: Mapped[str] = mapped_column(String(16))
    status: Mapped[CardStatus] = mapped_column(_enum(CardStatus, "card_status"))
    replaced_by: Mapped[str | None] = mapped_column(ForeignKey("cards.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @property
    def account_code(self) -> str:
        return card_account_code(self.id)


def card_account_code(card_id: str) -> str:
    return f"card:{card_id}"


class CardPass(Base):
    """A pass held by a card (a `PassProduct` of the policy) for its days, `first_day` to `last_day`.
    Prepaid passes reference the transaction that paid for them; postpaid ones cost nothing up front."""

    __tablename__ = "card_passes"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    card_id: Mapped[str] = mapped_column(ForeignKey("cards.id"), index=True)
    product_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    """The product's name when sold: what a rider's statement calls it."""
    payment: Mapped[str] = mapped_column(String(16))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    price_minor: Mapped[int] = mapped_column(BigInteger)
    transaction_id: Mapped[int | None] = mapped_column(ForeignKey("transactions.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class IdempotencyKey(Base):
    """A command's key, what was asked (a fingerprint) and what was answered, so a retry gets the same
    answer and a reused key with a different request is caught."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    scope: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(128))
    fingerprint: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
