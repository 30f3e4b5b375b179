"""The live dashboard's figures (the Digital Mayor's Room): one snapshot of today's ridership and revenue
against the same weekday last week, the busiest stops, open reports by district, overdue answers and the
policy lab's headline, computed from the service's tables with no HTTP involved.

    snapshot(session, now, policy, load_places(feed), districts=..., civic=...) -> DashboardSnapshot
"""

from shahr.opendata.live.model import DashboardSnapshot
from shahr.opendata.live.places import Places, load_places
from shahr.opendata.live.queries import snapshot

__all__ = ["DashboardSnapshot", "Places", "load_places", "snapshot"]
