"""The real `ckanapi` client against a running `shahr serve` (a child process on SQLite or PostgreSQL, the
catalog seeded in its database): it lists, shows and searches datasets, reads a resource and gets CKAN's
errors back as its own exceptions, by POST (its default) and by GET (`get_only`); a resource's `url`
downloads the very bytes stored, and the download is counted."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from ckanapi import NotFound, RemoteCKAN, SearchQueryError, ValidationError
from sqlalchemy import select

from shahr.db import make_engine, session_factory, upgrade
from shahr.opendata.tables import OpenResource
from shahr.web.device_client import ServiceProcess
from tests.civic.conftest import database_url  # noqa: F401  (the fresh-database fixture, both engines)
from tests.opendata.test_ckan_api import BOARDINGS, DATASETS, REPORTS, REVENUE, Seeded, seed_catalog

pytestmark = pytest.mark.slow

FEED = Path(__file__).parents[2] / "data" / "mashhad-demo.zip"


@pytest.fixture
def seeded(database_url: str) -> Seeded:  # noqa: F811
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as session:
            return seed_catalog(session)
    finally:
        engine.dispose()


@pytest.fixture
def server(database_url: str, seeded: Seeded, tmp_path: Path) -> Iterator[ServiceProcess]:  # noqa: F811
    env = {"SHAHR_ENVIRONMENT": "test", "SHAHR_FEED": str(FEED), "SHAHR_POLICY": "mashhad-distance"}
    with ServiceProcess(database_url, tmp_path / "serve.log", env=env) as process:
        yield process


def _downloads(url: str, resource_id: str) -> int:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            counted: int = session.scalar(
                select(OpenResource.downloads).where(OpenResource.id == resource_id)
            )
            return counted
    finally:
        engine.dispose()


def test_ckanapi_reads_the_catalog_and_downloads_a_file(
    database_url: str,  # noqa: F811
    seeded: Seeded,
    server: ServiceProcess,
) -> None:
    with RemoteCKAN(server.base_url, user_agent="shahr-test") as ckan:
        assert ckan.action.package_list() == sorted(spec["name"] for spec in DATASETS)
        package = ckan.action.package_show(id=BOARDINGS)
        assert package["title"] == "Boardings by stop and hour" and package["num_resources"] == 4

        found = ckan.call_action(
            "package_search",
            {
                "q": "transit",
                "fq": "res_format:Parquet",
                "facet.field": ["tags", "organization"],
                "sort": "name asc",
            },
        )
        assert [p["name"] for p in found["results"]] == [BOARDINGS, REVENUE]
        assert found["search_facets"]["organization"]["items"][0]["count"] == 2
        assert ckan.action.package_search(q="گزارش")["results"][0]["name"] == REPORTS

        csv = next(r for r in package["resources"] if r["format"] == "CSV")
        resource = ckan.action.resource_show(id=csv["id"])
        assert resource == {**csv, "position": resource["position"]}

        with pytest.raises(NotFound):
            ckan.action.package_show(id="no-such-dataset")
        with pytest.raises(ValidationError) as missing:
            ckan.action.resource_show()
        assert missing.value.error_dict["id"] == ["Missing value"]
        with pytest.raises(SearchQueryError):
            ckan.action.package_search(facet_field=["tags"])  # CKAN's name is facet.field

    with RemoteCKAN(server.base_url, get_only=True) as ckan:
        by_get = ckan.action.package_search(fq="tags:revenue", **{"facet.field": '["res_format"]'})
        assert [p["name"] for p in by_get["results"]] == [REVENUE]
        assert by_get["facets"]["res_format"]["Parquet"] == 1

    downloaded = httpx2.get(resource["url"], timeout=10.0)
    assert downloaded.status_code == 200
    assert downloaded.content == seeded.content[resource["id"]]
    assert downloaded.headers["content-type"].startswith("text/csv")
    assert _downloads(database_url, resource["id"]) == 1
