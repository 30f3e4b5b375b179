"""The ridership response's parameters: elasticity per rider category and the factors that turn new
riders into car trips and CO2 avoided, each with its source, from a TOML file (`presets/` by default)."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shahr.errors import ShahrError
from shahr.lab.figures import Source

DEFAULT_FACTORS = "mashhad-factors"


class FactorsError(ShahrError):
    """A factors file that cannot be used: the message names the file and the key."""


class _Sourced(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    value: float
    source: str = Field(min_length=3)


class _Elasticity(_Sourced):
    value: float = Field(le=0, ge=-5)


class _Factors(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    car_share: _Sourced
    car_trip_km: _Sourced
    co2_g_per_km: _Sourced


class ResponseFactors(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    elasticity: dict[str, _Elasticity]
    factors: _Factors

    def elasticity_of(self, category: str) -> float:
        """The category's elasticity; a category the file does not list responds like `adult`, else 0."""
        found = self.elasticity.get(category) or self.elasticity.get("adult")
        return found.value if found else 0.0

    def sources(self) -> tuple[dict[str, Source], dict[str, Source]]:
        """(elasticities, factors) as the figures record them."""
        elasticity = {k: Source(value=v.value, source=v.source) for k, v in self.elasticity.items()}
        factors = {
            name: Source(value=item.value, source=item.source)
            for name, item in (
                ("car_share", self.factors.car_share),
                ("car_trip_km", self.factors.car_trip_km),
                ("co2_g_per_km", self.factors.co2_g_per_km),
            )
        }
        return elasticity, factors


def load_factors(name_or_path: str | Path = DEFAULT_FACTORS) -> ResponseFactors:
    """A shipped factors file by name, or a file by path."""
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        try:
            text, source = path.read_text(encoding="utf-8"), str(path)
        except OSError as exc:
            raise FactorsError(f"{path}: cannot read: {exc.strerror}") from exc
    else:
        packaged = resources.files("shahr.lab") / "presets" / f"{name_or_path}.toml"
        if not packaged.is_file():
            raise FactorsError(f"no factors file or preset named {str(name_or_path)!r}")
        text, source = packaged.read_text(encoding="utf-8"), f"preset {name_or_path}"
    try:
        return ResponseFactors.model_validate(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise FactorsError(f"{source}: not valid TOML: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise FactorsError(f"{source}: {problems}") from exc
