"""The settlement on a Dask cluster of two worker processes equals the settlement in one process."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import dask
import polars as pl
import pytest
from dask.distributed import LocalCluster
from typer.testing import CliRunner

from shahr.batch.dask_runner import settle_on_cluster
from shahr.batch.settle import settle_reference
from shahr.fares.load import load_policy
from shahr.network import load_network
from tests.batch.test_settle import FEED, _app, _write, assert_same, demo_day


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """Two worker processes (as on real machines: nothing shared but the files), started once."""
    cluster = LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    with cluster:
        yield cluster.scheduler_address


@pytest.fixture(scope="module")
def taps(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write(demo_day(1500, seed=7), tmp_path_factory.mktemp("dask") / "taps.parquet")


def test_cluster_equals_one_process(scheduler: str, taps: Path) -> None:
    local = settle_reference(pl.read_parquet(taps), load_policy("mashhad-distance"), load_network(FEED))
    shards: list[int] = []
    day = settle_on_cluster(
        taps,
        "mashhad-distance",
        FEED,
        engine="reference",
        scheduler=scheduler,
        partitions=5,
        on_shard=shards.append,
    )
    assert shards == [5] * 5
    assert local.counts["taps"] > 4000 and local.counts["duplicate_uploads"] > 0
    assert_same(day, local)


def test_settle_command_on_scheduler(scheduler: str, taps: Path, tmp_path: Path) -> None:
    args = [str(taps), "-p", "mashhad-distance", "--feed", str(FEED), "--out", str(tmp_path)]
    result = CliRunner().invoke(_app(), [*args, "--engine", "reference", "--scheduler", scheduler])
    assert result.exit_code == 0, result.output
    counts = json.loads((tmp_path / "summary.json").read_text())["counts"]
    assert counts["revenue"] == pl.read_csv(tmp_path / "clearing.csv")["amount"].sum()


def test_settle_command_on_local_workers(taps: Path, tmp_path: Path) -> None:
    args = [str(taps), "-p", "mashhad-distance", "--feed", str(FEED), "--out", str(tmp_path)]
    result = CliRunner().invoke(
        _app(), [*args, "--engine", "reference", "--workers", "2", "--partitions", "3"]
    )
    assert result.exit_code == 0, result.output
    local = settle_reference(pl.read_parquet(taps), load_policy("mashhad-distance"), load_network(FEED))
    assert pl.read_parquet(tmp_path / "journeys.parquet").equals(local.journeys)


def test_unreachable_scheduler(taps: Path, tmp_path: Path) -> None:
    args = [str(taps), "-p", "mashhad-distance", "--feed", str(FEED), "--out", str(tmp_path)]
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        result = CliRunner().invoke(
            _app(), [*args, "--engine", "reference", "--scheduler", "tcp://127.0.0.1:9"]
        )
    assert result.exit_code == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in result.output
