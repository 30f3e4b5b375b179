"""What the proposal commands refuse; each names the proposal or comment and says why.

ShahrError
 └── ProposalError
      ├── InvalidProposal     422: a title, text, category or district that cannot be accepted
      ├── ProposalNotFound    404: no such proposal or comment, or one hidden by moderation
      ├── AlreadySupported    409: this person already supports the proposal
      ├── AlreadyFlagged      409: this person already flagged the item
      └── ProposalClosed      409: the proposal's status does not allow the action
"""

from __future__ import annotations

from shahr.errors import ShahrError


class ProposalError(ShahrError):
    """A proposal command refused; nothing was written by it."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)


class InvalidProposal(ProposalError):
    """Input that cannot be accepted: `field` names it."""


class ProposalNotFound(ProposalError):
    """No such proposal or comment, or one that moderation hides (the public cannot tell the two apart)."""


class AlreadySupported(ProposalError):
    """One verified person, one support: a repeated or replayed support is refused, never counted."""


class AlreadyFlagged(ProposalError):
    """A person flags an item once: flags count persons, not clicks."""


class ProposalClosed(ProposalError):
    """The proposal's status does not allow this: supports after expiry or an answer, comments before the
    debate opens, an answer before the debate or after one was given."""
