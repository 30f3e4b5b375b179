"""Reading taps from JSON: a list of tap objects (or `{"taps": [...]}`), grouped by card."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from shahr.errors import ShahrError
from shahr.fares.model import Tap, TapKind


class TapFileError(ShahrError):
    """A taps file cannot be read: names the file, the tap's index and the field."""


class TapRecord(BaseModel):
    """One tap as devices report it; times must carry their UTC offset."""

    model_config = ConfigDict(extra="forbid")

    card_id: str = "card"
    kind: TapKind
    time: AwareDatetime
    stop_id: Annotated[str, Field(min_length=1)]
    route_id: str | None = None
    trip_id: str | None = None
    medium: str = "card"
    rider_category: str = "adult"
    mode: str | None = None
    tap_id: str | None = None

    def to_tap(self) -> Tap:
        return Tap(
            kind=self.kind,
            time=self.time,
            stop_id=self.stop_id,
            route_id=self.route_id,
            trip_id=self.trip_id,
            medium=self.medium,
            rider_category=self.rider_category,
            mode=self.mode,
            tap_id=self.tap_id,
        )


_RECORDS = TypeAdapter(list[TapRecord])


def read_taps(path: Path) -> dict[str, list[Tap]]:
    """Taps per card, each card's taps in the order of the file: the engine reports a tap earlier than
    the one before it as an anomaly (clock skew) rather than have it silently reordered here."""
    try:
        raw: Any = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TapFileError(f"{path}: cannot read: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise TapFileError(f"{path}: not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from exc
    return parse_taps(raw, source=str(path))


def parse_taps(raw: Any, *, source: str = "<taps>") -> dict[str, list[Tap]]:
    if isinstance(raw, dict) and "taps" in raw:
        raw = raw["taps"]
    try:
        records = _RECORDS.validate_python(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors()[:10]:
            loc = err["loc"]
            where = f"tap {loc[0]}" + (f", field {'.'.join(str(p) for p in loc[1:])}" if len(loc) > 1 else "")
            problems.append(f"{where}: {err['msg']}" if loc else err["msg"])
        raise TapFileError(f"{source}: " + "; ".join(problems)) from exc
    cards: dict[str, list[Tap]] = {}
    for record in records:
        cards.setdefault(record.card_id, []).append(record.to_tap())
    return cards
