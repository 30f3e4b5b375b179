"""What a simulation is asked for (`SimulationOptions`) and what it made (`Truth`, the ground truth
written into the taps file's metadata under `TRUTH_KEY`)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date

from shahr.batch.simulate.demand import CATEGORIES

COUNTS = (
    "cards",
    "journeys",
    "rides",
    "legs",
    "taps",
    "tap_ons",
    "tap_offs",
    "missing_tap_offs",
    "duplicate_taps",
    "late_uploads",
)
CATEGORY_COUNTS = ("cards", "journeys", "legs", "taps")


@dataclass(frozen=True, slots=True)
class SimulationOptions:
    """A day of taps to generate. Shares are per tap: of tap-offs left out, of taps doubled, of rows
    uploaded late."""

    cards: int
    service_date: date
    seed: int
    missing_tap_off: float = 0.03
    duplicates: float = 0.01
    late: float = 0.02
    chunk_cards: int = 200_000

    def __post_init__(self) -> None:
        if self.cards < 1:
            raise ValueError(f"cards must be at least 1, got {self.cards}")
        if self.chunk_cards < 1:
            raise ValueError(f"chunk_cards must be at least 1, got {self.chunk_cards}")
        if self.seed < 0:
            raise ValueError(f"seed must be 0 or more, got {self.seed}")
        for name in ("missing_tap_off", "duplicates", "late"):
            share = getattr(self, name)
            if not 0.0 <= share <= 1.0:
                raise ValueError(f"{name} is a share between 0 and 1, got {share}")


@dataclass(slots=True)
class Truth:
    """Counts of what was generated. `rides` counts vehicles boarded (a line change inside a station
    is a ride but not a leg); `legs` counts tap-ons made, as the fare engine sees legs; `taps` counts
    rows written, duplicates included and missing tap-offs not."""

    cards: int = 0
    journeys: int = 0
    rides: int = 0
    legs: int = 0
    taps: int = 0
    tap_ons: int = 0
    tap_offs: int = 0
    missing_tap_offs: int = 0
    duplicate_taps: int = 0
    late_uploads: int = 0
    by_category: dict[str, dict[str, int]] = field(
        default_factory=lambda: {c: dict.fromkeys(CATEGORY_COUNTS, 0) for c in CATEGORIES}
    )

    def add(self, other: Truth) -> None:
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for category, counts in other.by_category.items():
            for name, value in counts.items():
                self.by_category[category][name] += value

    def to_document(self, options: SimulationOptions, feed_name: str) -> dict[str, object]:
        """The metadata document: the options that made the file, then the counts. Re-uploads of a
        row and unknown stops are never generated: their counts are there, at 0, for the settlement
        to compare with."""
        return {
            "generator": "shahr simulate taps",
            "feed": feed_name,
            "service_date": options.service_date.isoformat(),
            "seed": options.seed,
            "shares": {
                "missing_tap_off": options.missing_tap_off,
                "duplicates": options.duplicates,
                "late": options.late,
            },
            **asdict(self),
            "duplicate_uploads": 0,
            "unknown_stops": 0,
        }

    def to_json(self, options: SimulationOptions, feed_name: str) -> str:
        return json.dumps(self.to_document(options, feed_name), ensure_ascii=False)
