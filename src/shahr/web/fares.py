"""The fare policy and network the taps API rates with (`settings.policy`, `settings.feed`).

Loaded by the app's lifespan into `app.state.fares`, so a bad policy or feed stops the service at start
rather than at the first upload, and handlers get them through `deps.FaresDep`. Building the network
takes seconds, so it is built once per process per (policy, feed): apps made again in the same process
(tests) share it. Both are read-only once built.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from shahr.fares.load import Policy, load_policy
from shahr.fares.network import FareNetwork
from shahr.settings import Settings


@dataclass(frozen=True, slots=True)
class Fares:
    """What the back office's tap services take as `policy` and `network`."""

    policy: Policy
    network: FareNetwork


def load_fares(settings: Settings) -> Fares:
    """The policy and network the settings name; PolicyError or FeedError if either is broken."""
    return _load(settings.policy, str(Path(settings.feed).resolve()))


@lru_cache(maxsize=4)
def _load(policy: str, feed: str) -> Fares:
    from shahr.network import load_network  # gtfs-kit is slow to import: only when a feed is read

    return Fares(load_policy(policy), load_network(feed))
