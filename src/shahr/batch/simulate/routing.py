"""Which rides take a rider from one stop to another: the best path for every pair of stops, found once
per feed and date, so that each simulated journey is a table lookup.

A ride is one edge: board a pattern at one position, alight at a later one. Between rides a rider
walks to a stop within `WALK_RADIUS_M` or of the same station. Paths are searched in rounds (round k:
reached with k rides, at most `MAX_RIDES`), as RAPTOR does, but over typical times rather than a
clock: cost = in-vehicle time + walking + per boarding `BOARD_PENALTY_S` and half the pattern's
headway (capped at `MAX_WAIT_S`). Each stop pair keeps the round with the lowest cost, so a rider
takes a transfer only when it saves more than its penalty. Timing against the real trips happens
later (`itineraries`).

Costs are whole seconds packed with the edge number into one int64 (`cost << SHIFT | edge`), so the
cheapest edge into each stop and its identity come out of one `np.minimum.reduceat`; ties go to the
lower edge number, which keeps paths deterministic. Memory is about 40 bytes per stop pair kept (with
the demand tables) and 70 while building: about 1 GB at 4,000 stops, enough for a city feed, not a
national one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from shahr.batch.simulate.timetable import BoolArray, FloatArray, IntArray, Timetable
from shahr.network.geo import haversine_m

MAX_RIDES = 5
WALK_RADIUS_M = 400.0
WALK_SPEED_MPS = 1.25
WALK_DETOUR = 1.3
"""Streets are longer than the straight line between two stops."""
BOARD_PENALTY_S = 600
"""Per boarding, so per transfer too: a change feels like ten more minutes of riding."""
MAX_WAIT_S = 900
PLATFORM_CHANGE_S = 120
"""Changing lines inside a station's gates."""
_SHIFT = 24
_INF = 1 << 30
_BATCH_CELLS = 1 << 22


@dataclass(frozen=True, eq=False)
class Paths:
    """Best rides for every origin x destination node; `rides[o, d, :n_rides[o, d]]` are edge numbers."""

    rides: NDArray[np.int32]
    n_rides: NDArray[np.int8]
    edge_pattern: IntArray
    edge_board: IntArray
    """Position in the pattern where the ride boards; `edge_alight` where it alights."""
    edge_alight: IntArray
    distance_m: FloatArray
    """Straight-line distance between nodes (n x n)."""

    def edge_nodes(self, timetable: Timetable, edge: IntArray) -> tuple[IntArray, IntArray]:
        """Boarding and alighting node of each ride."""
        start = timetable.pattern_start[self.edge_pattern[edge]]
        nodes = timetable.pattern_nodes
        return nodes[start + self.edge_board[edge]], nodes[start + self.edge_alight[edge]]


def find_paths(timetable: Timetable) -> Paths:
    """The cheapest path of at most MAX_RIDES rides between every pair of nodes (none: 0 rides)."""
    distance = haversine_m(
        timetable.node_lat[:, None], timetable.node_lon[:, None], timetable.node_lat, timetable.node_lon
    )
    pattern, board, alight, edge_from, edge_to, edge_cost = _edges(timetable)
    order = np.argsort(edge_to, kind="stable")
    pattern, board, alight = pattern[order], board[order], alight[order]
    edge_from, edge_to, edge_cost = edge_from[order], edge_to[order], edge_cost[order]
    walk_from, walk_to, walk_cost = _walks(timetable, distance)

    n = timetable.n_nodes
    rides = np.full((n, n, MAX_RIDES), -1, dtype=np.int32)
    n_rides = np.zeros((n, n), dtype=np.int8)
    batch = max(1, _BATCH_CELLS // max(len(edge_cost), n))
    for first in range(0, n, batch):
        origins = np.arange(first, min(first + batch, n))
        reached, ride_parent, walk_parent = _search(
            origins, n, (edge_from, edge_to, edge_cost), (walk_from, walk_to, walk_cost)
        )
        _trace(origins, reached, ride_parent, walk_parent, edge_from, walk_from, rides, n_rides)
    same_route = (
        timetable.pattern_route[pattern[rides[..., 1:]]] == timetable.pattern_route[pattern[rides[..., :-1]]]
    )
    repeats = ((rides[..., 1:] >= 0) & same_route).any(axis=2)
    n_rides[repeats] = 0
    rides[repeats] = -1
    return Paths(rides, n_rides, pattern, board, alight, distance)


def _edges(tt: Timetable) -> tuple[IntArray, IntArray, IntArray, IntArray, IntArray, IntArray]:
    """Every ride of every pattern: (pattern, board position, alight position, from, to, cost)."""
    parts: list[tuple[IntArray, ...]] = []
    for p in range(len(tt.pattern_route)):
        start, end = tt.pattern_start[p], tt.pattern_start[p + 1]
        board, alight = np.triu_indices(int(end - start), 1)
        nodes = tt.pattern_nodes[start:end]
        ride_s = tt.pattern_arrive_s[start + alight] - tt.pattern_depart_s[start + board]
        wait_s = min(tt.pattern_headway_s[p] / 2, MAX_WAIT_S) + BOARD_PENALTY_S
        keep = nodes[board] != nodes[alight]
        cost = np.maximum(np.rint(ride_s + wait_s), 1).astype(np.int64)
        parts.append(
            (
                np.full(keep.sum(), p),
                board[keep],
                alight[keep],
                nodes[board][keep],
                nodes[alight][keep],
                cost[keep],
            )
        )
    columns = [np.concatenate([part[c] for part in parts]).astype(np.int64) for c in range(6)]
    return columns[0], columns[1], columns[2], columns[3], columns[4], columns[5]


def _walks(tt: Timetable, distance: FloatArray) -> tuple[IntArray, IntArray, IntArray]:
    """Walking transfers (a -> b, seconds), every node's own (b -> b, 0) included, sorted by b."""
    same_station = tt.node_station[:, None] == tt.node_station[None, :]
    walk_from, walk_to = np.nonzero((distance <= WALK_RADIUS_M) | same_station)
    seconds = np.rint(distance[walk_from, walk_to] * WALK_DETOUR / WALK_SPEED_MPS).astype(np.int64)
    inside = same_station[walk_from, walk_to] & (walk_from != walk_to)
    seconds = np.where(inside, np.maximum(seconds, PLATFORM_CHANGE_S), seconds)
    order = np.lexsort((walk_from, walk_to))
    return walk_from[order], walk_to[order], seconds[order]


def _relax(
    labels: IntArray, source: IntArray, target: IntArray, cost: IntArray, n: int
) -> tuple[IntArray, IntArray]:
    """Cheapest arrival at each node over the arcs (sorted by target), and the arc used (-1: none)."""
    candidate = np.minimum(labels[:, source] + cost, _INF)
    packed = (candidate << _SHIFT) | np.arange(len(cost), dtype=np.int64)
    heads, starts = np.unique(target, return_index=True)
    best = np.full((labels.shape[0], n), _INF << _SHIFT, dtype=np.int64)
    best[:, heads] = np.minimum.reduceat(packed, starts, axis=1)
    arrived = best >> _SHIFT
    parent = np.where(arrived < _INF, best & ((1 << _SHIFT) - 1), -1)
    return np.minimum(arrived, _INF), parent


def _search(
    origins: IntArray,
    n: int,
    edges: tuple[IntArray, IntArray, IntArray],
    walks: tuple[IntArray, IntArray, IntArray],
) -> tuple[IntArray, IntArray, IntArray]:
    """Rounds of rides then walks from each origin: cost of standing at each node after round k's ride
    and a walk (k x origins x nodes), the ride used in round k, and the walk into each node after
    round k - 1 (index 0: from the origin, before any ride)."""
    start = np.full((len(origins), n), _INF, dtype=np.int64)
    start[np.arange(len(origins)), origins] = 0
    standing, walk_parent0 = _relax(start, *walks, n)
    reached, ride_parent, walk_parent = [], [], [walk_parent0]
    for _ in range(MAX_RIDES):
        arrived, ride = _relax(standing, *edges, n)
        standing, walked = _relax(arrived, *walks, n)
        reached.append(standing)
        ride_parent.append(ride)
        walk_parent.append(walked)
    return np.stack(reached), np.stack(ride_parent), np.stack(walk_parent)


def _trace(
    origins: IntArray,
    reached: IntArray,
    ride_parent: IntArray,
    walk_parent: IntArray,
    edge_from: IntArray,
    walk_from: IntArray,
    rides: NDArray[np.int32],
    n_rides: NDArray[np.int8],
) -> None:
    """Walk the parents back from every destination's cheapest round, filling `rides` in order. The
    last ride may alight at a stop within a walk of the destination."""
    best_round = np.argmin(reached, axis=0)
    cost = np.min(reached, axis=0)
    n = reached.shape[2]
    row, dest = np.nonzero((cost < _INF) & (origins[:, None] != np.arange(n)[None, :]))
    count = best_round[row, dest] + 1
    n_rides[origins[row], dest] = count
    node = walk_from[walk_parent[count, row, dest]]
    left = count.copy()
    live: BoolArray = left > 0
    while live.any():
        r, k, at = row[live], left[live] - 1, node[live]
        edge = ride_parent[k, r, at]
        rides[origins[r], dest[live], k] = edge
        node[live] = walk_from[walk_parent[k, r, edge_from[edge]]]
        left[live] -= 1
        live = left > 0
