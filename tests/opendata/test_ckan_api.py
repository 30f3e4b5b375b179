"""CKAN's Action API over the catalog, in process, on SQLite and PostgreSQL: every read action in CKAN's
envelope, its error shapes, package_search's q, fq, sort, paging, facets and its 1,000-row cap, and the
downloads with their counter.

`seed_catalog` (also used by the ckanapi, DCAT and browser tests) writes catalog rows directly, as
`opendata.catalog.publish` would leave them: three datasets, the first with two releases, each release's
files made from a small Polars frame."""

from __future__ import annotations

import hashlib
import io
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from shahr.opendata.tables import OpenDataset, OpenRelease, OpenResource
from shahr.settings import Settings
from shahr.web.app import create_app
from tests.civic.conftest import database_url  # noqa: F401  (the fresh-database fixture, both engines)

T0 = datetime(2025, 10, 2, 6, 0, tzinfo=UTC)
BOARDINGS, REVENUE, REPORTS = "boardings-by-stop-hour", "operator-revenue-by-day", "reports-by-district"


@dataclass
class Seeded:
    """What `seed_catalog` wrote: each file's id by (dataset, version, format), and its bytes by id."""

    ids: dict[tuple[str, int, str], str] = field(default_factory=dict)
    content: dict[str, bytes] = field(default_factory=dict)


def boardings(day: date) -> pl.DataFrame:
    """Boardings by mode, stop and hour on `day`, a blanked cell, and one published total (`level`)."""
    return pl.DataFrame(
        {
            "service_date": [day] * 6,
            "mode": ["metro", "metro", "bus", "bus", "brt", None],
            "stop_id": ["st_vakilabad", "st_vakilabad", "st_kowsar", "st_kowsar", "st_airport", None],
            "hour": [7, 8, 7, 8, 8, 8],
            "level": ["cell"] * 5 + ["hour_total"],
            "boardings": [1240, 3402, 551, None, 80, 4033],
            "cards": [1100, 2950, 502, None, 77, 3600],
        },
        schema_overrides={"hour": pl.Int64, "boardings": pl.Int64, "cards": pl.Int64},
    )


def revenue(day: date) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "service_date": [day, day],
            "operator": ["MURC", "BRT"],
            "level": ["cell", "cell"],
            "amount_rials": [9870, 12937],
        }
    )


def reports(day: date) -> pl.DataFrame:
    return pl.DataFrame({"district": ["منطقه ۱", "منطقه ۲"], "filed": [12, 30], "resolved": [10, 21]})


DATASETS: list[dict[str, Any]] = [
    {
        "name": BOARDINGS,
        "title_en": "Boardings by stop and hour",
        "title_fa": "سوار شدن مسافران به تفکیک ایستگاه و ساعت",
        "notes_en": "Legs boarded at each stop in each local hour of a service day.",
        "notes_fa": "تعداد سوار شدن در هر ایستگاه و هر ساعت یک روز خدمت.",
        "organization": "mashhad-transit",
        "tags": ["transit", "ridership", "metro"],
        "grain": "stop x local hour x mode x service day",
        "privacy": {"method": "suppression", "k": 10},
        "frame": boardings,
        "versions": 2,
        "formats": ("CSV", "JSON", "Parquet", "datapackage"),
    },
    {
        "name": REVENUE,
        "title_en": "Operator revenue by day",
        "title_fa": "درآمد بهره‌برداران در هر روز",
        "notes_en": "What each operator is owed for a service day, in rials.",
        "notes_fa": "سهم هر بهره‌بردار از کرایه‌های یک روز خدمت، به ریال.",
        "organization": "mashhad-transit",
        "tags": ["transit", "revenue"],
        "grain": "operator x service day",
        "privacy": {"method": "dp", "epsilon": 1.0, "contribution_bound": 10},
        "frame": revenue,
        "versions": 1,
        "formats": ("CSV", "JSON", "Parquet", "datapackage"),
    },
    {
        "name": REPORTS,
        "title_en": "Citizens' reports by district",
        "title_fa": "گزارش‌های شهروندان به تفکیک منطقه",
        "notes_en": "Problem reports filed and resolved in each district.",
        "notes_fa": "گزارش‌های مشکل ثبت‌شده و رسیدگی‌شده در هر منطقهٔ شهرداری مشهد.",
        "organization": "mashhad-municipality",
        "tags": ["civic", "reports"],
        "grain": "district x service day",
        "privacy": {"method": "public"},
        "frame": reports,
        "versions": 1,
        "formats": ("CSV", "JSON"),
    },
]
"""The datasets' descriptions; each publishes `versions` releases of `formats`, a day apart."""
MEDIA = {
    "CSV": "text/csv",
    "JSON": "application/json",
    "Parquet": "application/vnd.apache.parquet",
    "datapackage": "application/json",
}


def _files(name: str, version: int, frame: pl.DataFrame) -> dict[str, tuple[str, bytes]]:
    parquet = io.BytesIO()
    frame.write_parquet(parquet)
    csv = frame.write_csv(null_value="").encode()
    package = {"name": name, "version": str(version), "resources": [{"path": f"{name}-v{version}.csv"}]}
    return {
        "CSV": (f"{name}-v{version}.csv", csv),
        "JSON": (f"{name}-v{version}.json", json.dumps(frame.to_dicts(), default=str).encode()),
        "Parquet": (f"{name}-v{version}.parquet", parquet.getvalue()),
        "datapackage": ("datapackage.json", json.dumps(package).encode()),
    }


def seed_catalog(session: Session) -> Seeded:
    """The three datasets of `DATASETS`, committed; dataset i was created 2i days after T0."""
    seeded = Seeded()
    for offset, spec in enumerate(DATASETS):
        created = T0 + timedelta(days=2 * offset)
        released = [created + timedelta(days=v) for v in range(spec["versions"])]
        dataset = OpenDataset(
            **{key: spec[key] for key in ("name", "title_en", "title_fa", "notes_en", "notes_fa")},
            organization=spec["organization"],
            tags=spec["tags"],
            license_id="cc-by-4.0",
            grain=spec["grain"],
            privacy=spec["privacy"],
            created_at=created,
            updated_at=released[-1],
        )
        session.add(dataset)
        session.flush()
        for version, at in enumerate(released, start=1):
            day = at.date()
            frame = spec["frame"](day)
            release = OpenRelease(
                dataset_id=dataset.id,
                version=version,
                period_start=day,
                period_end=day,
                released_at=at,
                note=f"Release {version}: the service day {day}.",
                rows=frame.height,
                suppressed_cells=1,
                table_schema={"fields": [{"name": c} for c in frame.columns]},
                provenance={"source": "test"},
            )
            session.add(release)
            session.flush()
            for fmt, (filename, content) in _files(spec["name"], version, frame).items():
                if fmt not in spec["formats"]:
                    continue
                resource = OpenResource(
                    id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"test:{spec['name']}/{version}/{fmt}")),
                    release_id=release.id,
                    format=fmt,
                    filename=filename,
                    media_type=MEDIA[fmt],
                    content=content,
                    size=len(content),
                    sha256=hashlib.sha256(content).hexdigest(),
                    created_at=at,
                    downloads=0,
                )
                session.add(resource)
                seeded.ids[spec["name"], version, fmt] = resource.id
                seeded.content[resource.id] = content
    session.commit()
    return seeded


@dataclass
class Catalog:
    client: TestClient
    seeded: Seeded
    sessions: Any

    def action(self, action: str, **params: Any) -> Any:
        """GET the action, checking CKAN's envelope; its result."""
        response = self.client.get(f"/api/3/action/{action}", params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["success"] is True and body["help"].endswith(f"/api/3/action/help_show?name={action}")
        return body["result"]

    def search(self, **params: Any) -> dict[str, Any]:
        """POST package_search with a JSON object, as ckanapi does."""
        response = self.client.post("/api/3/action/package_search", json=params)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()["result"]
        return result

    def refused(self, action: str, status: int, *, method: str = "GET", **params: Any) -> dict[str, Any]:
        """Call the action expecting CKAN's refusal with `status`; its `error` object."""
        if method == "GET":
            response = self.client.get(f"/api/3/action/{action}", params=params)
        else:
            response = self.client.post(f"/api/3/action/{action}", json=params)
        assert response.status_code == status, response.text
        body = response.json()
        assert body["success"] is False and "result" not in body and "help" in body
        error: dict[str, Any] = body["error"]
        return error


@pytest.fixture
def catalog(database_url: str) -> Iterator[Catalog]:  # noqa: F811
    app = create_app(Settings(environment="test", database_url=database_url))
    with TestClient(app) as client:
        with app.state.sessions() as session:
            seeded = seed_catalog(session)
        yield Catalog(client, seeded, app.state.sessions)


def names(result: dict[str, Any]) -> list[str]:
    return [package["name"] for package in result["results"]]


# --- the actions --------------------------------------------------------------------------------------


def test_api_version_and_action_paths(catalog: Catalog) -> None:
    assert catalog.client.get("/api/3").json() == {"version": 3}
    listed = sorted([BOARDINGS, REVENUE, REPORTS])
    assert catalog.action("package_list") == listed
    alias = catalog.client.post("/api/action/package_list", json={})  # ckanapi's default path
    assert alias.status_code == 200 and alias.json()["result"] == listed
    assert catalog.action("package_list", limit=1, offset=1) == listed[1:2]


def test_package_show_by_name_and_id(catalog: Catalog) -> None:
    package = catalog.action("package_show", id=BOARDINGS)
    assert catalog.action("package_show", id=package["id"]) == package
    assert package["title"] == "Boardings by stop and hour"
    assert package["title_translated"]["fa"] == "سوار شدن مسافران به تفکیک ایستگاه و ساعت"
    assert package["organization"]["name"] == "mashhad-transit"
    assert package["organization"]["title"] == "Mashhad Traffic and Transportation Organization"
    assert package["license_id"] == "cc-by-4.0" and package["license_url"].startswith(
        "https://creativecommons"
    )
    assert [tag["name"] for tag in package["tags"]] == ["transit", "ridership", "metro"]
    assert package["num_tags"] == 3 and package["version"] == "2"
    assert package["metadata_created"] == "2025-10-02T06:00:00.000000"
    assert package["metadata_modified"] == "2025-10-03T06:00:00.000000"
    extras = {extra["key"]: extra["value"] for extra in package["extras"]}
    assert extras["version"] == "2" and extras["period"] == "2025-10-03/2025-10-03"
    assert extras["grain"] == "stop x local hour x mode x service day"
    assert json.loads(extras["privacy"]) == {"method": "suppression", "k": 10}
    # the current release's files, each downloadable at an absolute URL, with its size and sha256
    assert package["num_resources"] == 4
    assert [r["format"] for r in package["resources"]] == ["CSV", "JSON", "Parquet", "datapackage"]
    for resource in package["resources"]:
        content = catalog.seeded.content[resource["id"]]
        assert resource["id"] == catalog.seeded.ids[BOARDINGS, 2, resource["format"]]
        assert resource["package_id"] == package["id"]
        assert resource["url"].startswith("http://testserver/opendata/resources/")
        assert resource["size"] == len(content) and resource["hash"] == hashlib.sha256(content).hexdigest()


def test_resource_show_of_an_older_release(catalog: Catalog) -> None:
    old = catalog.seeded.ids[BOARDINGS, 1, "Parquet"]
    resource = catalog.action("resource_show", id=old)
    assert resource["name"] == f"{BOARDINGS}-v1.parquet"
    assert resource["mimetype"] == "application/vnd.apache.parquet"
    assert "version 1" in resource["description"]


def test_not_found_and_validation_errors(catalog: Catalog) -> None:
    assert catalog.refused("package_show", 404, id="no-such-dataset") == {
        "__type": "Not Found Error",
        "message": "Not found",
    }
    assert catalog.refused("resource_show", 404, id="nope")["message"] == "Not found: Resource was not found."
    assert catalog.refused("package_show", 409) == {"__type": "Validation Error", "id": ["Missing value"]}
    assert catalog.refused("package_show", 409, method="POST", id=["a", "list"]) == {
        "__type": "Validation Error",
        "id": ["Must be a string"],
    }
    assert catalog.refused("package_list", 409, limit="-1")["limit"] == ["Must be a natural number"]
    assert catalog.refused("tag_list", 404, vocabulary_id="genres")["__type"] == "Not Found Error"


def test_unknown_action_and_unreadable_body_are_ckans_bad_request(catalog: Catalog) -> None:
    unknown = catalog.client.post("/api/3/action/package_create", json={"name": "x"})
    assert unknown.status_code == 400
    assert unknown.json() == "Bad request - Action name not known: package_create"
    bad_json = catalog.client.post(
        "/api/3/action/package_show", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert bad_json.status_code == 400 and bad_json.json().startswith("Bad request - JSON Error")
    not_object = catalog.client.post("/api/3/action/package_show", json=[1, 2])
    assert not_object.status_code == 400 and "needs to be a dictionary" in not_object.json()


def test_post_as_a_form_and_json_in_a_form_key(catalog: Catalog) -> None:
    form = catalog.client.post("/api/3/action/package_show", data={"id": REVENUE})
    assert form.json()["result"]["name"] == REVENUE
    old_style = catalog.client.post("/api/3/action/package_show", data={json.dumps({"id": REPORTS}): "1"})
    assert old_style.json()["result"]["name"] == REPORTS


def test_organization_tag_status_and_help(catalog: Catalog) -> None:
    assert catalog.action("organization_list") == ["mashhad-transit", "mashhad-municipality"]  # by title
    counted = catalog.action("organization_list", all_fields="true", sort="package_count desc")
    assert [(o["name"], o["package_count"]) for o in counted] == [
        ("mashhad-transit", 2),
        ("mashhad-municipality", 1),
    ]
    assert counted[1]["title_translated"]["fa"] == "شهرداری مشهد"
    assert catalog.action("tag_list") == ["civic", "metro", "reports", "revenue", "ridership", "transit"]
    assert catalog.action("tag_list", query="re") == ["reports", "revenue"]
    assert catalog.action("tag_list", all_fields="true")[0]["name"] == "civic"
    status = catalog.action("status_show")
    assert status["ckan_version"].startswith("2.") and status["site_url"] == "http://testserver"
    assert "package_search" in catalog.action("help_show", name="package_search")


def test_answers_are_ascii_json_as_ckan_writes_them(catalog: Catalog) -> None:
    response = catalog.client.get("/api/3/action/package_show", params={"id": REPORTS})
    assert response.headers["content-type"].startswith("application/json")
    response.content.decode("ascii")
    assert "\\u06af" in response.text  # گ of گزارش, escaped
    odd = catalog.client.post("/api/3/action/package_search", content=b'{"\\ud800": 1}')
    assert odd.status_code == 400 and odd.json()["error"]["__type"] == "Search Query Error"


# --- package_search -----------------------------------------------------------------------------------


def test_search_everything_by_default(catalog: Catalog) -> None:
    result = catalog.search()
    assert result["count"] == 3 and result["sort"] == "score desc, metadata_modified desc"
    assert names(result) == [REPORTS, REVENUE, BOARDINGS]  # newest first when nothing is scored
    assert result["results"][0]["resources"][0]["format"] == "CSV"
    assert result["facets"] == {} and result["search_facets"] == {}


def test_free_text_in_both_languages(catalog: Catalog) -> None:
    assert names(catalog.search(q="boardings")) == [BOARDINGS]
    assert names(catalog.search(q="revenue operator")) == [REVENUE]
    assert names(catalog.search(q="revenue boardings")) == []  # every word must appear
    assert names(catalog.search(q="گزارش")) == [REPORTS]
    assert names(catalog.search(q="ايستگاه")) == [BOARDINGS]  # Arabic yeh finds Persian ی
    assert names(catalog.search(q="ridership")) == [BOARDINGS]  # a tag
    assert names(catalog.search(q="مشهد")) == [REPORTS, REVENUE, BOARDINGS]  # publishers' titles; notes
    assert names(catalog.search(q="tags:revenue")) == [REVENUE]
    assert catalog.search(q="*:*")["count"] == 3


def test_filter_queries(catalog: Catalog) -> None:
    assert names(catalog.search(fq="tags:transit", sort="name asc")) == [BOARDINGS, REVENUE]
    assert names(catalog.search(fq="organization:mashhad-municipality")) == [REPORTS]
    assert names(catalog.search(fq="res_format:parquet", sort="name asc")) == [BOARDINGS, REVENUE]
    assert names(catalog.search(fq="+tags:transit -tags:revenue")) == [BOARDINGS]
    assert names(
        catalog.search(
            fq='tags:"transit" res_format:CSV', fq_list=["organization:mashhad-transit"], sort="name desc"
        )
    ) == [REVENUE, BOARDINGS]
    assert catalog.search(fq="+dataset_type:dataset +state:active +capacity:public")["count"] == 3
    since = catalog.search(fq="metadata_modified:[2025-10-05T00:00:00Z TO *]")
    assert names(since) == [REPORTS]
    assert names(catalog.search(fq="metadata_created:[* TO 2025-10-02T12:00:00Z]")) == [BOARDINGS]


def test_sort_and_paging(catalog: Catalog) -> None:
    assert names(catalog.search(sort="name asc")) == [BOARDINGS, REVENUE, REPORTS]
    assert names(catalog.search(sort="metadata_modified desc")) == [REPORTS, REVENUE, BOARDINGS]
    assert names(catalog.search(sort="title_string asc")) == [BOARDINGS, REPORTS, REVENUE]
    page = catalog.search(sort="name asc", rows=2, start=1)
    assert page["count"] == 3 and names(page) == [REVENUE, REPORTS]
    assert names(catalog.search(sort="name asc", rows=0)) == []
    scored = catalog.search(q="transit", sort="score desc, name asc")
    assert names(scored)[0] in {BOARDINGS, REVENUE} and scored["count"] == 2


def test_facets(catalog: Catalog) -> None:
    result = catalog.search(**{"facet.field": ["organization", "tags", "res_format"], "facet.limit": 2})
    assert result["facets"]["organization"] == {"mashhad-transit": 2, "mashhad-municipality": 1}
    assert result["facets"]["tags"] == {"transit": 2, "civic": 1}  # by count, then name; two of them
    assert result["facets"]["res_format"] == {"CSV": 3, "JSON": 3}
    organizations = result["search_facets"]["organization"]
    assert organizations["title"] == "organization"
    assert organizations["items"][0] == {
        "name": "mashhad-transit",
        "display_name": "Mashhad Traffic and Transportation Organization",
        "count": 2,
    }
    # in a query string, facet.field is JSON, as CKAN reads it; facets count every match, not the page
    get = catalog.action("package_search", **{"facet.field": '["tags"]', "fq": "tags:transit", "rows": 0})
    assert get["facets"]["tags"] == {"transit": 2, "metro": 1, "revenue": 1, "ridership": 1}
    assert catalog.search(**{"facet.field": ["tags"], "facet": "false"})["facets"] == {}


def test_rows_are_capped_at_1000(catalog: Catalog) -> None:
    with catalog.sessions() as session:
        session.add_all(
            OpenDataset(
                name=f"z-bulk-{n:04d}",
                title_en=f"Bulk {n}",
                title_fa="انبوه",
                notes_en="",
                notes_fa="",
                organization="mashhad-municipality",
                tags=[],
                license_id="cc-by-4.0",
                grain="row",
                privacy={"method": "public"},
                created_at=T0,
                updated_at=T0,
            )
            for n in range(1000)
        )
        session.commit()
    first = catalog.search(rows=5000, sort="name asc", fl="name")
    assert first["count"] == 1003 and len(first["results"]) == 1000
    assert first["results"][:3] == [{"name": BOARDINGS}, {"name": REVENUE}, {"name": REPORTS}]  # fl: those
    rest = catalog.search(rows=1000, start=1000, sort="name asc", fl=["name"])
    assert names(rest) == ["z-bulk-0997", "z-bulk-0998", "z-bulk-0999"]


def test_search_refusals_in_ckans_types(catalog: Catalog) -> None:
    bad_rows = catalog.refused("package_search", 409, rows="many")
    assert bad_rows == {"__type": "Validation Error", "rows": ["Invalid integer"]}
    assert catalog.refused("package_search", 409, start="-5")["start"] == ["Must be a natural number"]
    assert catalog.refused("package_search", 409, **{"facet.field": "tags"})["facet.field"] == [
        "Could not parse as valid JSON"
    ]
    misspelt = catalog.refused("package_search", 400, method="POST", facet_field=["tags"])
    assert misspelt["__type"] == "Search Query Error" and "facet_field" in misspelt["message"]
    assert catalog.refused("package_search", 409, fq="colour:red")["__type"] == "Search Error"
    assert catalog.refused("package_search", 409, fq="just words")["__type"] == "Search Error"
    assert catalog.refused("package_search", 409, sort="popularity desc")["__type"] == "Search Error"
    assert catalog.refused("package_search", 409, sort="name")["__type"] == "Search Error"
    assert (
        catalog.refused("package_search", 409, fq="metadata_modified:yesterday")["__type"] == "Search Error"
    )
    assert catalog.refused("package_search", 409, **{"facet.field": '["notes"]'})["__type"] == "Search Error"


# --- downloads ----------------------------------------------------------------------------------------


def _downloads(catalog: Catalog, resource_id: str) -> int:
    with catalog.sessions() as session:
        counted: int = session.scalar(select(OpenResource.downloads).where(OpenResource.id == resource_id))
        return counted


def test_download_sends_the_bytes_and_counts(catalog: Catalog) -> None:
    package = catalog.action("package_show", id=BOARDINGS)
    for resource in package["resources"]:
        response = catalog.client.get(resource["url"])
        assert response.status_code == 200
        assert response.content == catalog.seeded.content[resource["id"]]
        assert response.headers["content-type"].startswith(resource["mimetype"])
        assert resource["name"] in response.headers["content-disposition"]
    csv = catalog.seeded.ids[BOARDINGS, 2, "CSV"]
    catalog.client.get(f"/opendata/resources/{csv}/download/any-name.csv")
    assert _downloads(catalog, csv) == 2
    assert catalog.action("resource_show", id=csv)["downloads"] == 2
    assert _downloads(catalog, catalog.seeded.ids[BOARDINGS, 1, "CSV"]) == 0


def test_download_of_an_unknown_file_is_ckans_not_found(catalog: Catalog) -> None:
    for resource_id in ("no-such-file", "x" * 300, "a%00b"):
        response = catalog.client.get(f"/opendata/resources/{resource_id}/download/f.csv")
        assert response.status_code == 404
        assert response.json()["error"]["__type"] == "Not Found Error"
