"""Who travels, from where to where, and when: the demand model (documented in docs/taps.md).

- Stop weight: departures on the day from every stop within `DENSITY_RADIUS_M` (busy, dense places
  weigh more). Homes are drawn in proportion to it.
- Destinations by a gravity model: P(d | o) ∝ weight(d) x exp(-distance(o, d) / `DECAY_M`), over
  stops at least `MIN_TRIP_M` away that the network reaches in at most five rides.
- Each card makes 1-3 journeys (`JOURNEY_SHARES`), chained: home -> d1 (-> d2) -> home.
- Departure times from a weekday profile with morning and evening peaks (`TIME_PROFILE`), sorted per card.
- Rider category and medium are the card's, from `CATEGORY_SHARES` and `QR_SHARE`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shahr.batch.simulate.blocks import BLOCK_CARDS, BlockRandom
from shahr.batch.simulate.routing import Paths
from shahr.batch.simulate.timetable import BoolArray, FloatArray, IntArray, Timetable
from shahr.errors import FeedError

DENSITY_RADIUS_M = 500.0
DECAY_M = 5000.0
"""λ of the gravity model: a destination 5 km further is e (2.7) times less likely."""
MIN_TRIP_M = 1000.0
"""Nearer places are walked to."""
CATEGORIES = ("adult", "youth", "child", "senior")
CATEGORY_SHARES = (0.70, 0.15, 0.05, 0.10)
MEDIA = ("card", "qr")
QR_SHARE = 0.05
JOURNEY_SHARES = (0.25, 0.55, 0.20)
"""Cards making 1, 2, 3 journeys: 1.95 on average."""
MAX_JOURNEYS = len(JOURNEY_SHARES)
HOUR = 3600.0
TIME_PROFILE: tuple[tuple[float, str, float, float], ...] = (
    (0.30, "normal", 7.75 * HOUR, 0.75 * HOUR),  # morning peak: 07:45, sd 45 min
    (0.30, "normal", 17.5 * HOUR, 1.25 * HOUR),  # evening peak: 17:30, sd 75 min
    (0.30, "uniform", 9.5 * HOUR, 16.0 * HOUR),  # daytime: 09:30-16:00
    (0.10, "uniform", 5.5 * HOUR, 22.5 * HOUR),  # any time of the service
)
"""(share, shape, mean or start, sd or end) of departure times, seconds after the service day starts."""
EARLIEST_S, LATEST_S = 5.0 * HOUR, 23.0 * HOUR


@dataclass(frozen=True, eq=False)
class Demand:
    """Gravity-model tables of one feed and date."""

    origin_cdf: FloatArray
    destination_cdf: FloatArray
    """Row o's cumulative destination probabilities plus o, flattened: one searchsorted draws for all."""
    has_destination: BoolArray
    reaches: BoolArray
    """o x d: a path exists and d is at least MIN_TRIP_M away."""

    def destinations(self, origin: IntArray, u: FloatArray) -> IntArray:
        """A gravity-model destination per origin; -1 where the origin reaches nowhere."""
        n = len(self.has_destination)
        at = np.searchsorted(self.destination_cdf, origin + u, side="right")
        found = np.clip(at - origin * n, 0, n - 1)  # o + u may round up to o + 1 for u near 1
        return np.where(self.has_destination[origin], found, -1)


def build_demand(timetable: Timetable, paths: Paths) -> Demand:
    """Stop weights, home and destination distributions of the day's service."""
    near = paths.distance_m <= DENSITY_RADIUS_M
    weight = near.astype(np.float64) @ timetable.node_departures.astype(np.float64)
    reaches = (paths.n_rides > 0) & (paths.distance_m >= MIN_TRIP_M)
    gravity = np.where(reaches, weight[None, :] * np.exp(-paths.distance_m / DECAY_M), 0.0)
    total = gravity.sum(axis=1)
    has = total > 0
    if not has.any():
        raise FeedError(
            f"no stop reaches another {MIN_TRIP_M:.0f} m away or more on the day: no journeys to make"
        )
    rows = np.cumsum(gravity, axis=1) / np.where(has, total, 1.0)[:, None]
    rows[~has] = 1.0
    rows[:, -1] = 1.0
    n = timetable.n_nodes
    home_weight = np.where(has, weight, 0.0)
    return Demand(
        origin_cdf=np.cumsum(home_weight) / home_weight.sum(),
        destination_cdf=(rows + np.arange(n)[:, None]).ravel(),
        has_destination=has,
        reaches=reaches,
    )


@dataclass(frozen=True, eq=False)
class Cards:
    """The cards of one chunk, in card order."""

    card_id: IntArray
    block: IntArray
    category: IntArray
    medium: IntArray
    n_journeys: IntArray
    home: IntArray
    start_s: FloatArray
    """Wished departure time of each journey (cards x MAX_JOURNEYS), sorted; inf past n_journeys."""


def sample_cards(first_card: int, n_cards: int, demand: Demand, rand: BlockRandom, first_block: int) -> Cards:
    """Cards first_card .. first_card + n_cards - 1 with their category, medium, home and journeys."""
    index = np.arange(first_card, first_card + n_cards, dtype=np.int64)
    block = index // BLOCK_CARDS - first_block
    u = rand.uniform(block, 4 + 3 * MAX_JOURNEYS)
    n_journeys = 1 + np.searchsorted(np.cumsum(JOURNEY_SHARES)[:-1], u[:, 2], side="right")
    times = np.stack([_departure_times(u[:, 4 + 3 * j : 7 + 3 * j]) for j in range(MAX_JOURNEYS)], axis=1)
    times[np.arange(MAX_JOURNEYS)[None, :] >= n_journeys[:, None]] = np.inf
    return Cards(
        card_id=index + 1,
        block=block,
        category=np.searchsorted(np.cumsum(CATEGORY_SHARES)[:-1], u[:, 0], side="right").astype(np.int64),
        medium=(u[:, 1] < QR_SHARE).astype(np.int64),
        n_journeys=n_journeys.astype(np.int64),
        home=np.minimum(
            np.searchsorted(demand.origin_cdf, u[:, 3], side="right"), len(demand.origin_cdf) - 1
        ),
        start_s=np.sort(times, axis=1),
    )


def _departure_times(u: FloatArray) -> FloatArray:
    """Times from TIME_PROFILE: u[:, 0] picks the component, u[:, 1:] place the time in it."""
    shares = np.cumsum([share for share, *_ in TIME_PROFILE])
    component = np.minimum(np.searchsorted(shares / shares[-1], u[:, 0], side="right"), len(TIME_PROFILE) - 1)
    normal = np.sqrt(-2.0 * np.log1p(-u[:, 1])) * np.cos(2.0 * np.pi * u[:, 2])
    out = np.empty(len(u))
    for c, (_, shape, a, b) in enumerate(TIME_PROFILE):
        pick = component == c
        out[pick] = a + b * normal[pick] if shape == "normal" else a + (b - a) * u[pick, 1]
    return np.clip(out, EARLIEST_S, LATEST_S)
