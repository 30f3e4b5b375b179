"""Splitting journeys' fares between the operators of their legs, in whole minor units.

The weights are the policy's `apportionment`: each leg's own base fare (as a first boarding) or the
distance ridden on it. Each leg gets floor(fare x weight / total weight); the minor units left over go
one each to the legs with the largest remainders, earlier legs first on a tie (largest remainder /
Hamilton method), so the parts add up exactly to the fare. All-zero weights split equally.

One vectorised function serves one journey (the back office) and a whole day (the settlement).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from shahr.fares.load import Policy
from shahr.fares.model import Journey
from shahr.fares.rules.base import base_fare

Int64Array = npt.NDArray[np.int64]


def apportion(fares: Int64Array, journey_of_leg: Int64Array, weights: Int64Array) -> Int64Array:
    """Each leg's share of its journey's fare. Legs must be grouped by journey, in leg order;
    `journey_of_leg[i]` indexes `fares`."""
    n_legs = len(journey_of_leg)
    if n_legs == 0:
        return np.zeros(0, dtype=np.int64)
    weights = weights.astype(np.int64)
    totals = np.bincount(journey_of_leg, weights=weights, minlength=len(fares)).astype(np.int64)
    leg_counts = np.bincount(journey_of_leg, minlength=len(fares)).astype(np.int64)
    equal = totals[journey_of_leg] == 0
    w = np.where(equal, 1, weights)
    total = np.where(equal, leg_counts[journey_of_leg], totals[journey_of_leg])
    product = fares[journey_of_leg] * w
    shares = product // total
    remainder = product % total
    left = fares - np.bincount(journey_of_leg, weights=shares, minlength=len(fares)).astype(np.int64)
    # Rank legs within their journey by remainder (largest first), then by position (earliest first).
    position = np.arange(n_legs, dtype=np.int64)
    order = np.lexsort((position, -remainder, journey_of_leg))
    first_of_journey = np.searchsorted(journey_of_leg[order], journey_of_leg[order], side="left")
    rank = np.empty(n_legs, dtype=np.int64)
    rank[order] = position - first_of_journey
    return shares + (rank < left[journey_of_leg]).astype(np.int64)


def leg_weights(policy: Policy, journey: Journey) -> Int64Array:
    """The apportionment weights of a journey's legs under the tariff in force for it."""
    tariff = policy.version_for(policy.service_date(journey.start))
    if tariff.apportionment == "distance":
        return np.array([leg.distance.metres for leg in journey.legs], dtype=np.int64)
    weights = []
    for leg in journey.legs:
        board = leg.board
        local = policy.local_time(board.time)
        amount, _ = base_fare(tariff, leg.mode, board.medium, board.rider_category, local, first=True)
        weights.append(0 if leg.free else amount)
    return np.array(weights, dtype=np.int64)


def operator_shares(policy: Policy, journey: Journey) -> dict[str, int]:
    """A journey's fare by operator (the agency of each leg's route; `unknown` when a leg has none)."""
    parts = apportion(
        np.array([journey.fare_minor], dtype=np.int64),
        np.zeros(len(journey.legs), dtype=np.int64),
        leg_weights(policy, journey),
    )
    shares: dict[str, int] = {}
    for leg, part in zip(journey.legs, parts, strict=True):
        operator = leg.agency_id or "unknown"
        shares[operator] = shares.get(operator, 0) + int(part)
    return shares
