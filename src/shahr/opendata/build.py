"""Building the open datasets and publishing them as releases of the catalog: the transit ones from one
settled service day (a settled folder, or the service's database once the day is closed), the civic ones
and the fare change from the database. `shahr opendata build` runs it by hand; `publish_closed_day` runs
it every day, when finance closes a service day.

A dataset whose rows and period are those of its latest release is not published again (a day closed
twice), so each changelog entry is a change; a dataset with no rows (a day without journeys, a city
without a consultation yet) is not published.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any, Protocol, runtime_checkable

import polars as pl
from sqlalchemy.orm import Session, sessionmaker

from shahr import __version__
from shahr.civic.settings import CivicSettings
from shahr.fares.load import Policy
from shahr.lab.zones import Zones
from shahr.network.geo import FloatArray
from shahr.opendata import catalog
from shahr.opendata.datasets import CIVIC, TRANSIT, od
from shahr.opendata.datasets.source import CivicDay, SettledFrames, TransitDay, read_service_day, rides
from shahr.opendata.datasets.spec import DEFAULT_K, Built, DatasetError, DatasetSpec, Method, Privacy
from shahr.opendata.tables import OpenRelease


@runtime_checkable
class StopLocator(Protocol):
    """What the zones need of a network: where its stops are (`shahr.network.Network`)."""

    def stop_locations(self, stop_ids: Sequence[str]) -> tuple[FloatArray, FloatArray]: ...


@dataclass(frozen=True)
class Options:
    """The privacy parameters of a run: k for every suppressed dataset, and the OD matrix's method."""

    k: int = DEFAULT_K
    od_method: Method = Method.SUPPRESSION
    epsilon: float | None = None
    trips_per_card: int = od.DEFAULT_TRIPS_PER_CARD

    def privacy(self, spec: DatasetSpec) -> Privacy:
        if spec is od.SPEC:
            return Privacy(self.od_method, self.k, self.epsilon, self.trips_per_card)
        if spec.privacy.method is Method.SUPPRESSION:
            return replace(spec.privacy, k=self.k)
        return spec.privacy


@dataclass(frozen=True)
class Published:
    """What became of one dataset in a run: its new release, or why there is none."""

    spec: DatasetSpec
    release: OpenRelease | None
    status: str
    """`published`, `unchanged` (the latest release has the same rows and period) or `empty`."""


OnDataset = Callable[[str], None]
"""Told each dataset's name as its turn comes: the command's progress bar."""


def stop_zones(network: StopLocator, zones: Zones, stop_ids: Sequence[str]) -> pl.DataFrame:
    """The zone of each stop (`stop_id`, `zone`), from its position."""
    lat, lon = network.stop_locations(stop_ids)
    return pl.DataFrame(
        {"stop_id": list(stop_ids), "zone": zones.of_points(lat, lon)},
        schema={"stop_id": pl.String, "zone": pl.String},
    )


def transit_day(frames: SettledFrames, *, timezone: str, network: StopLocator, zones: Zones) -> TransitDay:
    """A settled day with its stops placed in zones, as the transit builders take it."""
    legs = frames.legs
    stops = pl.concat([legs["board_stop"], legs["alight_stop"].drop_nulls()]).unique().sort().to_list()
    placed = stop_zones(network, zones, stops)
    return TransitDay(frames, rides(frames, timezone), timezone, placed, tuple(z.id for z in zones.zones))


def build_and_publish(
    session: Session,
    *,
    transit: TransitDay | None,
    civic: CivicDay,
    options: Options,
    provenance: Mapping[str, Any],
    now: datetime,
    on_dataset: OnDataset | None = None,
) -> list[Published]:
    """Build every dataset (the transit ones when a day is given) and publish those that changed.
    `provenance` is shared by every release (software, policy, zones...); each adds its own source.
    Flushed, not committed."""
    published: list[Published] = []
    if transit is not None:
        for spec, build in TRANSIT:
            if on_dataset is not None:
                on_dataset(spec.name)
            built = build(transit, options.privacy(spec))
            source = {
                **provenance,
                "source": transit.frames.source,
                "service_date": transit.frames.service_date.isoformat(),
            }
            published.append(_publish(session, spec, built, source, now))
    for spec, build_civic in CIVIC:
        if on_dataset is not None:
            on_dataset(spec.name)
        maybe = build_civic(civic, options.privacy(spec))
        source = {
            **provenance,
            "source": "the city's civic participation database",
            "figures_as_of": now.isoformat(),
        }
        published.append(_publish(session, spec, maybe, source, now))
    return published


def publish_closed_day(
    sessions: sessionmaker[Session],
    service_date: date,
    *,
    policy: Policy,
    network: object,
    zones: Zones,
    civic: CivicSettings,
) -> list[Published]:
    """The daily publication: the closed day's transit datasets from the service's rated journeys, and
    the civic ones as of now, in a session and transaction of their own.

    Run by the close endpoint as a background task, after its own transaction committed (so it reads the
    day as closed) and after the answer was sent (so a failed publication cannot undo or delay a close);
    closing the day again republishes only what changed."""
    if not isinstance(network, StopLocator):
        raise DatasetError(f"the service's network ({type(network).__name__}) cannot place stops in zones")
    now = datetime.now(UTC)
    with sessions() as session:
        frames = read_service_day(session, service_date)
        day = transit_day(frames, timezone=policy.header.timezone, network=network, zones=zones)
        civic_day = CivicDay(session, service_date, policy.header.timezone, civic, now)
        options = Options()  # the defaults: k = 10, the OD matrix by suppression
        published = build_and_publish(
            session,
            transit=day,
            civic=civic_day,
            options=options,
            provenance=run_provenance(policy, zones, options),
            now=now,
        )
        session.commit()
    return published


def run_provenance(policy: Policy, zones: Zones, options: Options) -> dict[str, Any]:
    """What every release of a run records about how it was made."""
    return {
        "software": f"shahr {__version__}",
        "policy": policy.id,
        "timezone": policy.header.timezone,
        "zones": zones.source,
        "privacy_options": {
            "k": options.k,
            "od_method": options.od_method.value,
            "epsilon": options.epsilon,
            "trips_per_card": options.trips_per_card,
        },
    }


def _publish(
    session: Session, spec: DatasetSpec, built: Built | None, provenance: Mapping[str, Any], now: datetime
) -> Published:
    if built is None or built.frame.is_empty():
        return Published(spec, None, "empty")
    if catalog.unchanged(session, spec, built.frame, built.period_start, built.period_end):
        return Published(spec, None, "unchanged")
    release = catalog.publish(
        session,
        spec,
        built.frame,
        period_start=built.period_start,
        period_end=built.period_end,
        note=_note(built, provenance),
        provenance=provenance,
        privacy_metadata=built.privacy,
        now=now,
    )
    return Published(spec, release, "published")


def _note(built: Built, provenance: Mapping[str, Any]) -> str:
    """The changelog entry: the period, the rows, where they come from and how they were protected."""
    period = built.period_start.isoformat()
    if built.period_end != built.period_start:
        period += f" to {built.period_end.isoformat()}"
    privacy = built.privacy
    if "epsilon" in privacy:
        protection = f"differential privacy, epsilon={privacy['epsilon']}"
    elif privacy.get("method") == Method.SUPPRESSION:
        protection = f"cells under k={privacy['k']} people blanked: {built.suppressed_cells}"
    else:
        protection = "public records, counts only"
    return f"{period}: {len(built.frame):,} rows from {provenance['source']}; {protection}."
