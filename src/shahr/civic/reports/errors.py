"""Why a report command was refused. Each error carries `field`, the input at fault. The web app answers
them with the status and code of `shahr.web.errors.STATUS` (Open311 in its spec's format).

    ShahrError
     ├── GeoError (shahr.civic.geo)          400: a point that cannot be placed
     │    └── OutsideCity                    400: a point in none of the districts
     └── ReportError
          ├── InvalidReport                  400: bad input (missing category, text too long, bad attribute)
          │    └── BadPhoto                  400: not an image, too large, undecodable
          ├── UnknownCategory                404: no category (Open311 service) with this code
          ├── ReportNotFound                 404
          ├── PhotoNotFound                  404
          ├── ApiKeyNotFound                 404: revoking a key that was never issued
          ├── TransitionRefused              409: the workflow does not allow this step now
          ├── BadReporterToken               403: reopening without the reporter's token
          └── BadApiKey                      403: an Open311 POST without a valid api_key
"""

from __future__ import annotations

from shahr.errors import ShahrError


class ReportError(ShahrError):
    """A report command refused; nothing was written by it."""

    status = 400
    """The HTTP status, for the pages' error route (`web/pages/route.py`), which reads it here; the API
    reads `web.errors.STATUS`, and a test holds the two the same."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)


class InvalidReport(ReportError):
    """Input that cannot make a report or a step: names the field and what is wrong with it."""


class BadPhoto(InvalidReport):
    """An upload that is not a JPEG, PNG, WebP or GIF image, or is larger than the settings allow."""


class UnknownCategory(ReportError):
    """No category with this service code, or one that no longer takes reports."""

    status = 404


class ReportNotFound(ReportError):
    status = 404

    def __init__(self, report_id: int | str) -> None:
        super().__init__(f"no report {report_id}", field="path.report_id")


class PhotoNotFound(ReportError):
    status = 404


class ApiKeyNotFound(ReportError):
    """No Open311 key with this id."""

    status = 404


class TransitionRefused(ReportError):
    """A status change the workflow does not allow from the report's status (`workflow.TRANSITIONS`)."""

    status = 409


class BadReporterToken(ReportError):
    """The token is not the one issued to this report's reporter."""

    status = 403


class BadApiKey(ReportError):
    """No api_key, or one that is unknown or revoked (Open311: 403)."""

    status = 403
