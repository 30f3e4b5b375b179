"""Why a report command was refused. Each error carries `field` (the input at fault) and `status`, the
HTTP status the civic routers answer with, since they translate these errors themselves.

    ShahrError
     ├── GeoError (shahr.civic.geo)          400: a point that cannot be placed
     │    └── OutsideCity                    400: a point in none of the districts
     └── ReportError
          ├── InvalidReport                  400: bad input (missing category, text too long, bad attribute)
          │    └── BadPhoto                  400: not an image, too large, undecodable
          ├── UnknownCategory                404: no category (Open311 service) with this code
          ├── ReportNotFound                 404
          ├── PhotoNotFound                  404
          ├── TransitionRefused              409: the workflow does not allow this step now
          ├── BadReporterToken               403: reopening without the reporter's token
          └── BadApiKey                      403: an Open311 POST without a valid api_key
"""

from __future__ import annotations

from shahr.errors import ShahrError


class ReportError(ShahrError):
    """A report command refused; nothing was written by it."""

    status = 400
    code = "invalid_report"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)


class InvalidReport(ReportError):
    """Input that cannot make a report or a step: names the field and what is wrong with it."""


class BadPhoto(InvalidReport):
    """An upload that is not a JPEG, PNG, WebP or GIF image, or is larger than the settings allow."""

    code = "bad_photo"


class UnknownCategory(ReportError):
    """No category with this service code, or one that no longer takes reports."""

    status = 404
    code = "unknown_category"


class ReportNotFound(ReportError):
    status = 404
    code = "report_not_found"

    def __init__(self, report_id: int | str) -> None:
        super().__init__(f"no report {report_id}", field="path.report_id")


class PhotoNotFound(ReportError):
    status = 404
    code = "photo_not_found"


class TransitionRefused(ReportError):
    """A status change the workflow does not allow from the report's status (`workflow.TRANSITIONS`)."""

    status = 409
    code = "transition_refused"


class BadReporterToken(ReportError):
    """The token is not the one issued to this report's reporter."""

    status = 403
    code = "bad_reporter_token"


class BadApiKey(ReportError):
    """No api_key, or one that is unknown or revoked (Open311: 403)."""

    status = 403
    code = "bad_api_key"
