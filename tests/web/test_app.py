"""The app's shape: it migrates its database on start, reports health, and every error is JSON with a
stable code and the bad field."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.testclient import TestClient
from pydantic import BaseModel

from shahr.errors import PolicyError, ShahrError
from shahr.settings import Settings
from shahr.web.app import create_app


class Amount(BaseModel):
    amount: int


def _client(database_url: str) -> TestClient:
    app = create_app(Settings(environment="test", database_url=database_url))
    probe = APIRouter(prefix="/probe")

    @probe.post("/amount")
    def take_amount(body: Amount) -> Amount:
        return body

    @probe.get("/policy")
    def bad_policy() -> None:
        raise PolicyError("modes.bus.base_fare.card.adult: missing", source="x.toml")

    @probe.get("/domain")
    def domain() -> None:
        raise ShahrError("something the service refuses")

    app.include_router(probe)
    return TestClient(app)


def test_health_after_migrations(database_url: str) -> None:
    with _client(database_url) as client:
        response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] in {"sqlite", "postgresql"}
    assert body["schema_revision"] is not None


def test_errors_are_json_with_code_and_field(database_url: str) -> None:
    with _client(database_url) as client:
        invalid = client.post("/probe/amount", json={"amount": "lots"})
        missing = client.get("/no/such/page")
        policy = client.get("/probe/policy")
        domain = client.get("/probe/domain")
    assert invalid.status_code == 422
    assert invalid.json()["error"]["code"] == "invalid_request"
    assert invalid.json()["error"]["field"] == "body.amount"
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert policy.status_code == 422
    assert policy.json()["error"] == {
        "code": "bad_policy",
        "message": "x.toml: modes.bus.base_fare.card.adult: missing",
        "field": None,
    }
    assert domain.status_code == 400 and domain.json()["error"]["code"] == "error"


def test_production_refuses_the_placeholder_secret() -> None:
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="SHAHR_SECRET_KEY must be set"):
        Settings(environment="production")
