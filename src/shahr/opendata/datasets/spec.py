"""What a dataset is, apart from its rows: names and notes in English and Persian, who publishes it, what
one row is, its columns and how its cells are protected. The catalog and the Frictionless package are
written from this, so a dataset's documentation cannot drift from its builder's columns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

import polars as pl

from shahr.errors import ShahrError

DEFAULT_K = 10
"""No published cell counts fewer than this many people (cards)."""
LICENSE_ID = "cc-by-4.0"
TRANSIT = "mashhad-transit"
MUNICIPALITY = "mashhad-municipality"


class DatasetError(ShahrError):
    """A dataset cannot be built: its input is missing or unreadable, or a setting is out of range."""


class Method(StrEnum):
    SUPPRESSION = "suppression"
    """Cells of 0 < people < k blanked, and more cells blanked so none can be derived from the margins."""
    DP = "dp"
    """Differential-privacy noise (opendp), epsilon recorded; only where a card's contribution is "
    "bounded."""
    PUBLIC = "public"
    """The rows are public already (Open311 reports, proposals, a published consultation): no counting
    threshold is needed, but no field about a person is ever selected."""


@dataclass(frozen=True)
class Privacy:
    """A dataset's privacy setting; `build` may override k, the method and epsilon per run."""

    method: Method
    k: int = DEFAULT_K
    epsilon: float | None = None
    contribution_bound: int | None = None
    """At most this many rows of one card are counted (trips per card, for the OD matrix): what bounds a
    person's effect on the published counts, which differential privacy needs."""

    def __post_init__(self) -> None:
        if self.k < 1:
            raise DatasetError(f"privacy: k must be at least 1, got {self.k}")
        if self.method is Method.DP and (self.epsilon is None or self.epsilon <= 0):
            raise DatasetError(f"privacy: differential privacy needs an epsilon > 0, got {self.epsilon}")
        if self.method is Method.DP and self.contribution_bound is None:
            raise DatasetError("privacy: differential privacy needs a bound on each card's contribution")
        if self.contribution_bound is not None and self.contribution_bound < 1:
            raise DatasetError(
                f"privacy: the contribution bound must be at least 1, got {self.contribution_bound}"
            )

    def as_dict(self) -> dict[str, Any]:
        """The setting as the catalog records it: only the parameters the method uses."""
        setting: dict[str, Any] = {"method": self.method.value}
        if self.method is Method.SUPPRESSION:
            setting["k"] = self.k
        if self.method is Method.DP:
            setting["epsilon"] = self.epsilon
        if self.contribution_bound is not None:
            setting["contribution_bound"] = self.contribution_bound
        return setting


@dataclass(frozen=True)
class Column:
    name: str
    dtype: pl.DataType
    description: str


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    """CKAN's package name: lowercase letters, digits and -."""
    title_en: str
    title_fa: str
    notes_en: str
    notes_fa: str
    organization: str
    tags: tuple[str, ...]
    grain: str
    """What one row is: no published value is finer."""
    columns: tuple[Column, ...]
    privacy: Privacy
    license_id: str = LICENSE_ID

    @property
    def schema(self) -> dict[str, pl.DataType]:
        return {c.name: c.dtype for c in self.columns}

    def conform(self, frame: pl.DataFrame) -> pl.DataFrame:
        """The frame with exactly the spec's columns, in order and type: a builder cannot publish more."""
        missing = [c.name for c in self.columns if c.name not in frame.columns]
        if missing:
            raise DatasetError(f"dataset {self.name}: the builder left out column(s) {', '.join(missing)}")
        return frame.select(pl.col(c.name).cast(c.dtype) for c in self.columns)


@dataclass(frozen=True)
class Built:
    """A dataset's rows for one release, the period they cover and how they were protected."""

    frame: pl.DataFrame
    period_start: date
    period_end: date
    privacy: dict[str, Any] = field(default_factory=dict)
    """The privacy metadata: the method and its parameters, and what was blanked or noised."""

    @property
    def suppressed_cells(self) -> int:
        return int(self.privacy.get("suppressed_cells", 0))
