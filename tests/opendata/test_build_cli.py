"""`shahr opendata build` and the daily publication when finance closes a service day, on SQLite and
PostgreSQL: every dataset published, each package valid for Frictionless, a second run publishing
nothing that did not change, and the service's own day read back as a settlement's frames."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import frictionless
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from shahr.backoffice.auth_tables import StaffRole
from shahr.civic.reports.tables import Category, ReportStatus
from shahr.cli import app
from shahr.opendata.datasets import SPECS
from shahr.opendata.datasets.source import read_service_day
from shahr.opendata.datasets.spec import DatasetError
from shahr.opendata.tables import OpenDataset, OpenRelease
from shahr.settings import Settings
from shahr.web.app import create_app
from tests.civic.conftest import database_url, engine, session, sessions  # noqa: F401
from tests.civic.test_consultations import publish as publish_consultation
from tests.opendata.test_catalog import write_release
from tests.opendata.test_datasets import DAY, add_report, at, hand_made_rides, write_settled_dir
from tests.web.test_taps_api import FEED, Api, tap

TRANSIT = [
    "boardings-by-stop-hour",
    "boardings-by-route-day",
    "od-journeys-by-zone-hour-band",
    "operator-revenue-by-day",
]
runner = CliRunner()


def build(database_url: str, folder: Path, *options: str) -> tuple[int, str]:  # noqa: F811
    arguments = ["opendata", "build", "--from", str(folder), "--date", DAY.isoformat()]
    result = runner.invoke(app, [*arguments, "--database-url", database_url, "--feed", str(FEED), *options])
    return result.exit_code, result.output


def releases(db: Session) -> dict[str, list[int]]:
    rows = db.execute(
        select(OpenDataset.name, OpenRelease.version)
        .join(OpenRelease, OpenRelease.dataset_id == OpenDataset.id)
        .order_by(OpenDataset.name, OpenRelease.version)
    )
    found: dict[str, list[int]] = {}
    for name, version in rows:
        found.setdefault(name, []).append(version)
    return found


def civic_records(db: Session) -> None:
    """A consultation (with its proposal) and one closed report: something in every civic dataset."""
    publish_consultation(db, now=at(3, "12:00"))  # before the day built, so its proposal is listed
    category = db.scalars(select(Category).order_by(Category.service_code)).first()
    assert category is not None
    add_report(db, category, 1, status=ReportStatus.RESOLVED, filed_at=at(1, "10:00"), due_at=at(2, "10:00"),
               closed_at=at(1, "16:00"), district_code="d02", duplicate_of_id=None)  # fmt: skip
    db.commit()


def test_the_command_publishes_every_dataset_and_each_package_validates(
    database_url: str,  # noqa: F811
    sessions: sessionmaker[Session],  # noqa: F811
    tmp_path: Path,
) -> None:
    with sessions() as db:
        civic_records(db)
    folder = write_settled_dir(tmp_path / "settled", hand_made_rides())
    code, output = build(database_url, folder, "--k", "3")
    assert code == 0, output
    assert "7 release(s) published of 7 datasets." in output

    with sessions() as db:
        assert releases(db) == {name: [1] for name in sorted(SPECS)}
        for name in SPECS:
            release = db.scalars(select(OpenRelease).join(OpenDataset).where(OpenDataset.name == name)).one()
            report = frictionless.validate(str(write_release(db, release, tmp_path / name)))
            assert report.valid, (name, report.flatten(["rowNumber", "fieldName", "type", "note"]))
            if name in TRANSIT:
                assert release.note.startswith(f"2025-10-05: {release.rows:,} rows from settled day {folder}")
                assert release.provenance["policy"] == "mashhad-distance"
                assert release.provenance["privacy"]["k"] == 3
        od = db.scalars(select(OpenDataset).where(OpenDataset.name == "od-journeys-by-zone-hour-band")).one()
        assert od.privacy["method"] == "suppression" and od.privacy["contribution_bound"] == 10

    # Again: the same rows for the same periods, so no new release; the changelog stays one entry each.
    code, output = build(database_url, folder, "--k", "3")
    assert code == 0 and "0 release(s) published of 7 datasets." in output, output
    # With noise on the OD matrix: a new release of it alone, its epsilon in the changelog.
    code, output = build(database_url, folder, "--k", "3", "--od-privacy", "dp", "--epsilon", "2")
    assert code == 0 and "1 release(s) published of 7 datasets." in output, output
    with sessions() as db:
        assert releases(db)["od-journeys-by-zone-hour-band"] == [1, 2]
        note = db.scalars(select(OpenRelease.note).where(OpenRelease.version == 2)).one()
        assert note.endswith("differential privacy, epsilon=2.0.")


def test_the_command_refuses_bad_options_before_any_work(database_url: str, tmp_path: Path) -> None:  # noqa: F811
    code, output = build(database_url, tmp_path, "--od-privacy", "dp")
    assert code == 2 and "differential privacy needs an epsilon > 0, got None" in output
    code, output = build(database_url, tmp_path / "nowhere")
    assert code == 2 and "legs.parquet: no such file" in output


@pytest.fixture
def service(database_url: str) -> Iterator[Api]:  # noqa: F811
    application = create_app(Settings(environment="test", database_url=database_url, feed=str(FEED)))
    with TestClient(application) as client:
        yield Api(application, client)


def test_closing_a_service_day_publishes_its_datasets_once(service: Api, tmp_path: Path) -> None:
    card = service.new_card(top_up=100_000)
    service.upload([tap(1, card, "on", "07:30", "st_vakilabad"), tap(2, card, "off", "08:20", "st_airport")])
    finance = service.staff(StaffRole.FINANCE)
    with service.app.state.sessions() as db:
        with pytest.raises(DatasetError, match="service day 2025-10-05 is not closed"):
            read_service_day(db, DAY)

    assert service.client.post(f"/service-days/{DAY}/close", headers=finance).status_code == 200
    with service.app.state.sessions() as db:
        # The metro end to end, 22.992 km: 28,000 rials (tests/web/test_taps_api.py), one card, numbered 0.
        frames = read_service_day(db, DAY)
        assert frames.journeys.rows() == [(0, 0, DAY, "adult")]
        assert frames.legs.select("card_id", "mode", "board_stop", "alight_stop", "operator").rows() == [
            (0, "metro", "st_vakilabad", "st_airport", "MURC")
        ]
        assert frames.operator_shares.rows() == [(0, 0, "MURC", 28_000)]
        # The four transit datasets; no report, proposal or consultation yet: nothing civic.
        assert releases(db) == {name: [1] for name in sorted(TRANSIT)}
        revenue = db.scalars(
            select(OpenRelease).join(OpenDataset).where(OpenDataset.name == TRANSIT[3])
        ).one()
        assert (revenue.period_start, revenue.period_end, revenue.rows) == (DAY, DAY, 2)
        assert revenue.provenance["source"] == "the fare-collection service's rated journeys"
        assert revenue.released_at <= datetime.now(UTC)

        # One card is fewer than k = 10: every count blank, and the package still valid.
        descriptor = write_release(db, revenue, tmp_path / "revenue")
        assert frictionless.validate(str(descriptor)).valid
        assert json.loads(descriptor.read_text(encoding="utf-8"))["shahr:privacy"]["k"] == 10

    # Closing it again changes nothing: no new release; nor does closing a day without journeys.
    assert service.client.post(f"/service-days/{DAY}/close", headers=finance).status_code == 200
    assert (
        service.client.post(f"/service-days/{DAY - timedelta(days=1)}/close", headers=finance).status_code
        == 200
    )
    with service.app.state.sessions() as db:
        assert db.scalar(select(func.count()).select_from(OpenRelease)) == 4
