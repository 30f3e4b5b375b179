"""Publishing into the catalog, on SQLite and PostgreSQL: release numbers and the changelog, the four files
of a release (the same rows in CSV, JSON and Parquet; a Frictionless package that validates), their
sizes, hashes and ids, and a dataset's row following its spec."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import frictionless
import polars as pl
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from shahr.opendata import catalog
from shahr.opendata.datasets.spec import Column, DatasetError, DatasetSpec, Method, Privacy
from shahr.opendata.tables import OpenDataset, OpenRelease, OpenResource
from tests.civic.conftest import database_url, engine, session, sessions  # noqa: F401

NOW = datetime(2025, 10, 6, 1, 0, tzinfo=UTC)
DAY = date(2025, 10, 5)
SPEC = DatasetSpec(
    name="test-every-type",
    title_en="Every column type",
    title_fa="همه گونه‌های ستون",
    notes_en="A dataset with one column of each type a dataset uses.",
    notes_fa="داده‌ای با یک ستون از هر گونه.",
    organization="mashhad-transit",
    tags=("test",),
    grain="one row per thing",
    columns=(
        Column("day", pl.Date(), "A day."),
        Column("name", pl.String(), "A name, in Persian too."),
        Column("count", pl.Int64(), "A count; empty when blanked."),
        Column("share", pl.Float64(), "A share."),
        Column("late", pl.Boolean(), "Whether late."),
    ),
    privacy=Privacy(Method.SUPPRESSION),
)
FRAME = pl.DataFrame(
    {
        "day": [DAY, DAY, date(2025, 10, 4)],
        "name": ["وکیل‌آباد", 'a "quoted", name', None],
        "count": [12, None, 0],
        "share": [0.3333, 1.0, None],
        "late": [True, False, None],
    },
    schema=SPEC.schema,
)
PRIVACY = {"method": "suppression", "k": 10, "primary": 1, "secondary": 0, "suppressed_cells": 1}


def publish(db: Session, frame: pl.DataFrame = FRAME, **change: object) -> OpenRelease:
    arguments: dict[str, object] = {
        "period_start": DAY,
        "period_end": DAY,
        "note": "Service day 2025-10-05.",
        "provenance": {"source": "settled day out/2025-10-05", "software": "shahr test"},
        "privacy_metadata": PRIVACY,
        "now": NOW,
    }
    return catalog.publish(db, change.pop("spec", SPEC), frame, **(arguments | change))  # type: ignore[arg-type]


def files(db: Session, release: OpenRelease) -> dict[str, OpenResource]:
    resources = db.scalars(select(OpenResource).where(OpenResource.release_id == release.id))
    return {r.format: r for r in resources}


def write_release(db: Session, release: OpenRelease, directory: Path) -> Path:
    """The release's files side by side, as a client downloads them; the path of its datapackage.json."""
    directory.mkdir(parents=True, exist_ok=True)
    for resource in files(db, release).values():
        (directory / resource.filename).write_bytes(resource.content)
    return directory / "datapackage.json"


def test_a_release_holds_the_same_rows_in_csv_json_and_parquet(session: Session) -> None:  # noqa: F811
    release = publish(session)
    got = files(session, release)
    assert sorted(got) == ["CSV", "JSON", "Parquet", "datapackage"]
    assert [got[f].filename for f in ("CSV", "JSON", "Parquet", "datapackage")] == [
        "test-every-type-v1.csv",
        "test-every-type-v1.json",
        "test-every-type-v1.parquet",
        "datapackage.json",
    ]
    for resource in got.values():
        assert uuid.UUID(resource.id).version == 4
        assert resource.size == len(resource.content)
        assert resource.sha256 == hashlib.sha256(resource.content).hexdigest()
        assert (resource.downloads, resource.created_at) == (0, NOW)

    csv = got["CSV"].content.decode("utf-8")
    assert csv.splitlines() == [
        "day,name,count,share,late",
        "2025-10-05,وکیل‌آباد,12,0.3333,true",
        '2025-10-05,"a ""quoted"", name",,1.0,false',
        "2025-10-04,,0,,",
    ]
    from_csv = pl.read_csv(io.BytesIO(got["CSV"].content), schema=SPEC.schema)
    records = json.loads(got["JSON"].content)
    from_json = pl.DataFrame(records, schema={**SPEC.schema, "day": pl.String}).with_columns(
        pl.col("day").str.to_date()
    )
    from_parquet = pl.read_parquet(io.BytesIO(got["Parquet"].content))
    for frame in (from_csv, from_json, from_parquet):
        assert frame.equals(FRAME)
    assert json.loads(got["JSON"].content)[2] == {
        "day": "2025-10-04",
        "name": None,
        "count": 0,
        "share": None,
        "late": None,
    }


def test_the_data_package_describes_the_csv_with_its_schema_licence_sources_and_privacy(
    session: Session,  # noqa: F811
) -> None:
    release = publish(session)
    package = json.loads(files(session, release)["datapackage"].content)
    csv = files(session, release)["CSV"]
    assert package["name"] == "test-every-type" and package["version"] == "1"
    assert package["title"] == "Every column type" and package["shahr:title_fa"] == "همه گونه‌های ستون"
    assert package["created"] == "2025-10-06T01:00:00Z"
    assert package["licenses"] == [
        {
            "name": "CC-BY-4.0",
            "path": "https://creativecommons.org/licenses/by/4.0/",
            "title": "Creative Commons Attribution 4.0",
        }
    ]
    assert package["sources"] == [{"title": "settled day out/2025-10-05"}]
    assert package["shahr:privacy"] == PRIVACY
    assert package["shahr:period"] == {"start": "2025-10-05", "end": "2025-10-05"}
    [resource] = package["resources"]
    assert resource["path"] == "test-every-type-v1.csv" and resource["bytes"] == csv.size
    assert resource["hash"] == f"sha256:{csv.sha256}"
    assert [(f["name"], f["type"]) for f in resource["schema"]["fields"]] == [
        ("day", "date"),
        ("name", "string"),
        ("count", "integer"),
        ("share", "number"),
        ("late", "boolean"),
    ]
    assert resource["schema"] == release.table_schema


def test_the_package_validates_with_frictionless(session: Session, tmp_path: Path) -> None:  # noqa: F811
    descriptor = write_release(session, publish(session), tmp_path / "download")
    report = frictionless.validate(str(descriptor))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    # And with the command line tool, as a reader of the catalog would.
    frictionless_cli = Path(sys.executable).parent / "frictionless"
    done = subprocess.run(
        [str(frictionless_cli), "validate", "--json", str(descriptor)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["valid"] is True


def test_a_changed_file_fails_the_validation(session: Session, tmp_path: Path) -> None:  # noqa: F811
    descriptor = write_release(session, publish(session), tmp_path / "download")
    csv = tmp_path / "download" / "test-every-type-v1.csv"
    csv.write_bytes(csv.read_bytes().replace(b",12,", b",13,"))
    report = frictionless.validate(str(descriptor))
    assert not report.valid and {"hash-count"} <= {e.type for e in report.tasks[0].errors}


def test_releases_are_numbered_and_the_dataset_follows_its_spec(session: Session) -> None:  # noqa: F811
    first = publish(session)
    renamed = replace(SPEC, title_en="Every column type, renamed", tags=("test", "renamed"))
    later = NOW + timedelta(days=1)
    second = publish(
        session,
        spec=renamed,
        period_start=date(2025, 10, 6),
        period_end=date(2025, 10, 6),
        note="Service day 2025-10-06.",
        now=later,
    )
    assert (first.version, second.version) == (1, 2) and first.dataset_id == second.dataset_id
    changelog = session.execute(
        select(OpenRelease.version, OpenRelease.note, OpenRelease.period_start, OpenRelease.rows)
        .where(OpenRelease.dataset_id == first.dataset_id)
        .order_by(OpenRelease.version)
    ).all()
    assert [tuple(r) for r in changelog] == [
        (1, "Service day 2025-10-05.", DAY, 3),
        (2, "Service day 2025-10-06.", date(2025, 10, 6), 3),
    ]
    dataset = session.scalars(select(OpenDataset)).one()
    assert (dataset.title_en, dataset.tags, dataset.created_at, dataset.updated_at) == (
        "Every column type, renamed",
        ["test", "renamed"],
        NOW,
        later,
    )
    assert (dataset.license_id, dataset.grain, dataset.privacy) == ("cc-by-4.0", "one row per thing", PRIVACY)
    assert second.suppressed_cells == 1
    assert second.provenance == {
        "source": "settled day out/2025-10-05",
        "software": "shahr test",
        "privacy": PRIVACY,
    }
    assert files(session, second)["CSV"].filename == "test-every-type-v2.csv"


def test_unchanged_is_the_same_rows_for_the_same_period(session: Session) -> None:  # noqa: F811
    assert not catalog.unchanged(session, SPEC, FRAME, DAY, DAY)  # nothing published yet
    publish(session)
    assert catalog.unchanged(session, SPEC, FRAME, DAY, DAY)
    assert not catalog.unchanged(session, SPEC, FRAME.head(2), DAY, DAY)
    assert not catalog.unchanged(session, SPEC, FRAME, DAY, date(2025, 10, 6))


def test_publishing_refuses_a_naive_time_a_reversed_period_and_missing_columns(session: Session) -> None:  # noqa: F811
    with pytest.raises(DatasetError, match="must be aware"):
        publish(session, now=datetime(2025, 10, 6, 1, 0))
    with pytest.raises(DatasetError, match="ends"):
        publish(session, period_end=date(2025, 10, 4))
    with pytest.raises(DatasetError, match="left out column"):
        publish(session, frame=FRAME.drop("late"))
