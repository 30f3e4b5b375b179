"""What the two civic fuzz runs (reports and Open311 in tests/civic/reports/test_fuzz.py, proposals in
tests/civic/test_proposals_fuzz.py) share with the back office's (tests/web/test_fuzz.py): its checks, a
fixed seed with derandomized generation, Hypothesis' settings, and the app's OpenAPI document. Each run
takes its own tags, and the three together take every operation once
(`test_every_operation_is_fuzzed_by_one_run` in the reports' file)."""

from __future__ import annotations

import json
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings

from shahr.civic.settings import CivicSettings, Limit
from shahr.settings import Settings
from shahr.web.app import create_app
from tests.web.test_fuzz import BASE_URL as BASE_URL
from tests.web.test_fuzz import CHECKS as CHECKS

REPORT_TAGS = ["civic reports", "civic staff", "open311"]
PROPOSAL_TAGS = ["proposals"]
DOCUMENT: dict[str, Any] = json.loads(json.dumps(create_app(Settings(environment="test")).openapi()))
"""The app's OpenAPI document as JSON has it (no Python-only values)."""

WIDE = Limit(per_person=10**6, per_address=10**6)
CIVIC = CivicSettings(
    debate_threshold=1,
    answer_threshold=2,
    report_limit=WIDE,
    proposal_limit=WIDE,
    support_limit=WIDE,
    comment_limit=WIDE,
    verification_limit=WIDE,
)
"""Thresholds low enough that one support opens the debate; rate limits out of the fuzzer's way (they
are tested on their own)."""

FUZZ = settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # one database per operation, shared by its examples on purpose
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
"""As many fuzzed examples as the back office's run: about a minute per database for the 41 civic
operations on the 2-core machine."""


def civic_schema(tags: list[str], seed: int) -> Any:
    """The operations of `tags`, generated as the back office's run generates them."""
    config = {
        "seed": seed,
        "generation": {"mode": "all", "deterministic": True, "database": "none"},
        "phases": {"stateful": {"enabled": False}},
    }
    return schemathesis.openapi.from_dict(DOCUMENT, config=schemathesis.Config.from_dict(config)).include(
        tag=tags
    )


def security_schemes(case: schemathesis.Case) -> set[str]:
    """The names of the security schemes the case's operation takes."""
    security = case.operation.definition.raw.get("security", [])
    return {name for requirement in security for name in requirement}
