"""Authentication through the API on SQLite and PostgreSQL: signed device requests (valid, wrong
signature, replayed outside the window, revoked device), staff tokens from the CLI, card tokens."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from shahr.backoffice.auth import (
    BadCardToken,
    card_from_token,
    card_token,
    create_staff_token,
    device_signature,
)
from shahr.backoffice.auth_tables import StaffRole
from shahr.settings import Settings
from shahr.web.app import create_app
from shahr.web.staff_cli import staff_app


@pytest.fixture
def app(database_url: str) -> FastAPI:
    return create_app(Settings(environment="test", database_url=database_url))


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


@pytest.fixture
def admin(app: FastAPI, client: TestClient) -> dict[str, str]:
    with app.state.sessions() as session:
        token = create_staff_token(session, "root", StaffRole.ADMIN, datetime.now(UTC))
        session.commit()
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def secret(client: TestClient, admin: dict[str, str]) -> str:
    response = client.post("/devices", json={"device_id": "val-7", "operator": "bus-co"}, headers=admin)
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "active"
    value: str = response.json()["secret"]
    return value


def _ping(client: TestClient, secret: str, *, age_s: int = 0, signature: str | None = None) -> dict[str, Any]:
    body = b'{"hello":"server"}'
    timestamp = str(int(time.time()) - age_s)
    headers = {
        "X-Device-Id": "val-7",
        "X-Timestamp": timestamp,
        "X-Signature": signature or device_signature(secret, timestamp, body),
        "Content-Type": "application/json",
    }
    response = client.post("/devices/val-7/ping", content=body, headers=headers)
    return {"status": response.status_code, **response.json()}


def test_a_signed_request_is_accepted(client: TestClient, secret: str) -> None:
    answer = _ping(client, secret)
    assert answer["status"] == 200 and answer["device_id"] == "val-7" and answer["operator"] == "bus-co"


def test_a_wrong_signature_is_refused(client: TestClient, secret: str) -> None:
    answer = _ping(client, secret, signature="0" * 64)
    assert answer["status"] == 401
    assert answer["error"] == {
        "code": "bad_signature",
        "message": "signature does not match for device 'val-7'",
        "field": "header.x-signature",
    }


def test_a_request_six_minutes_old_is_refused_as_a_replay(client: TestClient, secret: str) -> None:
    answer = _ping(client, secret, age_s=6 * 60)
    assert answer["status"] == 401
    assert answer["error"]["code"] == "bad_timestamp"
    assert answer["error"]["field"] == "header.x-timestamp"


def test_a_revoked_device_is_refused(client: TestClient, secret: str, admin: dict[str, str]) -> None:
    revoked = client.post("/devices/val-7/revoke", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    answer = _ping(client, secret)
    assert answer["status"] == 401 and answer["error"]["code"] == "unknown_device"


def test_missing_device_headers_name_the_header(client: TestClient) -> None:
    response = client.post("/devices/val-7/ping")
    assert response.status_code == 401 and response.json()["error"]["field"] == "header.x-device-id"


def test_a_device_id_is_registered_once_and_only_by_an_admin(
    app: FastAPI, client: TestClient, secret: str, admin: dict[str, str]
) -> None:
    again = client.post("/devices", json={"device_id": "val-7", "operator": "bus-co"}, headers=admin)
    assert again.status_code == 409 and again.json()["error"]["code"] == "device_exists"
    with app.state.sessions() as session:
        token = create_staff_token(session, "clerk", StaffRole.OPERATOR, datetime.now(UTC))
        session.commit()
    clerk = client.post(
        "/devices", json={"device_id": "v8", "operator": "x"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert clerk.status_code == 403
    unknown = client.post("/devices/nope/revoke", headers=admin)
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "device_not_found"


def test_the_cli_prints_a_token_once_and_revokes_it(database_url: str, client: TestClient) -> None:
    runner = CliRunner()
    created = runner.invoke(staff_app, ["token", "Ana", "--role", "admin", "--url", database_url])
    assert created.exit_code == 0, created.output
    bearer = {"Authorization": f"Bearer {created.output.strip()}"}
    assert (
        client.post("/devices", json={"device_id": "v9", "operator": "x"}, headers=bearer).status_code == 201
    )
    revoked = runner.invoke(staff_app, ["revoke", "Ana", "--url", database_url])
    assert revoked.exit_code == 0 and "revoked 1 token(s)" in revoked.output
    after = client.post("/devices", json={"device_id": "v10", "operator": "x"}, headers=bearer)
    assert after.status_code == 401 and after.json()["error"]["code"] == "not_authenticated"


def test_card_tokens_name_one_card_under_one_secret() -> None:
    token = card_token("a1b2c3d4e5f60718", "s3cret")
    assert card_from_token(token, "s3cret") == "a1b2c3d4e5f60718"
    for bad in (token.replace("a1", "b1", 1), "no-dot", f"{token}x", "."):
        with pytest.raises(BadCardToken):
            card_from_token(bad, "s3cret")
    with pytest.raises(BadCardToken):
        card_from_token(token, "another secret")
