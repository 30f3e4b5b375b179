"""The dashboard's data (`shahr.opendata.live`): the snapshot as JSON, and a stream of server-sent events
for a wall screen, a snapshot at once and then every `REFRESH_S` seconds when anything changed.

Public aggregates only: no card id, no person. A snapshot is computed at most once per `FRESH_S` per
process, however many screens watch: each stream asks the process's `LiveSnapshots`, which reuses a
snapshot that fresh, and computes the next one in a worker thread (its queries are blocking)."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Depends, Request
from sse_starlette import EventSourceResponse, ServerSentEvent

from shahr.opendata.live import DashboardSnapshot, load_places, snapshot
from shahr.web.deps import CivicDep, DistrictsDep, FaresDep, SettingsDep

router = APIRouter(prefix="/dashboard", tags=["dashboard"])

REFRESH_S = 2.0
"""How often a stream looks for a change."""
FRESH_S = 1.0
"""A snapshot this recent is given to every client that asks (below REFRESH_S, so a stream never sends
one it already had for want of a newer one)."""
PING_S = 15
"""A comment line this often keeps proxies from closing a quiet stream."""


class LiveSnapshots:
    """The process's latest snapshot, computed again when older than `fresh_s`: one computation at a time
    (the others wait for it and share it)."""

    def __init__(self, compute: Callable[[datetime], DashboardSnapshot], fresh_s: float = FRESH_S) -> None:
        self._compute = compute
        self._fresh_s = fresh_s
        self._lock = threading.Lock()
        self._last: tuple[float, DashboardSnapshot] | None = None

    def current(self) -> DashboardSnapshot:
        with self._lock:
            if self._last is None or time.monotonic() - self._last[0] >= self._fresh_s:
                self._last = (time.monotonic(), self._compute(datetime.now(UTC)))
            return self._last[1]


_MAKING = threading.Lock()


def live_snapshots(
    request: Request, settings: SettingsDep, fares: FaresDep, civic: CivicDep, districts: DistrictsDep
) -> LiveSnapshots:
    """The app's `LiveSnapshots`, made on first use with its fares, feed, districts and civic settings."""
    with _MAKING:
        made: LiveSnapshots | None = getattr(request.app.state, "dashboard", None)
        if made is None:
            sessions = request.app.state.sessions
            places = load_places(str(Path(settings.feed).resolve()))

            def compute(now: datetime) -> DashboardSnapshot:
                with sessions() as session:
                    return snapshot(session, now, fares.policy, places, districts=districts, civic=civic)

            made = request.app.state.dashboard = LiveSnapshots(compute)
        return made


LiveDep = Annotated[LiveSnapshots, Depends(live_snapshots)]


@router.get("/snapshot", response_model=DashboardSnapshot)
def read_snapshot(live: LiveDep) -> DashboardSnapshot:
    """Today's ridership against the same weekday last week, revenue by operator, boardings by stop, open
    reports by district, overdue answers and the latest fare consultation's headline."""
    return live.current()


STREAM_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Server-sent events: `event: snapshot` with a `DashboardSnapshot` as JSON in "
        "`data`, at once and then whenever it changes (looked at every 2 s); a comment line every 15 s "
        "keeps the connection alive. The stream ends when the client disconnects.",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    }
}


@router.get("/stream", response_class=EventSourceResponse, responses=STREAM_DOC)
async def stream(request: Request, live: LiveDep) -> EventSourceResponse:
    """The snapshot as it changes, for a page that stays open (`EventSource('/dashboard/stream')`)."""
    return EventSourceResponse(snapshot_events(live, request.is_disconnected), ping=PING_S)


async def snapshot_events(
    live: LiveSnapshots, disconnected: Callable[[], Awaitable[bool]], every_s: float = REFRESH_S
) -> AsyncIterator[ServerSentEvent]:
    """A snapshot event at once, then one whenever the snapshot differs from the last one sent (its
    `generated_at` aside), until the client goes."""
    sent: dict[str, Any] | None = None
    while not await disconnected():
        current = await anyio.to_thread.run_sync(live.current)
        content = current.model_dump(exclude={"generated_at"})
        if content != sent:
            sent = content
            yield ServerSentEvent(current.model_dump_json(), event="snapshot", retry=int(every_s * 1000))
        await anyio.sleep(every_s)
