"""What the consultation commands refuse; each names the field at fault and says why.

ShahrError
 └── ConsultationError
      ├── InvalidConsultation     422: a policy that does not load, figures that do not match the policies
      └── ConsultationNotFound    404: no such consultation, or one whose proposal moderation hides
"""

from __future__ import annotations

from shahr.errors import ShahrError


class ConsultationError(ShahrError):
    """A consultation command refused; nothing was written by it."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)


class InvalidConsultation(ConsultationError):
    """Input that cannot be published: `field` names it (`body.policy`, `body.figures.reference`)."""


class ConsultationNotFound(ConsultationError):
    """No such consultation, or one whose proposal is hidden by moderation (the public cannot tell)."""
