"""Whether a boarding continues the open journey as a transfer.

Seoul: a boarding within 30 minutes of the previous tap-off (60 minutes when boarding between 21:00
and 07:00), at most 4 transfers, card only; re-boarding the route just ridden starts a new journey,
except re-entering the same metro station within 10 minutes, once per journey.
"""

from __future__ import annotations

from datetime import datetime, time

from shahr.fares.model import ExitStatus, Leg
from shahr.fares.policy import Integration
from shahr.fares.rules.timebands import in_band


def window_minutes(integration: Integration, boarded: time) -> int | None:
    """The transfer window for a boarding at this local time; None when no window covers it."""
    for window in integration.windows:
        if in_band(boarded, window.start, window.end):
            return window.minutes
    return None


def transfer_refusal(
    integration: Integration,
    legs: tuple[Leg, ...],
    *,
    boarded_at: datetime,
    boarded_local: time,
    medium: str,
    route_key: str,
    same_station: bool,
    reentry_used: bool,
) -> str | None:
    """None when the boarding is a transfer; otherwise the reason it starts a new journey."""
    previous = legs[-1]
    if previous.free:
        return "previous leg was a free ride"
    if previous.exit_status not in (ExitStatus.TAPPED, ExitStatus.NOT_EXPECTED):
        return "previous leg had no tap-off: transfer voided"
    if medium not in integration.media or previous.board.medium not in integration.media:
        return f"medium {medium} gets no transfer"
    if len(legs) > integration.max_transfers:
        return f"already {integration.max_transfers} transfers"
    gap_s = (boarded_at - previous.closed_at).total_seconds()
    if same_station and not reentry_used and integration.reentry_same_station_minutes is not None:
        if gap_s <= integration.reentry_same_station_minutes * 60:
            return None
    if integration.same_route_new_journey and route_key == previous.route_key:
        return "same route re-boarded"
    limit = window_minutes(integration, boarded_local)
    if limit is None or gap_s > limit * 60:
        return f"boarded {int(gap_s // 60)} min after the previous leg, window {limit or 0} min"
    return None


def is_reentry(integration: Integration, legs: tuple[Leg, ...], route_key: str, same_station: bool) -> bool:
    """Whether a transfer just granted was the once-a-journey same-station re-entry."""
    return (
        integration.reentry_same_station_minutes is not None
        and same_station
        and route_key == legs[-1].route_key
    )
