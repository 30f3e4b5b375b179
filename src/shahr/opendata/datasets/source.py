"""A settled service day as the transit datasets read it, from either place a day is settled: a folder
written by `shahr settle`, or the fare-collection service's database once the day is closed. Both give
the settlement's frames (`shahr.batch.settle` schemas), so every builder is written once.

From the database, card ids (opaque strings there) become numbers 0, 1, 2 ... in id order, and a card's
journeys are numbered from 0 (the service numbers them from 1): builders only count and order a card's
journeys, and no card id leaves this module in any case. Operator shares there are the shares of what
the card was charged after caps and passes (`RatedJourney.charged_shares`), which is what the service's
clearing pays; a settled folder holds the shares of the fares.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from shahr.backoffice.taps import RatedJourney, ServiceDay
from shahr.batch.settle import JOURNEYS_SCHEMA, LEGS_SCHEMA, SHARES_SCHEMA
from shahr.civic.settings import CivicSettings
from shahr.opendata.datasets.spec import DatasetError

_KEY = ["card_id", "journey_seq"]
_LEG_NAMES = ["card_id", "journey_seq", "leg_seq", "mode", "route_id", "operator"]
_LEG_NAMES += ["board_stop", "board_at", "alight_stop", "alight_at"]
LEG_COLUMNS = {name: LEGS_SCHEMA[name] for name in _LEG_NAMES}
JOURNEY_COLUMNS = {
    name: JOURNEYS_SCHEMA[name] for name in ("card_id", "journey_seq", "service_date", "rider_category")
}
"""The settlement's columns the builders read (`shahr.batch.settle` schemas): nothing else is loaded."""


@dataclass(frozen=True)
class SettledFrames:
    """One service date's legs, journeys and operator shares (`LEG_COLUMNS`, `JOURNEY_COLUMNS`, all of
    `SHARES_SCHEMA`), sorted by card, journey and leg as a settlement writes them, and their source."""

    service_date: date
    legs: pl.DataFrame
    journeys: pl.DataFrame
    operator_shares: pl.DataFrame
    source: str


@dataclass(frozen=True)
class TransitDay:
    """What every transit builder is given: the day's frames, its rides (`rides`, made once), the time
    zone hours are told in (the policy's), the zone of each stop (the policy lab's zones; `stop_id`,
    `zone`) and every zone's id."""

    frames: SettledFrames
    rides: pl.DataFrame
    timezone: str
    stop_zones: pl.DataFrame
    zone_ids: tuple[str, ...]


@dataclass(frozen=True)
class CivicDay:
    """What every civic builder is given: the database, the last local day to cover, the time zone
    days are told in, the civic settings (thresholds) and the moment the figures are as of."""

    session: Session
    until: date
    timezone: str
    settings: CivicSettings
    now: datetime

    @property
    def cutoff(self) -> datetime:
        """The end of `until`: the next local midnight, in UTC."""
        return datetime.combine(self.until + timedelta(days=1), time(), ZoneInfo(self.timezone)).astimezone(
            UTC
        )

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(ZoneInfo(self.timezone)).date()


def read_settled_dir(path: Path, service_date: date) -> SettledFrames:
    """The journeys of `service_date` in a settled folder, with their legs and shares (a folder may also
    hold journeys of the day before: taps before the service day starts)."""
    legs = _read(path / "legs.parquet", LEG_COLUMNS)
    everything = _read(path / "journeys.parquet", JOURNEY_COLUMNS)
    shares = _read(path / "operator_shares.parquet", SHARES_SCHEMA)
    journeys = everything.filter(pl.col("service_date") == service_date)
    if journeys.is_empty():
        dates = sorted(set(everything["service_date"].to_list()))
        held = ", ".join(d.isoformat() for d in dates) or "none"
        raise DatasetError(f"{path}: no journeys of service day {service_date} (it holds: {held})")
    if journeys.height < everything.height:
        keys = journeys.select(_KEY)
        legs = legs.join(keys, on=_KEY, how="semi", maintain_order="left")
        shares = shares.join(keys, on=_KEY, how="semi", maintain_order="left")
    return SettledFrames(service_date, legs, journeys, shares, f"settled day {path}")


def read_service_day(session: Session, service_date: date) -> SettledFrames:
    """The rated journeys of a closed service day, as a settlement's frames."""
    if session.get(ServiceDay, service_date) is None:
        raise DatasetError(f"service day {service_date} is not closed: its journeys may still be re-rated")
    rows = session.scalars(
        select(RatedJourney)
        .where(RatedJourney.service_date == service_date)
        .order_by(RatedJourney.card_id, RatedJourney.journey_seq)
    )
    numbers: dict[str, int] = {}
    journeys_of: dict[int, int] = {}
    legs: list[dict[str, Any]] = []
    journeys: list[dict[str, Any]] = []
    shares: list[dict[str, Any]] = []
    for row in rows:
        card = numbers.setdefault(row.card_id, len(numbers))
        seq = journeys_of[card] = journeys_of.get(card, -1) + 1  # from 0, as a settlement numbers them
        key = {"card_id": card, "journey_seq": seq}
        category = row.explanation["explanation"]["rider_category"]
        journeys.append({**key, "service_date": row.service_date, "rider_category": category})
        legs += [{**key, "leg_seq": seq, **_leg(leg)} for seq, leg in enumerate(row.explanation["legs"])]
        shares += [
            {**key, "operator": operator, "amount": amount} for operator, amount in row.charged_shares.items()
        ]
    return SettledFrames(
        service_date,
        pl.DataFrame(legs, schema=LEG_COLUMNS),
        pl.DataFrame(journeys, schema=JOURNEY_COLUMNS),
        pl.DataFrame(shares, schema=SHARES_SCHEMA),
        "the fare-collection service's rated journeys",
    )


def _leg(leg: dict[str, Any]) -> dict[str, Any]:
    return {
        "mode": leg["mode"],
        "route_id": leg["route_id"],
        "operator": leg["agency_id"] or "unknown",
        "board_stop": leg["board_stop"],
        "board_at": _instant(leg["board_time"]),
        "alight_stop": leg["exit_stop"],
        "alight_at": _instant(leg["alight_time"]) if leg["alight_time"] else None,
    }


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def _read(path: Path, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """The file's columns of `schema`, in its types."""
    try:
        found = pl.read_parquet_schema(path)
        missing = [f"{name!r} ({dtype})" for name, dtype in schema.items() if name not in found]
        if missing:
            raise DatasetError(f"{path}: missing column {', '.join(missing)}")
        frame = pl.read_parquet(path, columns=list(schema))
    except FileNotFoundError as exc:
        raise DatasetError(f"{path}: no such file: is this a settled day (`shahr settle --out`)?") from exc
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise DatasetError(f"{path}: cannot read as Parquet: {exc}") from exc
    return frame.cast(schema)  # type: ignore[arg-type]


def rides(day: SettledFrames, timezone: str) -> pl.DataFrame:
    """Every boarding of the day, in (card, journey, leg) order, with its journey's rider category and its
    local hour: the legs but the penalty legs of a tap-off without a tap-on (not rides; the policy lab
    leaves them out the same way, `lab.demand`)."""
    penalty = (pl.col("board_stop") == pl.col("alight_stop")) & (pl.col("board_at") == pl.col("alight_at"))
    riders = day.journeys.select(*_KEY, "rider_category")
    boarded = (
        day.legs.filter(~penalty.fill_null(False))
        .join(riders, on=_KEY, how="inner", maintain_order="left")
        .with_columns(
            service_date=pl.lit(day.service_date),
            hour=pl.col("board_at").dt.convert_time_zone(timezone).dt.hour().cast(pl.Int64),
        )
    )
    return boarded if _in_order(boarded) else boarded.sort(*_KEY, "leg_seq")


def _in_order(legs: pl.DataFrame) -> bool:
    """Whether the legs are sorted by card, journey and leg, as a settlement writes them (sorting 1 M
    legs again would cost more than building a dataset)."""
    card, journey, leg = (pl.col(c).diff() for c in (*_KEY, "leg_seq"))
    ahead = (card > 0) | ((card == 0) & ((journey > 0) | ((journey == 0) & (leg > 0))))
    return bool(legs.select(ahead.fill_null(True).all()).item())
