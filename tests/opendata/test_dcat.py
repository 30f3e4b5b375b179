"""The catalog in DCAT-AP JSON-LD: the document is JSON-LD a processor can expand (every term's prefix is
in its context), has a dcat:Dataset per dataset with its titles in both languages and a distribution
per current file, each of which downloads the bytes its checksum and size describe."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.civic.conftest import database_url  # noqa: F401  (the fresh-database fixture, both engines)
from tests.opendata.test_ckan_api import BOARDINGS, DATASETS, REPORTS, Catalog
from tests.opendata.test_ckan_api import catalog as catalog  # noqa: F401  (the fixture)


@pytest.fixture
def document(catalog: Catalog) -> Iterator[dict[str, Any]]:  # noqa: F811
    response = catalog.client.get("/opendata/catalog.jsonld")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/ld+json")
    yield json.loads(response.content)


def _terms(node: Any) -> Iterator[str]:
    """Every property and @type value used in the document, outside @context."""
    if isinstance(node, list):
        for item in node:
            yield from _terms(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "@context":
                continue
            if key == "@type" and isinstance(value, str):
                yield value
            if not key.startswith("@"):
                yield key
            yield from _terms(value)


def test_every_term_expands_through_the_context(document: dict[str, Any]) -> None:
    context = document["@context"]
    assert context["dcat"] == "http://www.w3.org/ns/dcat#" and context["dct"] == "http://purl.org/dc/terms/"
    prefixes = {term.partition(":")[0] for term in _terms(document)}
    assert prefixes <= set(context), prefixes - set(context)


def test_catalog_lists_every_dataset_in_both_languages(document: dict[str, Any]) -> None:
    assert document["@type"] == "dcat:Catalog"
    assert {t["@language"] for t in document["dct:title"]} == {"en", "fa"}
    datasets = {d["dct:identifier"]: d for d in document["dcat:dataset"]}
    assert set(datasets) == {spec["name"] for spec in DATASETS}
    for spec in DATASETS:
        described = datasets[spec["name"]]
        assert described["@type"] == "dcat:Dataset" and described["@id"].startswith("urn:uuid:")
        titles = {t["@language"]: t["@value"] for t in described["dct:title"]}
        assert titles == {"en": spec["title_en"], "fa": spec["title_fa"]}
        assert described["dcat:keyword"] == spec["tags"]
        assert described["dct:publisher"]["@type"] == "foaf:Agent"
        assert described["dct:modified"]["@type"] == "xsd:dateTime"
        assert len(described["dcat:distribution"]) == len(spec["formats"])
    assert datasets[BOARDINGS]["owl:versionInfo"] == "2"
    assert datasets[REPORTS]["dct:temporal"]["dcat:startDate"]["@value"] == "2025-10-06"


def test_every_distribution_downloads_what_it_describes(catalog: Catalog, document: dict[str, Any]) -> None:  # noqa: F811
    package_ids = {
        catalog.client.get("/api/3/action/package_show", params={"id": d["name"]}).json()["result"]["id"]
        for d in DATASETS
    }
    distributions = [d for dataset in document["dcat:dataset"] for d in dataset["dcat:distribution"]]
    assert len(distributions) == sum(len(spec["formats"]) for spec in DATASETS)
    assert {d["@id"] for d in document["dcat:dataset"]} == {f"urn:uuid:{i}" for i in package_ids}
    for distribution in distributions:
        assert distribution["@type"] == "dcat:Distribution"
        assert distribution["dct:license"] == {"@id": "https://creativecommons.org/licenses/by/4.0/"}
        media = distribution["dcat:mediaType"]["@id"]
        assert media.startswith("https://www.iana.org/assignments/media-types/")
        assert distribution["dct:format"]["@id"].startswith(
            "http://publications.europa.eu/resource/authority/file-type/"
        )
        response = catalog.client.get(distribution["dcat:downloadURL"]["@id"])
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(media.rpartition("media-types/")[2])
        assert int(distribution["dcat:byteSize"]["@value"]) == len(response.content)
        checksum = distribution["spdx:checksum"]
        assert checksum["spdx:algorithm"] == {"@id": "spdx:checksumAlgorithm_sha256"}
        assert checksum["spdx:checksumValue"]["@value"] == hashlib.sha256(response.content).hexdigest()
