"""The open datasets: each a spec (names, notes, columns, grain, privacy) and a builder of its rows for
one release. Transit builders read a settled service day (`source.TransitDay`), from a settled folder or
the service's database alike; civic builders read the database (`source.CivicDay`) and return None when
there is nothing to publish (no report, proposal or consultation yet)."""

from __future__ import annotations

from collections.abc import Callable

from shahr.opendata.datasets import boardings, fare_change, od, proposals, reports, revenue
from shahr.opendata.datasets.source import CivicDay, TransitDay
from shahr.opendata.datasets.spec import Built, DatasetSpec, Privacy

TransitBuilder = Callable[[TransitDay, Privacy], Built]
CivicBuilder = Callable[[CivicDay, Privacy], Built | None]

TRANSIT: tuple[tuple[DatasetSpec, TransitBuilder], ...] = (
    (boardings.BY_STOP_HOUR, boardings.by_stop_hour),
    (boardings.BY_ROUTE_DAY, boardings.by_route_day),
    (od.SPEC, od.by_zone_hour_band),
    (revenue.SPEC, revenue.by_operator_day),
)
CIVIC: tuple[tuple[DatasetSpec, CivicBuilder], ...] = (
    (fare_change.SPEC, fare_change.latest_comparison),
    (reports.SPEC, reports.by_category_district_week),
    (proposals.SPEC, proposals.published),
)
SPECS: dict[str, DatasetSpec] = {spec.name: spec for spec, _ in (*TRANSIT, *CIVIC)}
