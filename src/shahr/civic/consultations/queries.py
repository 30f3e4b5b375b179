"""What anyone may read: published consultations with their figures and their proposal's public view,
and the two policies parsed for pricing a card's journeys. A consultation is shown exactly when its
proposal is: moderation hiding the proposal hides the consultation too."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from shahr.civic.consultations.errors import ConsultationNotFound
from shahr.civic.consultations.tables import Consultation
from shahr.civic.proposals.queries import ProposalView, view
from shahr.civic.proposals.tables import Proposal, Visibility
from shahr.civic.settings import CivicSettings
from shahr.fares.load import Policy, parse_policy
from shahr.lab.figures import Comparison, Figures, PolicyFigures


@dataclass(frozen=True)
class PolicyRef:
    id: str
    name: str


@dataclass(frozen=True)
class ConsultationView:
    """A published consultation: its figures and its proposal as the public sees them."""

    id: int
    title: str
    created_at: datetime
    policy: PolicyRef
    reference: PolicyRef
    figures: Figures
    proposal: ProposalView

    @property
    def comparison(self) -> Comparison:
        """The proposal against the reference (publication checked there is one)."""
        return next(
            c
            for c in self.figures.comparisons
            if c.policy == self.policy.id and c.against == self.reference.id
        )

    @property
    def proposed_figures(self) -> PolicyFigures:
        return _policy_figures(self.figures, self.policy.id)

    @property
    def reference_figures(self) -> PolicyFigures:
        return _policy_figures(self.figures, self.reference.id)


@dataclass(frozen=True)
class Policies:
    """A consultation's policies, loaded: what a card's journeys are priced under."""

    proposed: Policy
    reference: Policy


def list_consultations(
    session: Session, *, settings: CivicSettings, now: datetime, limit: int = 50, offset: int = 0
) -> list[ConsultationView]:
    """Published consultations, newest first."""
    statement = (
        select(Consultation, Proposal)
        .join(Proposal, Proposal.id == Consultation.proposal_id)
        .where(Proposal.visibility == Visibility.PUBLISHED)
        .order_by(Consultation.created_at.desc(), Consultation.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [_view(row, proposal, settings, now) for row, proposal in session.execute(statement)]


def get_consultation(
    session: Session, consultation_id: int, *, settings: CivicSettings, now: datetime
) -> ConsultationView:
    """One published consultation, or `ConsultationNotFound` (also when moderation hides its proposal)."""
    row, proposal = _published(session, consultation_id)
    return _view(row, proposal, settings, now)


def get_policies(session: Session, consultation_id: int) -> Policies:
    """The published consultation's policies, parsed from the text stored at publication."""
    row, _ = _published(session, consultation_id)
    return Policies(
        _parse(row.policy_toml, f"consultation {row.id} policy"),
        _parse(row.reference_toml, f"consultation {row.id} reference"),
    )


def _published(session: Session, consultation_id: int) -> tuple[Consultation, Proposal]:
    row = session.get(Consultation, consultation_id)
    proposal = session.get(Proposal, row.proposal_id) if row is not None else None
    if row is None or proposal is None or proposal.visibility is not Visibility.PUBLISHED:
        raise ConsultationNotFound(
            f"no published consultation {consultation_id}", field="path.consultation_id"
        )
    return row, proposal


def _view(row: Consultation, proposal: Proposal, settings: CivicSettings, now: datetime) -> ConsultationView:
    return ConsultationView(
        id=row.id,
        title=row.title,
        created_at=row.created_at,
        policy=PolicyRef(row.policy_id, row.policy_name),
        reference=PolicyRef(row.reference_id, row.reference_name),
        figures=_figures(row.figures),
        proposal=view(proposal, settings, now),
    )


@lru_cache(maxsize=64)
def _figures(text: str) -> Figures:
    """Figures are read on every page view and never change once published: parsed once per text."""
    return Figures.model_validate_json(text)


@lru_cache(maxsize=64)
def _parse(text: str, source: str) -> Policy:
    """Validated at publication; parsed once per process (policies are immutable)."""
    return parse_policy(text, source=source)


def _policy_figures(figures: Figures, policy_id: str) -> PolicyFigures:
    return next(p for p in figures.policies if p.id == policy_id)
