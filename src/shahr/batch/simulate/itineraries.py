"""Journeys on the feed's real trips, timed for a whole chunk at once.

A journey follows the precomputed path between its origin and destination (`routing`); each ride
boards the first real departure at or after the rider reaches the stop (`Timetable.next_departure`)
and alights at the trip's real arrival. Rounds run over the cards' first, second and third journeys,
and within a journey over its rides, each step vectorised over every card still travelling.

Riders on rail enter by a gate (tap-on; at most `PLATFORM_WAIT_S` before they would need to), walk
`GATE_WALK_S` to the platform, may change lines inside the station (no taps) and leave by a gate
(tap-off) `GATE_WALK_S` after the train arrives. On a vehicle, the tap-on falls while it stands at the
stop (between the rider's arrival or the vehicle's, and its departure) and the tap-off while it stands
at the alighting stop. Between rides the rider walks to the next stop (or stays at the same one) and
takes `WALK_EXTRA_S` more to get ready; some run an errand first (`STOPOVER_SHARE`, `STOPOVER_S`):
those transfers fall beyond a 30-minute window. A ride with no departure left that day ends the
journey where the rider is; a journey that cannot start ends the card's day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shahr.batch.simulate.blocks import BlockRandom
from shahr.batch.simulate.demand import MAX_JOURNEYS, Cards, Demand
from shahr.batch.simulate.routing import MAX_RIDES, WALK_DETOUR, WALK_SPEED_MPS, Paths
from shahr.batch.simulate.timetable import BoolArray, FloatArray, IntArray, Timetable

MINUTE = 60.0
GATE_WALK_S = (60.0, 180.0)
PLATFORM_WAIT_S = 10 * MINUTE
"""A rider waits outside rather than enter the gates longer than this before the train."""
PLATFORM_CHANGE_S = (90.0, 240.0)
WALK_EXTRA_S = (30.0, 90.0)
STOPOVER_SHARE = 0.05
STOPOVER_S = (30 * MINUTE, 120 * MINUTE)
ACTIVITY_S = (15 * MINUTE, 45 * MINUTE)
"""Least time between arriving from one journey and starting the next."""
MIN_RIDE_S = 30.0
"""A vehicle tap-off comes at least this long after the tap-on."""


@dataclass(frozen=True, eq=False)
class Rides:
    """Rides of a chunk in card, journey, ride order; times in seconds after the service day starts."""

    card: IntArray
    """Index of the card in the chunk."""
    journey: IntArray
    gated: BoolArray
    board: IntArray
    alight: IntArray
    trip: IntArray
    tap_on_s: FloatArray
    """The gate entry (rail) or the tap on the vehicle."""
    tap_off_s: FloatArray
    """The gate exit (rail) or the tap on the vehicle at the alighting stop."""
    taps_on: BoolArray
    """False for a rail ride changed to inside the station: the gates saw only the first entry."""
    taps_off: BoolArray
    """False for a rail ride followed by a change inside the station."""
    journeys_made: IntArray
    """Journeys per card of the chunk."""


def ride_journeys(cards: Cards, tt: Timetable, paths: Paths, demand: Demand, rand: BlockRandom) -> Rides:
    """Every journey of the chunk's cards, ride by ride on real trips."""
    n = len(cards.card_id)
    location = cards.home.copy()
    free_s = np.full(n, -np.inf)
    alive = np.ones(n, dtype=bool)
    made = np.zeros(n, dtype=np.int64)
    parts: list[dict[str, np.ndarray]] = [_no_rides()]
    for k in range(MAX_JOURNEYS):
        who = np.flatnonzero(alive & (cards.n_journeys > k))
        u = rand.uniform(cards.block[who], 2)
        origin = location[who]
        dest = demand.destinations(origin, u[:, 0])
        if k > 0:
            home = cards.home[who]
            going_home = (cards.n_journeys[who] == k + 1) & demand.reaches[origin, home]
            dest = np.where(going_home, home, dest)
        start = np.maximum(cards.start_s[who, k], free_s[who] + _between(ACTIVITY_S, u[:, 1]))
        stuck = dest < 0
        alive[who[stuck]] = False
        who, origin, dest, start = who[~stuck], origin[~stuck], dest[~stuck], start[~stuck]
        end_node, end_s, done = _ride(who, origin, dest, start, cards, tt, paths, rand, k, parts)
        alive[who[done == 0]] = False
        location[who], free_s[who] = end_node, end_s
        made[who] += done > 0
    return _assemble(parts, made)


def _ride(
    who: IntArray,
    origin: IntArray,
    dest: IntArray,
    start: FloatArray,
    cards: Cards,
    tt: Timetable,
    paths: Paths,
    rand: BlockRandom,
    journey: int,
    parts: list[dict[str, np.ndarray]],
) -> tuple[IntArray, FloatArray, IntArray]:
    """The rides of one journey per card in `who`; returns where and when each ends, and its rides."""
    edges, n_rides = paths.rides[origin, dest], paths.n_rides[origin, dest]
    at, free_s, arrived_s = origin.copy(), start.copy(), start.copy()
    on_rail = np.zeros(len(who), dtype=bool)
    done = np.zeros(len(who), dtype=np.int64)
    going = np.ones(len(who), dtype=bool)
    for r in range(MAX_RIDES):
        live = np.flatnonzero(going & (n_rides > r))
        if not live.size:
            break
        edge = edges[live, r]
        pattern = paths.edge_pattern[edge]
        board, alight = paths.edge_nodes(tt, edge)
        gated = tt.pattern_gated[pattern]
        inside = on_rail[live] & gated & (tt.node_station[board] == tt.node_station[at[live]])
        u = rand.uniform(cards.block[who[live]], 7)
        walk_s = paths.distance_m[at[live], board] * WALK_DETOUR / WALK_SPEED_MPS
        walk_s += np.where((at[live] != board) | (r > 0), _between(WALK_EXTRA_S, u[:, 0]), 0.0)
        ready = np.where(
            inside, arrived_s[live] + _between(PLATFORM_CHANGE_S, u[:, 0]), free_s[live] + walk_s
        )
        errand = (r > 0) & ~inside & (u[:, 1] < STOPOVER_SHARE)
        ready += np.where(errand, _between(STOPOVER_S, u[:, 2]), 0.0)
        gate_walk = np.where(gated & ~inside, _between(GATE_WALK_S, u[:, 3]), 0.0)
        earliest = ready + gate_walk
        found, trip = tt.next_departure(pattern, paths.edge_board[edge], earliest)
        going[live[~found]] = False
        keep = np.flatnonzero(found)
        live, trip, gated, inside = live[keep], trip[keep], gated[keep], inside[keep]
        ready, gate_walk, u = ready[keep], gate_walk[keep], u[keep]
        edge, board, alight = edge[keep], board[keep], alight[keep]
        row_on = tt.trip_start[trip] + paths.edge_board[edge]
        row_off = tt.trip_start[trip] + paths.edge_alight[edge]
        vehicle_ready = np.maximum(ready, tt.arrival_s[row_on])
        vehicle_on = vehicle_ready + u[:, 4] * (tt.departure_s[row_on] - vehicle_ready)
        dwell_off = tt.departure_s[row_off] - tt.arrival_s[row_off]
        vehicle_off = np.maximum(tt.arrival_s[row_off] + u[:, 5] * dwell_off, vehicle_on + MIN_RIDE_S)
        gate_on = np.maximum(ready, tt.departure_s[row_on] - gate_walk - PLATFORM_WAIT_S)
        gate_off = tt.arrival_s[row_off] + _between(GATE_WALK_S, u[:, 6])
        tap_off = np.where(gated, gate_off, vehicle_off)
        parts.append(
            {
                "card": who[live],
                "journey": np.full(len(live), journey),
                "ride": np.full(len(live), r),
                "gated": gated,
                "board": board,
                "alight": alight,
                "trip": trip,
                "tap_on_s": np.where(gated, gate_on, vehicle_on),
                "tap_off_s": tap_off,
                "inside": inside,
            }
        )
        at[live], arrived_s[live], free_s[live] = alight, tt.arrival_s[row_off], tap_off
        on_rail[live] = gated
        done[live] += 1
    return at, free_s, done


def _assemble(parts: list[dict[str, np.ndarray]], made: IntArray) -> Rides:
    """Rides in card, journey, ride order, with the taps the gates see for changes inside stations."""
    columns = {name: np.concatenate([part[name] for part in parts]) for name in _COLUMNS}
    order = np.lexsort((columns["ride"], columns["journey"], columns["card"]))
    c = {name: values[order] for name, values in columns.items()}
    inside = c["inside"].astype(bool)
    changes_next = np.r_[inside[1:], False]
    return Rides(
        card=c["card"],
        journey=c["journey"],
        gated=c["gated"].astype(bool),
        board=c["board"],
        alight=c["alight"],
        trip=c["trip"],
        tap_on_s=c["tap_on_s"],
        tap_off_s=c["tap_off_s"],
        taps_on=~inside,
        taps_off=~changes_next,
        journeys_made=made,
    )


_COLUMNS = ("card", "journey", "ride", "gated", "board", "alight", "trip", "tap_on_s", "tap_off_s", "inside")


def _no_rides() -> dict[str, np.ndarray]:
    """Typed empty columns, so a chunk where nobody travels still assembles."""
    columns: dict[str, np.ndarray] = {name: np.zeros(0, dtype=np.int64) for name in _COLUMNS}
    columns.update(
        gated=np.zeros(0, dtype=bool),
        inside=np.zeros(0, dtype=bool),
        tap_on_s=np.zeros(0),
        tap_off_s=np.zeros(0),
    )
    return columns


def _between(bounds: tuple[float, float], u: FloatArray) -> FloatArray:
    low, high = bounds
    return low + (high - low) * u
