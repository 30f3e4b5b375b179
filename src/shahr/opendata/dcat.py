"""The catalog in DCAT-AP (3.0) as JSON-LD, for the portals that harvest DCAT rather than CKAN's API
(data.europa.eu and national portals, ckanext-dcat): a `dcat:Catalog` whose `dcat:dataset`s are the
datasets, each with its current release's files as `dcat:Distribution`s.

Titles and descriptions are in Persian and English, each with its `@language`. Datasets and
distributions are named by `urn:uuid:` (the CKAN API's ids, so the two views of a dataset are one
dataset to a harvester, whatever host serves them); `dcat:landingPage` and `dcat:downloadURL` are this
server's. Media types are IANA's URIs and formats the EU file-type authority's, as DCAT-AP recommends;
each file carries its size and sha256 (`spdx:checksum`). Older releases stay downloadable but are not
listed: DCAT describes what a dataset is now, and the changelog is on its page.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

from shahr.opendata.ckan import LICENSES, Entry, download_url, organization_title
from shahr.opendata.tables import OpenRelease, OpenResource

CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "spdx": "http://spdx.org/rdf/terms#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "adms": "http://www.w3.org/ns/adms#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
FILE_TYPES = "http://publications.europa.eu/resource/authority/file-type/"
FILE_TYPE = {"CSV": "CSV", "JSON": "JSON", "Parquet": "PARQUET", "datapackage": "JSON"}
LANGUAGES = "http://publications.europa.eu/resource/authority/language/"
PUBLIC = "http://publications.europa.eu/resource/authority/access-right/PUBLIC"
PUBLISHER = "mashhad-municipality"
"""Who publishes the catalog itself (each dataset names its own organization)."""
TITLE = {"en": "Mashhad open data", "fa": "داده‌های باز مشهد"}
DESCRIPTION = {
    "en": "Ridership, revenue and citizens' reports of the city of Mashhad, aggregated and published safely.",
    "fa": "داده‌های سفر، درآمد و گزارش‌های شهروندان مشهد، تجمیع‌شده و با حفظ حریم خصوصی منتشرشده.",
}


def catalog(entries: Sequence[Entry], base_url: str) -> dict[str, Any]:
    """The `dcat:Catalog` document of `entries`, links under `base_url` (no trailing slash)."""
    modified = max((entry.modified for entry in entries), default=None)
    document: dict[str, Any] = {
        "@context": CONTEXT,
        "@id": f"{base_url}/opendata/catalog.jsonld",
        "@type": "dcat:Catalog",
        "dct:title": _texts(TITLE["en"], TITLE["fa"]),
        "dct:description": _texts(DESCRIPTION["en"], DESCRIPTION["fa"]),
        "dct:publisher": _agent(PUBLISHER),
        "foaf:homepage": {"@id": f"{base_url}/fa/data"},
        "dct:language": [{"@id": f"{LANGUAGES}FAS"}, {"@id": f"{LANGUAGES}ENG"}],
        "dcat:dataset": [_dataset(entry, base_url) for entry in entries],
    }
    if modified is not None:
        document["dct:modified"] = _time(modified)
    return document


def _dataset(entry: Entry, base_url: str) -> dict[str, Any]:
    dataset, current = entry.dataset, entry.current
    page = f"{base_url}/{{lang}}/data/{quote(dataset.name)}"
    described: dict[str, Any] = {
        "@id": f"urn:uuid:{entry.id}",
        "@type": "dcat:Dataset",
        "dct:identifier": dataset.name,
        "dct:title": _texts(dataset.title_en, dataset.title_fa),
        "dct:description": _texts(dataset.notes_en, dataset.notes_fa),
        "dcat:keyword": list(dataset.tags),
        "dct:publisher": _agent(dataset.organization),
        "dct:accessRights": {"@id": PUBLIC},
        "dct:issued": _time(entry.created),
        "dct:modified": _time(entry.modified),
        "dcat:landingPage": [{"@id": page.format(lang="fa")}, {"@id": page.format(lang="en")}],
        "dcat:distribution": [],
    }
    if current is not None:
        release = current.row
        described |= {
            "owl:versionInfo": str(release.version),
            "adms:versionNotes": release.note,
            "dct:temporal": {
                "@type": "dct:PeriodOfTime",
                "dcat:startDate": _day(release.period_start),
                "dcat:endDate": _day(release.period_end),
            },
            "dcat:distribution": [
                _distribution(resource, release, dataset.license_id, base_url)
                for resource in current.resources
            ],
        }
    return described


def _distribution(
    resource: OpenResource, release: OpenRelease, license_id: str, base_url: str
) -> dict[str, Any]:
    url = download_url(base_url, resource)
    distribution: dict[str, Any] = {
        "@id": f"urn:uuid:{resource.id}",
        "@type": "dcat:Distribution",
        "dct:title": resource.filename,
        "dct:description": f"{resource.format}, version {release.version}",
        "dcat:accessURL": {"@id": url},
        "dcat:downloadURL": {"@id": url},
        "dcat:mediaType": {"@id": f"https://www.iana.org/assignments/media-types/{resource.media_type}"},
        "dct:format": {"@id": FILE_TYPES + FILE_TYPE.get(resource.format, "BIN")},
        "dcat:byteSize": {"@value": str(resource.size), "@type": "xsd:nonNegativeInteger"},
        "spdx:checksum": {
            "@type": "spdx:Checksum",
            "spdx:algorithm": {"@id": "spdx:checksumAlgorithm_sha256"},
            "spdx:checksumValue": {"@value": resource.sha256, "@type": "xsd:hexBinary"},
        },
        "dct:issued": _time(resource.created_at),
        "dct:modified": _time(resource.created_at),
    }
    if license_id in LICENSES:
        distribution["dct:license"] = {"@id": LICENSES[license_id].url}
    return distribution


def _agent(organization: str) -> dict[str, Any]:
    return {
        "@type": "foaf:Agent",
        "dct:identifier": organization,
        "foaf:name": _texts(organization_title(organization), organization_title(organization, "fa")),
    }


def _texts(english: str, persian: str) -> list[dict[str, str]]:
    return [{"@value": english, "@language": "en"}, {"@value": persian, "@language": "fa"}]


def _time(value: datetime) -> dict[str, str]:
    return {"@value": value.astimezone(UTC).isoformat().replace("+00:00", "Z"), "@type": "xsd:dateTime"}


def _day(value: date) -> dict[str, str]:
    return {"@value": value.isoformat(), "@type": "xsd:date"}
