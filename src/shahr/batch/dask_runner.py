"""The day settlement on a Dask cluster: the same result as one process, sharded by card.

A card's journeys depend only on its own taps, so shard k of K settles the cards with
card_id % K == k, reading only those rows from the taps file. Every copy of a re-uploaded tap carries
its card (see `UPLOAD_KEY`), so duplicates are found within a shard and every count is a plain sum.
Workers load the policy and the feed themselves (once per worker process) from the same paths the
client was given: on several machines those paths must be on shared storage.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import polars as pl

from shahr.batch.settle import TAP_ORDER, SettledDay, get_settle_function, read_taps
from shahr.errors import ShahrError
from shahr.fares.load import Policy, load_policy
from shahr.network import Network, load_network


@lru_cache(maxsize=4)
def _loaded(policy_ref: str, feed: str) -> tuple[Policy, Network]:
    """Policy and network of a worker process, loaded on its first shard."""
    return load_policy(policy_ref), load_network(feed)


def settle_shard(
    taps: str, shard: int, partitions: int, policy_ref: str, feed: str, engine: str
) -> SettledDay:
    """Settle the cards of one shard: what a worker runs."""
    policy, network = _loaded(policy_ref, feed)
    return get_settle_function(engine)(read_taps(Path(taps), (shard, partitions)), policy, network)


def combine(days: Sequence[SettledDay]) -> SettledDay:
    """Shards (disjoint sets of cards) joined in the order one process gives; counts summed."""
    counts = {key: sum(day.counts[key] for day in days) for key in days[0].counts}
    journey_key = ["card_id", "journey_seq"]
    return SettledDay(
        legs=pl.concat([d.legs for d in days]).sort([*journey_key, "leg_seq"]),
        journeys=pl.concat([d.journeys for d in days]).sort(journey_key),
        # A journey's operators stay in order of their first leg: a stable sort keeps them.
        operator_shares=pl.concat([d.operator_shares for d in days]).sort(journey_key, maintain_order=True),
        quarantine=pl.concat([d.quarantine for d in days]).sort(TAP_ORDER, maintain_order=True),
        counts=counts,
    )


@contextmanager
def dask_client(workers: int | None, scheduler: str | None) -> Iterator[Any]:
    """A client of the scheduler at `scheduler`, or of a local cluster of `workers` processes."""
    from dask.distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler)  # type: ignore[no-untyped-call]
        except (OSError, TimeoutError) as exc:
            raise ShahrError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from exc
        with client:
            yield client
        return
    # distributed's constructors are untyped; the client is used through `Any` below.
    cluster = LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=workers or 1, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    with cluster, Client(cluster) as client:  # type: ignore[no-untyped-call]
        yield client


def settle_on_cluster(
    taps: Path,
    policy_ref: str,
    feed: Path,
    *,
    engine: str = "compiled",
    workers: int | None = None,
    scheduler: str | None = None,
    partitions: int | None = None,
    on_shard: Callable[[int], None] | None = None,
) -> SettledDay:
    """Settle a taps file on Dask; `on_shard(total)` is called as each shard finishes (progress)."""
    from dask.distributed import as_completed

    get_settle_function(engine)  # fail here, not on every worker
    if not taps.exists():
        raise ShahrError(f"{taps}: no such file")
    with dask_client(workers, scheduler) as client:
        k = partitions or 2 * sum(client.nthreads().values())
        path, policy_arg, feed_path = str(taps.resolve()), _policy_ref(policy_ref), str(feed.resolve())
        futures = [
            client.submit(settle_shard, path, shard, k, policy_arg, feed_path, engine, pure=False)
            for shard in range(k)
        ]
        days = []
        for future in as_completed(futures):  # type: ignore[no-untyped-call]
            days.append(future.result())
            if on_shard is not None:
                on_shard(k)
    return combine(days)


def _policy_ref(policy_ref: str) -> str:
    """A policy file as an absolute path (workers do not share the client's directory); a preset as is."""
    path = Path(policy_ref)
    return str(path.resolve()) if path.suffix == ".toml" or path.exists() else policy_ref
