"""The pages in process, without a browser (these run where Chromium is absent): the translation tables
agree, staff forms need the CSRF token of the staff cookie, the staff cookie is Secure, HttpOnly,
SameSite=Strict and signed, a revoked token signs out, residents' HTML is shown as text, a refused photo
files nothing, and no page names another site."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from shahr.backoffice.auth import create_staff_token, revoke_staff_tokens
from shahr.backoffice.auth_tables import StaffRole
from shahr.settings import Settings
from shahr.web.app import create_app
from shahr.web.pages.i18n import EN, FA
from shahr.web.pages.security import STAFF_COOKIE, safe_next
from shahr.web.pages.settings import PageSettings, get_page_settings
from tests.civic.reports.conftest import HARAM

PAGES = [
    "/fa/",
    "/en/",
    "/fa/reports/new",
    "/fa/reports",
    "/fa/accountability",
    "/en/proposals",
    "/fa/verify",
]


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    """HTTPS, as the Secure cookies need."""
    settings = Settings(environment="test", database_url=f"sqlite:///{tmp_path / 'pages.sqlite3'}")
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        yield client


def _staff_token(client: TestClient, name: str = "clerk", role: StaffRole = StaffRole.OPERATOR) -> str:
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        token = create_staff_token(session, name, role, datetime.now(UTC))
        session.commit()
    return token


def _file(client: TestClient, description: str = "چاله", **extra: object) -> str:
    form = {"category": "road_damage", "description": description, "lat": str(HARAM[0]), "lon": str(HARAM[1])}
    response = client.post("/fa/reports", data=form, follow_redirects=False, **extra)  # type: ignore[arg-type]
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


def test_translation_tables_have_the_same_keys() -> None:
    assert FA.keys() == EN.keys()


@pytest.mark.parametrize("path", PAGES)
def test_pages_load_nothing_from_elsewhere(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert not re.search(r"""(src|href|action)=["']?(https?:)?//""", response.text)


def test_language_prefix_direction_and_switch(client: TestClient) -> None:
    assert client.get("/", follow_redirects=False).headers["location"] == "/fa/"
    persian = client.get("/fa/reports?status=filed").text
    assert '<html lang="fa" dir="rtl">' in persian and 'href="/en/reports?status=filed"' in persian
    english = client.get("/en/reports?status=filed").text
    assert '<html lang="en" dir="ltr">' in english and 'href="/fa/reports?status=filed"' in english


def test_residents_html_is_text(client: TestClient) -> None:
    follow = _file(client, '<script>alert("x")</script> <img src=x onerror=alert(1)>')
    page = client.get(follow).text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page


def test_a_refused_photo_files_nothing(client: TestClient) -> None:
    form = {"category": "road_damage", "description": "x", "lat": str(HARAM[0]), "lon": str(HARAM[1])}
    response = client.post(
        "/fa/reports", data=form, files={"photo": ("a.jpg", b"not an image", "image/jpeg")}
    )
    assert response.status_code == 400 and "not an image" in response.text
    assert client.get("/civic/reports.json").json() == []


def test_staff_cookie_is_strict_httponly_secure_and_signed(client: TestClient) -> None:
    assert (
        client.get("/fa/staff", follow_redirects=False).headers["location"]
        == "/fa/staff/login?next=/fa/staff"
    )
    refused = client.post("/fa/staff/login", data={"token": "nope"})
    assert refused.status_code == 401
    login = client.post("/fa/staff/login", data={"token": _staff_token(client)}, follow_redirects=False)
    assert login.headers["location"] == "/fa/staff"
    cookie = login.headers["set-cookie"].lower()
    assert all(flag in cookie for flag in ("secure", "httponly", "samesite=strict"))
    assert client.get("/fa/staff").status_code == 200
    tampered = client.cookies[STAFF_COOKIE][:-2] + "xx"
    client.cookies.clear()
    client.cookies.set(STAFF_COOKIE, tampered)
    assert client.get("/fa/staff", follow_redirects=False).status_code == 303


def test_staff_forms_need_the_csrf_token(client: TestClient) -> None:
    _file(client)
    report_id = client.get("/civic/reports.json").json()[0]["id"]
    client.post("/fa/staff/login", data={"token": _staff_token(client)})
    url = f"/fa/staff/reports/{report_id}/status"
    form = {"status": "resolved", "note": "done"}
    assert client.post(url, data=form).status_code == 403
    assert client.post(url, data=form | {"csrf": "forged"}).status_code == 403
    token = re.search(r'name="csrf" value="([^"]+)"', client.get(f"/fa/staff/reports/{report_id}").text)
    assert token is not None
    assert client.post(url, data=form | {"csrf": token[1]}, follow_redirects=False).status_code == 303
    assert client.get(f"/civic/reports/{report_id}.json").json()["status"] == "resolved"


def test_a_revoked_token_signs_out_at_once(client: TestClient) -> None:
    client.post("/fa/staff/login", data={"token": _staff_token(client, "leaver")})
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        revoke_staff_tokens(session, "leaver", datetime.now(UTC))
        session.commit()
    assert client.get("/fa/staff", follow_redirects=False).status_code == 303


def test_a_reader_cannot_act(client: TestClient) -> None:
    _file(client)
    client.post("/fa/staff/login", data={"token": _staff_token(client, "auditor", StaffRole.FINANCE)})
    page = client.get("/fa/staff/reports/1").text
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    assert token is not None
    form = {"status": "resolved", "note": "done", "csrf": token[1]}
    assert client.post("/fa/staff/reports/1/status", data=form).status_code == 403


def test_staff_pages_take_the_api_s_roles(client: TestClient) -> None:
    """A moderator does not see reporters' contacts; an office works the triage, as in the API."""
    _file(client)
    client.post("/fa/staff/login", data={"token": _staff_token(client, "mod", StaffRole.MODERATOR)})
    assert client.get("/fa/staff/reports/1", follow_redirects=False).status_code == 403
    client.cookies.clear()
    client.post("/fa/staff/login", data={"token": _staff_token(client, "office", StaffRole.OFFICE)})
    page = client.get("/fa/staff/reports/1").text
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    assert token is not None
    form = {"status": "acknowledged", "note": "دیده شد", "csrf": token[1]}
    assert client.post("/fa/staff/reports/1/status", data=form, follow_redirects=False).status_code == 303


@pytest.mark.parametrize(
    ("target", "expected"),
    [("/fa/proposals/3", "/fa/proposals/3"), ("https://evil.example/", "/fa/"), ("//evil.example", "/fa/")],
)
def test_next_stays_on_this_site(target: str, expected: str) -> None:
    assert safe_next(target, "/fa/") == expected


def test_a_tile_url_adds_a_base_map(client: TestClient) -> None:
    tiles = PageSettings(
        tile_url="https://{s}.tiles.example.org/{z}/{x}/{y}.png", tile_attribution="© Example"
    )
    client.app.dependency_overrides[get_page_settings] = lambda: tiles  # type: ignore[attr-defined]
    response = client.get("/fa/reports")
    assert "img-src 'self' data: https://*.tiles.example.org;" in response.headers["content-security-policy"]
    assert 'data-tile-url="https://{s}.tiles.example.org/{z}/{x}/{y}.png"' in response.text
