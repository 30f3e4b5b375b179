"""Local time-of-day bands that may wrap past midnight (21:00-07:00)."""

from __future__ import annotations

from datetime import time


def in_band(moment: time, start: time, end: time) -> bool:
    """Start inclusive, end exclusive; `start == end` means the whole day."""
    if start == end:
        return True
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end
