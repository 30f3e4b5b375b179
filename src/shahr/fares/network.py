"""What the fare engine asks of a network. `shahr.network.Network` answers it for a GTFS feed;
`shahr.fares.quote` answers it for legs stated by hand. The engine stays pure: a network is an
in-memory object, loaded before rating starts."""

from __future__ import annotations

from typing import Protocol

from shahr.network.model import Distance, RouteInfo


class FareNetwork(Protocol):
    def has_stop(self, stop_id: str) -> bool:
        """Whether the stop (or station) exists."""
        ...

    def station_of(self, stop_id: str) -> str:
        """The parent station of a stop, or the stop itself: what 'the same station' compares."""
        ...

    def find_route(self, route_id: str) -> RouteInfo | None:
        """The route, or None when the feed has no such route."""
        ...

    def routes_at_stop(self, stop_id: str) -> tuple[RouteInfo, ...]:
        """Routes serving a stop or any stop of its station, ordered by route_id; empty if unknown."""
        ...

    def route_distance(
        self, from_stop: str, to_stop: str, *, route_id: str, trip_id: str | None = None
    ) -> Distance:
        """Distance ridden along a route (or the given trip) from boarding to alighting stop.

        Raises NetworkError when the alighting stop does not follow the boarding stop."""
        ...

    def rail_distance(self, from_stop: str, to_stop: str) -> Distance:
        """Shortest distance over the rail network between entry and exit stations.

        Raises NetworkError when there is no path."""
        ...

    def nearest_stop_on_route(
        self, route_id: str, trip_id: str | None, after_stop: str, near_stop: str
    ) -> str | None:
        """The stop after `after_stop` on the route (or trip) nearest to `near_stop`: the inferred
        exit for a missing tap-off. None when the route has no stop after `after_stop`."""
        ...
