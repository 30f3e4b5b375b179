"""Reading fare policies: a TOML file or a preset shipped with shahr, into a validated `Policy`."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError

from shahr.errors import PolicyError
from shahr.fares.policy import PolicyFile, Tariff

_HEADER_KEYS = set(PolicyFile.model_fields)
M = TypeVar("M", PolicyFile, Tariff)


@dataclass(frozen=True)
class Policy:
    """A fare policy: its identity and its tariff versions, oldest first."""

    header: PolicyFile
    versions: tuple[Tariff, ...]
    source: str

    @property
    def id(self) -> str:
        return self.header.id

    @property
    def currency(self) -> str:
        return self.header.currency

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.header.timezone)

    def service_date(self, moment: datetime) -> date:
        """The service day a moment belongs to: a tap at 01:00 counts for the day before."""
        local = moment.astimezone(self.tz)
        start = self.header.service_day_start
        shifted = local - timedelta(hours=start.hour, minutes=start.minute)
        return shifted.date()

    def version_for(self, service_date: date) -> Tariff:
        """The tariff in force on a service date; raises PolicyError before the first version."""
        in_force = [v for v in self.versions if v.effective_from <= service_date]
        if not in_force:
            first = self.versions[0].effective_from
            raise PolicyError(
                f"no version in force on {service_date.isoformat()}: the first applies from "
                f"{first.isoformat()}",
                source=self.source,
            )
        return in_force[-1]

    def local_time(self, moment: datetime) -> time:
        return moment.astimezone(self.tz).time()


def list_presets() -> list[str]:
    """Ids of the policies shipped with shahr."""
    folder = resources.files("shahr.fares") / "presets"
    return sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))


def load_policy(name_or_path: str | Path) -> Policy:
    """A preset by id (`seoul-2025`) or a policy file by path."""
    text, source = read_policy_text(name_or_path)
    return parse_policy(text, source=source)


def read_policy_text(name_or_path: str | Path) -> tuple[str, str]:
    """The TOML of a preset or file, and where it came from (what errors name)."""
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        try:
            return path.read_text(encoding="utf-8"), str(path)
        except OSError as exc:
            raise PolicyError(f"cannot read policy file: {exc.strerror}", source=str(path)) from exc
    name = str(name_or_path)
    if name not in list_presets():
        raise PolicyError(f"no preset or file named {name!r}; presets are: {', '.join(list_presets())}")
    text = (resources.files("shahr.fares") / "presets" / f"{name}.toml").read_text(encoding="utf-8")
    return text, f"preset {name}"


def parse_policy(text: str, *, source: str = "<policy>") -> Policy:
    """Validate a policy's TOML text; every problem is reported with its key path."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"not valid TOML: {exc}", source=source) from exc
    revisions = raw.pop("revisions", [])
    if not isinstance(revisions, list):
        raise PolicyError("revisions: must be an array of tables ([[revisions]])", source=source)
    header_raw = {k: raw.pop(k) for k in list(raw) if k in _HEADER_KEYS}
    header = _validate(PolicyFile, header_raw, source, prefix="")
    try:
        ZoneInfo(header.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise PolicyError(f"timezone: unknown time zone {header.timezone!r}", source=source) from exc
    versions = [_validate(Tariff, raw, source, prefix="")]
    merged = raw
    for i, revision in enumerate(revisions):
        merged = _deep_merge(merged, revision)
        versions.append(_validate(Tariff, merged, source, prefix=f"revisions.{i}."))
    dates = [v.effective_from for v in versions]
    if dates != sorted(set(dates)):
        raise PolicyError(
            "revisions: effective_from dates must increase strictly after the base tariff's",
            source=source,
        )
    return Policy(header=header, versions=tuple(versions), source=source)


def _validate(model: type[M], raw: dict[str, Any], source: str, prefix: str) -> M:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            path = ".".join(str(p) for p in err["loc"])
            lines.append(f"{prefix}{path}: {err['msg']}" if path else f"{prefix or 'policy'}: {err['msg']}")
        raise PolicyError("invalid policy:\n  " + "\n  ".join(lines), source=source) from exc


def _deep_merge(base: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    """Tables merge key by key; anything else (numbers, arrays) is replaced whole."""
    merged = dict(base)
    for key, value in change.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
