"""Reports are rate-limited as proposals are, on both databases: an Open311 POST per reporter (as the
client names them) and per address, a reopening per report and per address; over a limit, 429 with
`Retry-After`, in the spec's error format for Open311."""

from __future__ import annotations

from xml.etree import ElementTree

import httpx2
import pytest

from shahr.backoffice.auth_tables import StaffRole
from shahr.civic.settings import CivicSettings, Limit
from shahr.web.deps import civic_settings
from tests.civic.reports.conftest import HARAM, Api
from tests.civic.reports.test_staff_api import file

WINDOW_S = 3600
LIMITED = CivicSettings(report_limit=Limit(per_person=2, per_address=3), rate_window_s=WINDOW_S)


@pytest.fixture
def limited(api: Api) -> Api:
    api.app.dependency_overrides[civic_settings] = lambda: LIMITED
    return api


def post(api: Api, fmt: str, key: str, **reporter: str) -> httpx2.Response:
    form = {
        "api_key": key,
        "service_code": "road_damage",
        "lat": str(HARAM[0]),
        "long": str(HARAM[1]),
        "attribute[size]": "large",
        **reporter,
    }
    return api.client.post(f"/open311/v2/requests.{fmt}", data=form)


def refusal(response: httpx2.Response) -> tuple[int, int, str]:
    """Status, the spec error's code and description (JSON or XML), with `Retry-After` checked against
    the seconds the description names."""
    if response.url.path.endswith(".json"):
        (item,) = response.json()
        code, description = item["code"], item["description"]
    else:
        (element,) = ElementTree.fromstring(response.content)
        code, description = int(element.findtext("code") or ""), element.findtext("description") or ""
    seconds = int(response.headers["Retry-After"])
    assert 1 <= seconds <= WINDOW_S
    assert description.endswith(f"; try again in {seconds} s")
    return response.status_code, code, description.removesuffix(f"; try again in {seconds} s")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_open311_posts_per_reporter_then_per_address(limited: Api, fmt: str) -> None:
    key = limited.api_key()
    assert [post(limited, fmt, key, account_id="a-1").status_code for _ in range(2)] == [200, 200]
    assert refusal(post(limited, fmt, key, account_id="a-1")) == (
        429,
        429,
        "too many report requests from this person: at most 2 per 3600 s",
    )
    # the same address's fourth report, from another reporter
    assert refusal(post(limited, fmt, key, device_id="phone-2")) == (
        429,
        429,
        "too many report requests from this address: at most 3 per 3600 s",
    )
    triage = limited.client.get("/civic/staff/triage", headers=limited.staff(StaffRole.OFFICE)).json()
    assert len(triage) == 2  # refused requests filed nothing


def test_a_reporter_named_nowhere_is_counted_by_address(limited: Api) -> None:
    key = limited.api_key()
    assert [post(limited, "json", key).status_code for _ in range(4)] == [200, 200, 200, 429]


def test_reopening_counts_as_a_report(limited: Api) -> None:
    filed = file(limited)
    operator = limited.staff(StaffRole.OPERATOR)
    url = f"/civic/staff/reports/{filed.report.id}/status"
    body = {"token": filed.token, "note": "هنوز خراب است"}
    for step in range(3):
        closing = limited.client.post(url, json={"status": "resolved", "note": "ok"}, headers=operator)
        assert closing.status_code == 200
        reopened = limited.client.post(f"/civic/reports/{filed.report.id}/reopen", json=body)
        if step < 2:
            assert reopened.status_code == 200
    assert reopened.status_code == 429
    error = reopened.json()["error"]
    assert (error["code"], error["field"]) == ("rate_limited", None)
    seconds = reopened.headers["Retry-After"]
    assert 1 <= int(seconds) <= WINDOW_S
    assert error["message"] == (
        f"too many report requests from this person: at most 2 per 3600 s; try again in {seconds} s"
    )
