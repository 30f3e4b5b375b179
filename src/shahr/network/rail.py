"""The rail network as one graph of stations, for distance fares charged on the shortest path.

Nodes are stations (a stop's parent_station, or the stop itself). Each rail trip pattern adds an
edge from each station to the next, weighted by the distance ridden between them (the default
method chain of `distances`); a pair served by several patterns keeps the shortest. Lines join where
they share a station, and where transfers.txt links stops of two different stations: that edge
weighs 0, because a line change inside the gates is not a leg and the fare charges only the distance
ridden. Edges are directed as trips run and as transfers.txt lists them (GTFS transfers are one-way).
"""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx
import pandas as pd

from shahr.network.distances import AlongTrip
from shahr.network.patterns import TripPattern
from shahr.network.stops import StopIndex

_NO_TRANSFER = {3, 4, 5}  # transfer_type: not possible; in-seat transfers are trip-to-trip, not stations


class RailGraph:
    """Shortest paths between stations; Dijkstra runs once per entry station, on first use."""

    def __init__(self, graph: nx.DiGraph) -> None:
        self._graph = graph
        self._from: dict[str, tuple[dict[str, list[str]], dict[str, float]]] = {}

    @classmethod
    def build(
        cls,
        patterns: Iterable[TripPattern],
        stops: StopIndex,
        along: AlongTrip,
        transfers: pd.DataFrame | None,
    ) -> RailGraph:
        """The graph of the given (rail) patterns, joined by the in-gate transfers between their stations."""
        graph = nx.DiGraph()
        for pattern in patterns:
            stations = [stops.station_of(s) for s in pattern.stop_ids]
            graph.add_nodes_from(stations)
            for k in range(len(stations) - 1):
                ride = along.ride_m(pattern, k, k + 1)
                if stations[k] != stations[k + 1] and ride is not None:
                    _add_shortest(graph, stations[k], stations[k + 1], ride[0])
        for source, target in _station_transfers(transfers, stops):
            if source in graph and target in graph:
                _add_shortest(graph, source, target, 0.0)
        return cls(graph)

    def has_station(self, station: str) -> bool:
        return station in self._graph

    def shortest(self, source: str, target: str) -> tuple[float, tuple[str, ...]] | None:
        """Metres and stations of the shortest path, or None when `target` cannot be reached."""
        if source not in self._from:
            self._from[source] = nx.dijkstra_predecessor_and_distance(self._graph, source)
        predecessors, metres = self._from[source]
        if target not in metres:
            return None
        path = [target]
        while path[-1] != source:
            path.append(predecessors[path[-1]][0])
        return metres[target], tuple(reversed(path))


def _add_shortest(graph: nx.DiGraph, source: str, target: str, metres: float) -> None:
    if not graph.has_edge(source, target) or graph[source][target]["weight"] > metres:
        graph.add_edge(source, target, weight=metres)


def _station_transfers(transfers: pd.DataFrame | None, stops: StopIndex) -> list[tuple[str, str]]:
    """(from station, to station) of each stop-to-stop transfer between two different stations."""
    if transfers is None or not {"from_stop_id", "to_stop_id"} <= set(transfers.columns):
        return []
    usable = transfers["from_stop_id"].notna() & transfers["to_stop_id"].notna()
    usable &= ~transfers["transfer_type"].isin(_NO_TRANSFER).fillna(False)
    pairs = zip(transfers.loc[usable, "from_stop_id"], transfers.loc[usable, "to_stop_id"], strict=True)
    stations = [(stops.station_of(str(a)), stops.station_of(str(b))) for a, b in pairs]
    return [(a, b) for a, b in stations if a != b]
