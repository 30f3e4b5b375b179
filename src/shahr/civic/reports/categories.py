"""Categories of problems (Open311 "services"): who handles each and within how many hours, and the extra
questions a report of it answers (Open311 service definition attributes).

Categories are table rows that staff edit; migration 0006 seeds a default set (road damage, street
lighting, waste collection, bus stop or vehicle, fare or card, metro, water and sewage, parks and trees,
traffic signals, signs and markings, something else). A category is never deleted, only deactivated, so
its reports keep their category.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shahr.civic.reports.errors import InvalidReport, UnknownCategory
from shahr.civic.reports.tables import Category
from shahr.civic.text import clean_text
from shahr.web.schemas import NO_NUL

Datatype = Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]
LISTS = ("singlevaluelist", "multivaluelist")
SERVICE_CODE = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,63}$")
"""Lower-case ASCII, digits, `_` and `-`: safe in Open311 paths (`services/{code}.json`) and form keys."""


class AttributeValue(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str = Field(min_length=1, max_length=64, pattern=NO_NUL)
    name: str = Field(min_length=1, max_length=200, pattern=NO_NUL)


class Attribute(BaseModel):
    """One extra question (GeoReport v2, GET Service Definition): `variable` is always true here, since
    every attribute asks for input."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=SERVICE_CODE.pattern)
    datatype: Datatype
    required: bool = False
    description: str = Field(min_length=1, max_length=500, pattern=NO_NUL)
    datatype_description: str | None = Field(None, max_length=500, pattern=NO_NUL)
    order: int = Field(ge=1)
    values: tuple[AttributeValue, ...] = ()

    @model_validator(mode="after")
    def _values_match_datatype(self) -> Attribute:
        if (self.datatype in LISTS) != bool(self.values):
            raise ValueError(
                f"attribute {self.code!r}: a list datatype needs values, and only a list has them"
            )
        keys = [value.key for value in self.values]
        if len(set(keys)) != len(keys):
            raise ValueError(f"attribute {self.code!r}: value keys repeat")
        return self


class CategoryIn(BaseModel):
    """A category as staff create it; omitted fields of an update keep their value (`CategoryUpdate`)."""

    model_config = ConfigDict(extra="forbid")

    service_code: str = Field(pattern=SERVICE_CODE.pattern)
    name_fa: str = Field(min_length=1, max_length=200, pattern=NO_NUL)
    name_en: str = Field(min_length=1, max_length=200, pattern=NO_NUL)
    description_fa: str = Field("", max_length=2000, pattern=NO_NUL)
    description_en: str = Field("", max_length=2000, pattern=NO_NUL)
    group: str = Field("other", min_length=1, max_length=100, pattern=NO_NUL)
    keywords: str = Field("", max_length=500, pattern=NO_NUL)
    department: str = Field(min_length=1, max_length=100, pattern=NO_NUL)
    sla_hours: int | None = Field(None, ge=1, le=24 * 365)
    """None: the settings' `default_sla_hours`."""
    attributes: tuple[Attribute, ...] = ()
    active: bool = True

    @field_validator("attributes")
    @classmethod
    def _unique(cls, attributes: tuple[Attribute, ...]) -> tuple[Attribute, ...]:
        return _unique_codes_and_orders(attributes)


class CategoryUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name_fa: str | None = Field(None, min_length=1, max_length=200, pattern=NO_NUL)
    name_en: str | None = Field(None, min_length=1, max_length=200, pattern=NO_NUL)
    description_fa: str | None = Field(None, max_length=2000, pattern=NO_NUL)
    description_en: str | None = Field(None, max_length=2000, pattern=NO_NUL)
    group: str | None = Field(None, min_length=1, max_length=100, pattern=NO_NUL)
    keywords: str | None = Field(None, max_length=500, pattern=NO_NUL)
    department: str | None = Field(None, min_length=1, max_length=100, pattern=NO_NUL)
    sla_hours: int | None = Field(None, ge=1, le=24 * 365)
    attributes: tuple[Attribute, ...] | None = None
    active: bool | None = None

    @field_validator("attributes")
    @classmethod
    def _unique(cls, attributes: tuple[Attribute, ...] | None) -> tuple[Attribute, ...] | None:
        return None if attributes is None else _unique_codes_and_orders(attributes)


def _unique_codes_and_orders(attributes: tuple[Attribute, ...]) -> tuple[Attribute, ...]:
    codes = [attribute.code for attribute in attributes]
    orders = [attribute.order for attribute in attributes]
    if len(set(codes)) != len(codes) or len(set(orders)) != len(orders):
        raise ValueError("attribute codes and orders must each be unique within a category")
    return attributes


def attributes_of(category: Category) -> tuple[Attribute, ...]:
    """The category's attributes in their display order."""
    return tuple(
        sorted((Attribute.model_validate(raw) for raw in category.attributes), key=lambda a: a.order)
    )


def list_categories(session: Session, *, include_inactive: bool = False) -> list[Category]:
    query = select(Category).order_by(Category.group, Category.service_code)
    if not include_inactive:
        query = query.where(Category.active.is_(True))
    return list(session.scalars(query))


def find_category(session: Session, service_code: str) -> Category | None:
    return session.scalars(select(Category).where(Category.service_code == service_code)).one_or_none()


def get_category(session: Session, service_code: str, *, active_only: bool = True) -> Category:
    """The category with this code; `UnknownCategory` when there is none (or it is inactive)."""
    category = find_category(session, service_code)
    if category is None or (active_only and not category.active):
        raise UnknownCategory(f"no category with service_code {service_code!r}", field="service_code")
    return category


def last_changed(session: Session) -> datetime | None:
    """When a category was last created or edited: Open311 discovery's changeset, telling clients to
    fetch the services again."""
    return session.scalar(select(func.max(Category.updated_at)))


def create_category(session: Session, data: CategoryIn, default_sla_hours: int, now: datetime) -> Category:
    if find_category(session, data.service_code) is not None:
        raise InvalidReport(f"service_code {data.service_code!r} is taken", field="body.service_code")
    fields = data.model_dump(exclude={"attributes", "sla_hours"})
    category = Category(
        **fields,
        sla_hours=data.sla_hours or default_sla_hours,
        attributes=[attribute.model_dump() for attribute in data.attributes],
        created_at=now,
        updated_at=now,
    )
    session.add(category)
    session.flush()
    return category


def update_category(session: Session, service_code: str, data: CategoryUpdate, now: datetime) -> Category:
    """Change what is given; reports already filed keep their deadline (it was fixed when they were filed)."""
    category = get_category(session, service_code, active_only=False)
    for name, value in data.model_dump(exclude_unset=True, exclude={"attributes"}).items():
        if value is None:
            raise InvalidReport(f"{name} cannot be null", field=f"body.{name}")
        setattr(category, name, value)
    if data.attributes is not None:
        category.attributes = [attribute.model_dump() for attribute in data.attributes]
    category.updated_at = now
    session.flush()
    return category


def check_answers(category: Category, answers: dict[str, list[str]], max_chars: int) -> dict[str, Any]:
    """The answers to the category's attributes as stored: a string, a number, an ISO datetime or a list
    of keys per attribute code. Required attributes must be answered; answers to codes the category
    does not define are dropped (a client may send what an older definition asked)."""
    checked: dict[str, Any] = {}
    for attribute in attributes_of(category):
        values = [clean_text(value) for value in answers.get(attribute.code, []) if clean_text(value)]
        field = f"attribute[{attribute.code}]"
        if not values:
            if attribute.required:
                raise InvalidReport(f"{field} is required: {attribute.description}", field=field)
            continue
        if attribute.datatype != "multivaluelist" and len(values) > 1:
            raise InvalidReport(f"{field} takes one value, got {len(values)}", field=field)
        checked[attribute.code] = _answer(attribute, values, field, max_chars)
    return checked


def _answer(attribute: Attribute, values: list[str], field: str, max_chars: int) -> Any:
    keys = {value.key for value in attribute.values}
    if attribute.datatype in LISTS:
        unknown = [value for value in values if value not in keys]
        if unknown:
            raise InvalidReport(f"{field}: {unknown[0]!r} is not one of {sorted(keys)}", field=field)
        return values if attribute.datatype == "multivaluelist" else values[0]
    value = values[0]
    if len(value) > max_chars or (attribute.datatype == "string" and "\n" in value):
        raise InvalidReport(f"{field}: at most {max_chars} characters on one line", field=field)
    if attribute.datatype == "number":
        try:
            number = float(value)
        except ValueError:
            raise InvalidReport(f"{field}: {value!r} is not a number", field=field) from None
        if not math.isfinite(number):
            raise InvalidReport(f"{field}: {value!r} is not a finite number", field=field)
        return number
    if attribute.datatype == "datetime":
        try:
            return datetime.fromisoformat(value).isoformat()
        except ValueError:
            raise InvalidReport(f"{field}: {value!r} is not an ISO 8601 date and time", field=field) from None
    return value
