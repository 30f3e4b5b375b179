"""Every error as JSON with a stable code and a message naming the bad field, mapped in one place.

{"error": {"code": "invalid_request", "message": "...", "field": "body.amount"}}
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from shahr.backoffice import auth
from shahr.backoffice.errors import (
    CardNotFound,
    CardNotUsable,
    IdempotencyConflict,
    InsufficientBalance,
    InvalidCommand,
    ServiceDayNotEnded,
)
from shahr.errors import FeedError, NetworkError, PolicyError, ShahrError

STATUS: dict[type[ShahrError], tuple[int, str]] = {
    FeedError: (422, "bad_feed"),
    NetworkError: (422, "network"),
    PolicyError: (422, "bad_policy"),
    CardNotFound: (404, "card_not_found"),
    InsufficientBalance: (409, "insufficient_balance"),
    IdempotencyConflict: (409, "idempotency_conflict"),
    CardNotUsable: (409, "card_not_usable"),
    InvalidCommand: (422, "invalid_command"),
    ServiceDayNotEnded: (409, "service_day_not_ended"),
    auth.NotAuthenticated: (401, "not_authenticated"),
    auth.BadTimestamp: (401, "bad_timestamp"),
    auth.UnknownDevice: (401, "unknown_device"),
    auth.BadSignature: (401, "bad_signature"),
    auth.BadCardToken: (401, "bad_card_token"),
    auth.NotAllowed: (403, "not_allowed"),
    auth.DeviceNotFound: (404, "device_not_found"),
    auth.DeviceExists: (409, "device_exists"),
}
"""Domain error -> (HTTP status, code); the most specific class listed wins, anything else is 400."""


def error_body(code: str, message: str, field: str | None = None) -> dict[str, dict[str, str | None]]:
    return {"error": {"code": code, "message": message, "field": field}}


def _status_of(exc: ShahrError) -> tuple[int, str]:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400, "error"


async def _domain(_request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, ShahrError):
        raise exc
    status, code = _status_of(exc)
    return JSONResponse(error_body(code, str(exc), getattr(exc, "field", None)), status_code=status)


async def _validation(_request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, RequestValidationError):
        raise exc
    first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
    field = ".".join(str(part) for part in first["loc"]) or None
    return JSONResponse(error_body("invalid_request", str(first["msg"]), field), status_code=422)


async def _http(_request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, StarletteHTTPException):
        raise exc
    code = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized", 403: "forbidden"}
    return JSONResponse(
        error_body(code.get(exc.status_code, "http_error"), str(exc.detail)),
        status_code=exc.status_code,
        headers=exc.headers,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ShahrError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
