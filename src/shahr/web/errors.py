"""Every error as JSON with a stable code and a message naming the bad field, mapped in one place.

{"error": {"code": "invalid_request", "message": "...", "field": "body.amount"}}

The back office's and the civic module's errors alike (`STATUS`, `HEADERS`); Open311 answers the same
errors in its spec's own format (`routers/open311.py`), with the status taken from here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from shahr.backoffice import auth
from shahr.backoffice.deny_list import VersionAhead
from shahr.backoffice.errors import (
    CardNotFound,
    CardNotUsable,
    IdempotencyConflict,
    InsufficientBalance,
    InvalidCommand,
    PassOverlap,
    ServiceDayNotEnded,
)
from shahr.civic import ratelimit, verification
from shahr.civic.consultations import errors as consultations
from shahr.civic.geo import GeoError, OutsideCity
from shahr.civic.proposals import errors as proposals
from shahr.civic.reports import errors as reports
from shahr.errors import FeedError, NetworkError, PolicyError, ShahrError

STATUS: dict[type[ShahrError], tuple[int, str]] = {
    FeedError: (422, "bad_feed"),
    NetworkError: (422, "network"),
    PolicyError: (422, "bad_policy"),
    CardNotFound: (404, "card_not_found"),
    InsufficientBalance: (409, "insufficient_balance"),
    IdempotencyConflict: (409, "idempotency_conflict"),
    CardNotUsable: (409, "card_not_usable"),
    PassOverlap: (409, "pass_overlap"),
    InvalidCommand: (422, "invalid_command"),
    ServiceDayNotEnded: (409, "service_day_not_ended"),
    VersionAhead: (422, "deny_list_version_ahead"),
    auth.NotAuthenticated: (401, "not_authenticated"),
    auth.BadTimestamp: (401, "bad_timestamp"),
    auth.UnknownDevice: (401, "unknown_device"),
    auth.BadSignature: (401, "bad_signature"),
    auth.BadCardToken: (401, "bad_card_token"),
    auth.NotAllowed: (403, "not_allowed"),
    auth.DeviceNotFound: (404, "device_not_found"),
    auth.DeviceExists: (409, "device_exists"),
    reports.ReportError: (400, "invalid_report"),
    reports.BadPhoto: (400, "bad_photo"),
    reports.UnknownCategory: (404, "unknown_category"),
    reports.ReportNotFound: (404, "report_not_found"),
    reports.PhotoNotFound: (404, "photo_not_found"),
    reports.ApiKeyNotFound: (404, "api_key_not_found"),
    reports.TransitionRefused: (409, "transition_refused"),
    reports.BadReporterToken: (403, "bad_reporter_token"),
    reports.BadApiKey: (403, "bad_api_key"),
    GeoError: (400, "bad_location"),
    OutsideCity: (400, "outside_city"),
    proposals.InvalidProposal: (422, "invalid_proposal"),
    proposals.ProposalNotFound: (404, "proposal_not_found"),
    proposals.AlreadySupported: (409, "already_supported"),
    proposals.AlreadyFlagged: (409, "already_flagged"),
    proposals.ProposalClosed: (409, "proposal_closed"),
    consultations.InvalidConsultation: (422, "invalid_consultation"),
    consultations.ConsultationNotFound: (404, "consultation_not_found"),
    verification.InvalidPhone: (422, "invalid_phone"),
    verification.ChallengeNotFound: (404, "challenge_not_found"),
    verification.ChallengeClosed: (409, "challenge_closed"),
    verification.CodeNotSent: (503, "code_not_sent"),
    verification.BadPersonToken: (401, "bad_person_token"),
    ratelimit.RateLimited: (429, "rate_limited"),
}
"""Domain error -> (HTTP status, code); the most specific class listed wins, anything else is 400."""

HEADERS: dict[type[ShahrError], Callable[[Any], dict[str, str]]] = {
    ratelimit.RateLimited: lambda exc: {"Retry-After": str(exc.retry_after_s)},
}
"""Domain error -> the headers its answer carries (RFC 9110 10.2.3: seconds until the window ends). Apart
from `STATUS` because the pages' error route reads that table's (status, code) pairs as they are."""


def error_body(code: str, message: str, field: str | None = None) -> dict[str, dict[str, str | None]]:
    return {"error": {"code": code, "message": message, "field": field}}


def status_of(exc: ShahrError) -> tuple[int, str]:
    """The (HTTP status, code) `STATUS` gives the error's most specific listed class; (400, "error")."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400, "error"


def headers_of(exc: ShahrError) -> dict[str, str] | None:
    """The headers `HEADERS` gives the error's most specific listed class, None for most errors."""
    for cls in type(exc).__mro__:
        if cls in HEADERS:
            return HEADERS[cls](exc)
    return None


async def _domain(_request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, ShahrError):
        raise exc
    status, code = status_of(exc)
    body = error_body(code, str(exc), getattr(exc, "field", None))
    return JSONResponse(body, status_code=status, headers=headers_of(exc))


async def _validation(_request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, RequestValidationError):
        raise exc
    first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
    field = ".".join(str(part) for part in first["loc"]) or None
    return JSONResponse(error_body("invalid_request", str(first["msg"]), field), status_code=422)


async def _http(_request: Request, exc: Exception) -> JSONResponse:
    """The framework's own refusals. A body that is not UTF-8 is its 400, a status no operation declares:
    answered as FastAPI answers a body that is not JSON, 422 `invalid_request` on `body`."""
    if not isinstance(exc, StarletteHTTPException):
        raise exc
    if exc.status_code == 400 and isinstance(exc.__cause__, UnicodeDecodeError):
        message = f"the body could not be read as JSON: {exc.__cause__}"
        return JSONResponse(error_body("invalid_request", message, "body"), status_code=422)
    code = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized", 403: "forbidden"}
    return JSONResponse(
        error_body(code.get(exc.status_code, "http_error"), str(exc.detail)),
        status_code=exc.status_code,
        headers=exc.headers,
    )


UNIQUE_VIOLATIONS = {"23505", "SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"}
"""PostgreSQL's SQLSTATE and SQLite's error names for a duplicate key."""


async def _integrity(request: Request, exc: Exception) -> JSONResponse:
    """A duplicate key is a race lost to a concurrent request: two first uses of one idempotency key, two
    uploads of one tap, two registrations of one device. Each checked that the key was new before either
    committed; the database let one through. This one is rolled back (`deps.SessionDep`) and answered 409
    `concurrent_request`: a retry replays the winner's answer. Any other integrity error is a bug: 500."""
    if not isinstance(exc, IntegrityError):
        raise exc
    orig = exc.orig
    code = getattr(orig, "sqlstate", None) or getattr(orig, "sqlite_errorname", None)
    if code not in UNIQUE_VIOLATIONS:
        raise exc
    detail = str(orig).splitlines()[0] if orig is not None else "duplicate key"
    message = (
        f"{request.method} {request.url.path} raced a concurrent request that stored the same record first "
        f"({detail}); nothing was done: retry it, and a retry with the same idempotency key replays the "
        "first answer"
    )
    return JSONResponse(error_body("concurrent_request", message), status_code=409)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ShahrError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(IntegrityError, _integrity)
