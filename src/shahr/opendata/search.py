"""CKAN's `package_search` over the catalog, done in Python: the catalog is tens of datasets, so a search
reads it whole and filters in memory, and there is no index to keep in step with releases. The catalog
pages search with the same `search`.

What it takes, CKAN's parameters with the part of Solr's syntax CKAN clients send:

- `q`: words that must all appear in a dataset's titles, notes, tags, name or organization, in either
  language (matched as parts of words, after `civic.text.normalize`: Arabic ي/ك and Persian digits
  match their Persian and ASCII forms), and `field:value` clauses as in `fq`. Empty or `*:*`: all.
- `fq` and `fq_list`: `field:value` clauses, all of which must hold; `-field:value` must not. A value
  is quoted when it has spaces; `*` is any value. Fields: `tags`, `organization`, `res_format` (any
  case), `license_id`, `name`, `id`, and CKAN's own `capacity:public`, `state:active`,
  `dataset_type:dataset`; `metadata_modified` and `metadata_created` take a range,
  `[2025-10-01T00:00:00Z TO *]` (`*` and `NOW` as ends), as harvesters ask for what changed.
- `sort`: `field asc|desc`, comma-separated: `score`, `metadata_modified`, `metadata_created`, `name`,
  `title_string`, `num_resources`, `num_tags`, `views_total` (downloads). Default
  `score desc, metadata_modified desc`; the name breaks ties.
- `rows` (default 10, lowered to 1,000 as CKAN's `ckan.search.rows_max` does) and `start`.
- `facet` (`false`: none), `facet.field` (a list, or its JSON in a query string: `tags`,
  `organization`, `res_format`, `license_id`), `facet.limit` (default 50, negative: all),
  `facet.mincount` (default 1); `fl`: the fields of each result.
- Taken and ignored: `include_private`, `include_drafts`, `include_deleted` (nothing here is private
  or a draft), `use_default_schema`, Solr's `qf`, `wt`, `bf`, `boost`, `tie`, `defType`, `mm`, `df`,
  and `ext_*`. Any other parameter is a Search Query Error, as in CKAN.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shahr.civic.text import normalize
from shahr.opendata.ckan import (
    LICENSES,
    Call,
    Entry,
    SearchError,
    SearchQueryError,
    ValidationError,
    load_entries,
    organization_title,
    package_dict,
)

MAX_ROWS = 1000
DEFAULT_SORT = "score desc, metadata_modified desc"
FACETS = ("tags", "organization", "res_format", "license_id")
RANGES = ("metadata_modified", "metadata_created")
FIELDS = (
    "tags",
    "organization",
    "res_format",
    "license_id",
    "name",
    "id",
    "capacity",
    "state",
    "dataset_type",
)
SORT_KEYS: dict[str, Callable[[Entry, float], Any]] = {
    "score": lambda _, score: score,
    "metadata_modified": lambda entry, _: entry.modified,
    "metadata_created": lambda entry, _: entry.created,
    "name": lambda entry, _: entry.dataset.name,
    "title_string": lambda entry, _: entry.dataset.title_en.lower(),
    "num_resources": lambda entry, _: len(entry.formats),
    "num_tags": lambda entry, _: len(entry.dataset.tags),
    "views_total": lambda entry, _: entry.downloads,
}
"""What each sort field orders by (an entry and its score in)."""
SORTS = tuple(SORT_KEYS)
IGNORED = {
    "include_private",
    "include_drafts",
    "include_deleted",
    "use_default_schema",
    "qf",
    "wt",
    "bf",
    "boost",
    "tie",
    "defType",
    "mm",
    "df",
    "extras",
}
TAKEN = {"q", "fq", "fq_list", "sort", "rows", "start", "facet", "facet.field", "facet.limit"}
TAKEN |= {"facet.mincount", "fl", *IGNORED}
_CLAUSE = re.compile(r'([+-]?)(?:([a-z_]+):)?("[^"]*"|\[[^\]]*\]|\S+)')
_RANGE = re.compile(r"\[\s*(\S+)\s+TO\s+(\S+)\s*\]")


@dataclass(frozen=True)
class Clause:
    """`field:value` (or a time range), which must hold, or must not (`negate`)."""

    field: str
    value: str = "*"
    since: datetime | None = None
    until: datetime | None = None
    negate: bool = False


@dataclass(frozen=True)
class Query:
    words: tuple[str, ...] = ()
    clauses: tuple[Clause, ...] = ()
    sort: tuple[tuple[str, bool], ...] = (("score", True), ("metadata_modified", True))
    """(field, descending) pairs, the first the most significant."""
    rows: int = 10
    start: int = 0
    facet_fields: tuple[str, ...] = ()
    facet_limit: int = 50
    facet_mincount: int = 1


@dataclass(frozen=True)
class Found:
    count: int
    """Datasets matching, of which `entries` is the page asked for."""
    entries: tuple[Entry, ...]
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    """Per facet field, (value, datasets) by count then value."""


def search(entries: Sequence[Entry], query: Query) -> Found:
    """The page of datasets matching `query`, in its order, with facet counts over every match."""
    scored = [(entry, score) for entry in entries if (score := _score(entry, query)) is not None]
    for sort_field, descending in reversed((*query.sort, ("name", False))):
        scored.sort(key=lambda pair: SORT_KEYS[sort_field](*pair), reverse=descending)
    matched = [entry for entry, _ in scored]
    facets = {name: _facet(matched, name, query) for name in query.facet_fields}
    page = tuple(matched[query.start : query.start + query.rows])
    return Found(len(matched), page, facets)


def words(text: str) -> tuple[str, ...]:
    """Free text as the words a search looks for."""
    return tuple(normalize(text).split())


def values(entry: Entry, name: str) -> set[str]:
    """What a field holds for a dataset (`res_format` in lower case: formats are written either way)."""
    dataset = entry.dataset
    fields: dict[str, Iterable[str]] = {
        "tags": dataset.tags,
        "organization": [dataset.organization],
        "res_format": [fmt.lower() for fmt in entry.formats],
        "license_id": [dataset.license_id],
        "name": [dataset.name],
        "id": [entry.id],
        "capacity": ["public"],
        "state": ["active"],
        "dataset_type": ["dataset"],
    }
    if name not in fields:
        raise SearchError(f"undefined field {name!r} in a filter query")
    return set(fields[name])


def display_name(name: str, value: str, lang: str = "en") -> str:
    """A facet value as people read it: an organization's title, a licence's."""
    if name == "organization":
        return organization_title(value, lang)
    if name == "license_id" and value in LICENSES:
        return LICENSES[value].title
    return value


def _score(entry: Entry, query: Query) -> float | None:
    """None when the dataset does not match; otherwise how well the words do (titles count most)."""
    if not all(_holds(entry, clause) != clause.negate for clause in query.clauses):
        return None
    if not query.words:
        return 0.0
    dataset = entry.dataset
    parts = (
        (3.0, f"{dataset.title_en} {dataset.title_fa}"),
        (2.0, " ".join(dataset.tags)),
        (1.0, f"{dataset.notes_en} {dataset.notes_fa} {dataset.name} {dataset.organization}"),
        (1.0, f"{organization_title(dataset.organization)} {organization_title(dataset.organization, 'fa')}"),
    )
    texts = [(weight, normalize(text)) for weight, text in parts]
    total = 0.0
    for word in query.words:
        hits = sum(weight * text.count(word) for weight, text in texts)
        if not hits:
            return None
        total += hits
    return total


def _holds(entry: Entry, clause: Clause) -> bool:
    if clause.field in RANGES:
        moment = entry.modified if clause.field == "metadata_modified" else entry.created
        return (clause.since is None or moment >= clause.since) and (
            clause.until is None or moment <= clause.until
        )
    held = values(entry, clause.field)
    if clause.value == "*":
        return bool(held)
    return (clause.value.lower() if clause.field == "res_format" else clause.value) in held


def _facet(matched: Sequence[Entry], name: str, query: Query) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for entry in matched:
        shown = entry.formats if name == "res_format" else values(entry, name)
        for value in set(shown):
            counts[value] = counts.get(value, 0) + 1
    ranked = sorted(
        ((value, count) for value, count in counts.items() if count >= query.facet_mincount),
        key=lambda item: (-item[1], item[0]),
    )
    return ranked if query.facet_limit < 0 else ranked[: query.facet_limit]


# --- CKAN's parameters -------------------------------------------------------------------------------


def parse(call: Call) -> Query:
    """package_search's parameters as a `Query`: a malformed value is a Validation Error, a parameter it
    does not take a Search Query Error, a clause or sort it cannot run a Search Error (CKAN's order)."""
    rows = min(call.natural("rows", 10), MAX_ROWS)
    start = call.natural("start", 0)
    facet_limit = _integer(call, "facet.limit", 50)
    facet_mincount = call.natural("facet.mincount", 1)
    facet_fields = _strings(call, "facet.field", parse_json=True)
    q, sort = call.text("q") or "", call.text("sort") or DEFAULT_SORT
    filters = [call.text("fq") or "", *_strings(call, "fq_list", parse_json=False)]
    facet_on = call.flag("facet") if "facet" in call.data else True
    unknown = sorted(key for key in call.data if key not in TAKEN and not key.startswith("ext_"))
    if unknown:
        raise SearchQueryError(f"Invalid search parameters: {unknown}")
    clauses, free = _clauses(q, in_q=True)
    for text in filters:
        clauses += _clauses(text, in_q=False)[0]
    for name in facet_fields:
        if name not in FACETS:
            raise SearchError(f"cannot facet on {name!r}: one of {', '.join(FACETS)}")
    return Query(
        words=free,
        clauses=tuple(clauses),
        sort=_sort(sort),
        rows=rows,
        start=start,
        facet_fields=tuple(facet_fields) if facet_on else (),
        facet_limit=facet_limit,
        facet_mincount=facet_mincount,
    )


def package_search(call: Call) -> dict[str, Any]:
    """CKAN's package_search answer: `count`, `results` (package dicts, or their `fl` fields), `sort`,
    `facets` ({field: {value: count}}) and `search_facets` ({field: {title, items: [{name,
    display_name, count}]}})."""
    query = parse(call)
    fields = _strings(call, "fl", parse_json=False, split=True)
    found = search(load_entries(call.session), query)
    results = [package_dict(entry, call.base_url) for entry in found.entries]
    if fields:
        results = [{name: package[name] for name in fields if name in package} for package in results]
    return {
        "count": found.count,
        "results": results,
        "sort": call.text("sort") or DEFAULT_SORT,
        "facets": {name: dict(items) for name, items in found.facets.items()},
        "search_facets": {
            name: {
                "title": name,
                "items": [
                    {"name": value, "display_name": display_name(name, value), "count": count}
                    for value, count in items
                ],
            }
            for name, items in found.facets.items()
        },
    }


def _integer(call: Call, key: str, default: int) -> int:
    """A whole number that may be negative (facet.limit: negative is unlimited)."""
    value = call.data.get(key)
    if isinstance(value, str) and value.strip().startswith("-"):
        return -Call(call.session, call.base_url, {key: value.strip()[1:]}).natural(key, 0)
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        return value
    return call.natural(key, default)


def _strings(call: Call, key: str, *, parse_json: bool, split: bool = False) -> list[str]:
    """A list of strings: a JSON list, a JSON string of one (`parse_json`, as CKAN's facet.field), a
    repeated query parameter, or one string (`split` on commas and spaces, as Solr's fl)."""
    value = call.data.get(key)
    if value is None:
        return []
    if isinstance(value, str) and parse_json:
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise ValidationError(key, "Could not parse as valid JSON") from exc
    if isinstance(value, str):
        return [part for part in re.split(r"[,\s]+", value) if part] if split else [value]
    if not isinstance(value, list):
        raise ValidationError(key, "Not a list")
    if not all(isinstance(item, str) for item in value):
        raise ValidationError(key, "Not a string")
    return list(value)


def _clauses(text: str, *, in_q: bool) -> tuple[list[Clause], tuple[str, ...]]:
    """The clauses of a query, and (in `q`) the free words left over."""
    if text.strip() in {"", "*:*", "*"}:
        return [], ()
    clauses: list[Clause] = []
    free: list[str] = []
    for sign, name, raw in _CLAUSE.findall(text):
        value = raw[1:-1] if len(raw) > 1 and raw[0] == raw[-1] == '"' else raw
        if not name and in_q:
            free.extend(words(value) if value != "AND" else ())
        elif not name:
            raise SearchError(f"cannot read the filter query {text!r}: write field:value clauses")
        elif name in RANGES:
            clauses.append(_range(name, value, negate=sign == "-"))
        elif name in FIELDS:
            clauses.append(Clause(name, value, negate=sign == "-"))
        else:
            raise SearchError(f"undefined field {name!r}: one of {', '.join(sorted(FIELDS + RANGES))}")
    return clauses, tuple(free)


def _range(name: str, text: str, *, negate: bool) -> Clause:
    """`[since TO until]`, each end a time (UTC when it names no zone), `NOW` or `*`."""
    found = _RANGE.fullmatch(text)
    if found is None:
        raise SearchError(f"{name} takes a range, [2025-10-01T00:00:00Z TO *], not {text!r}")
    since, until = (_moment(name, end) for end in found.groups())
    return Clause(name, since=since, until=until, negate=negate)


def _moment(name: str, text: str) -> datetime | None:
    if text == "*":
        return None
    if text == "NOW":
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise SearchError(f"{name}: {text!r} is not a time (2025-10-01T00:00:00Z)") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _sort(text: str) -> tuple[tuple[str, bool], ...]:
    """`field asc|desc, ...` as (field, descending) pairs; Solr needs the direction, and so does this."""
    pairs = []
    for part in text.split(","):
        name, _, direction = part.strip().partition(" ")
        direction = direction.strip().lower()
        if name == "title":
            name = "title_string"
        if name not in SORTS or direction not in {"asc", "desc"}:
            raise SearchError(f"can not sort on {part.strip()!r}: one of {', '.join(SORTS)}, asc or desc")
        pairs.append((name, direction == "desc"))
    return tuple(pairs)
