"""Publishing a consultation: staff with the office (or admin) role put a fare comparison to the public.

    publish -> Published (the consultation and its proposal; the proposal `pending` when screening held
               it for a moderator, and the consultation hidden with it until one approves)

Both policies are loaded from their TOML text (`fares.load.parse_policy`) and the figures must be the
comparison of exactly these two: a reference the figures compare against, both ids among their policies,
one comparison of the proposal against the reference. The proposal is created by the proposals' own
command, so its supports, comments, thresholds, official answer, moderation and audit entries are those
of any proposal. It is authored by the city (`CITY_PERSON_ID`, a `civic_persons` row made on first use
that no phone can verify as): a proposal needs an author and staff are not persons. Publication itself is
audited (`consultation.published`, actor `staff:<name>`) with the sha256 of each policy's text and of the
figures, so what residents were shown can be checked against the log. Flushes, does not commit.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shahr.civic import audit
from shahr.civic.consultations.errors import InvalidConsultation
from shahr.civic.consultations.tables import Consultation
from shahr.civic.geo import Districts
from shahr.civic.proposals.tables import Proposal
from shahr.civic.proposals.workflow import create_proposal
from shahr.civic.settings import CivicSettings
from shahr.civic.verification import Person
from shahr.errors import PolicyError
from shahr.fares.load import Policy, parse_policy
from shahr.lab.figures import Figures

CITY_PERSON_ID = "city"
"""The author of every consultation's proposal. Verified persons' ids are 16 hex digits: never this."""
CATEGORY = "transport"
TOML_MAX_CHARS = 200_000
"""A policy file is a few kilobytes; anything this long is not one."""
POLICY_ID_CHARS = 64
POLICY_NAME_CHARS = 200


@dataclass(frozen=True)
class Published:
    consultation: Consultation
    proposal: Proposal


def publish(
    session: Session,
    *,
    title: str,
    body: str | None,
    policy_toml: str,
    reference_toml: str,
    figures: Figures,
    staff: str,
    districts: Districts,
    settings: CivicSettings,
    now: datetime,
) -> Published:
    """Publish the comparison of `policy_toml` (proposed) against `reference_toml` as a consultation
    with its proposal (`body`: the proposal's text; None: a short text naming both policies)."""
    proposed = load_policy_text(policy_toml, "body.policy")
    reference = load_policy_text(reference_toml, "body.reference")
    check_figures(figures, proposed, reference)
    proposal = create_proposal(
        session,
        city_person(session, now),
        title=title,
        body=body if body is not None else default_body(proposed, reference),
        category=CATEGORY,
        district_code=None,
        districts=districts,
        settings=settings,
        now=now,
    )
    figures_json = figures.model_dump_json()
    consultation = Consultation(
        proposal_id=proposal.id,
        title=proposal.title,
        policy_id=proposed.id,
        policy_name=proposed.header.name,
        policy_toml=policy_toml,
        reference_id=reference.id,
        reference_name=reference.header.name,
        reference_toml=reference_toml,
        figures=figures_json,
        created_at=now,
        created_by=staff,
    )
    session.add(consultation)
    session.flush()
    data: dict[str, audit.JSONValue] = {
        "proposal_id": proposal.id,
        "policy": proposed.id,
        "reference": reference.id,
        "policy_sha256": _sha256(policy_toml),
        "reference_sha256": _sha256(reference_toml),
        "figures_sha256": _sha256(figures_json),
    }
    subject = f"consultation:{consultation.id}"
    audit.record(session, "consultation.published", subject, actor=f"staff:{staff}", at=now, data=data)
    return Published(consultation, proposal)


def load_policy_text(text: str, field: str) -> Policy:
    """The policy a TOML text describes, or `InvalidConsultation` naming `field` and every problem
    (`fares.load` names each key path)."""
    if len(text) > TOML_MAX_CHARS:
        raise InvalidConsultation(
            f"{len(text):,} characters: a policy's TOML is at most {TOML_MAX_CHARS:,}", field=field
        )
    try:
        policy = parse_policy(text, source=field)
    except PolicyError as exc:
        raise InvalidConsultation(str(exc), field=field) from exc
    if len(policy.id) > POLICY_ID_CHARS or len(policy.header.name) > POLICY_NAME_CHARS:
        raise InvalidConsultation(
            f"{field}: the policy's id is at most {POLICY_ID_CHARS} characters and its name at most "
            f"{POLICY_NAME_CHARS}",
            field=field,
        )
    return policy


def check_figures(figures: Figures, proposed: Policy, reference: Policy) -> None:
    """`InvalidConsultation` unless `figures` compare `proposed` against `reference`, in their currency:
    residents must see the figures of the policies they are asked about."""
    if proposed.id == reference.id:
        raise InvalidConsultation(
            f"the proposed and the reference policy are both {proposed.id!r}: nothing to compare",
            field="body.policy",
        )
    for policy, field in ((proposed, "body.policy"), (reference, "body.reference")):
        if policy.currency != figures.currency:
            raise InvalidConsultation(
                f"{field} {policy.id!r} is in {policy.currency}, the figures in {figures.currency}",
                field="body.figures.currency",
            )
    if figures.reference != reference.id:
        raise InvalidConsultation(
            f"the figures compare against {figures.reference!r}, but the reference policy is "
            f"{reference.id!r}: run `shahr lab compare` with the reference first",
            field="body.figures.reference",
        )
    ids = [policy.id for policy in figures.policies]
    for policy, role in ((reference, "reference"), (proposed, "proposed")):
        if policy.id not in ids:
            raise InvalidConsultation(
                f"the figures hold the policies {', '.join(ids)}, not the {role} {policy.id!r}",
                field="body.figures.policies",
            )
    if not any(c.policy == proposed.id and c.against == reference.id for c in figures.comparisons):
        raise InvalidConsultation(
            f"the figures have no comparison of {proposed.id!r} against {reference.id!r}",
            field="body.figures.comparisons",
        )


def default_body(proposed: Policy, reference: Policy) -> str:
    """The proposal's text when staff give none: what is proposed, in Persian and English."""
    return (
        f"شهرداری پیشنهاد می‌کند سیاست کرایهٔ «{proposed.header.name}» ({proposed.id}) جایگزین "
        f"«{reference.header.name}» ({reference.id}) شود. صفحهٔ این نظرخواهی ارقام مقایسه را نشان می‌دهد و "
        "هر دارندهٔ کارت می‌تواند سفرهای ۳۰ روز گذشتهٔ خود را با هر دو سیاست ببیند.\n\n"
        f"The city proposes the fare policy “{proposed.header.name}” ({proposed.id}) in place of "
        f"“{reference.header.name}” ({reference.id}). The consultation page shows the comparison's "
        "figures, and each card holder their own journeys of the last 30 days under both policies."
    )


def city_person(session: Session, now: datetime) -> Person:
    """The city as a proposal's author, made on first use. Its phone hash is no HMAC of a phone number
    (`verification.phone_hash`), so no one verifies as it."""
    person = session.get(Person, CITY_PERSON_ID)
    if person is not None:
        return person
    try:
        with session.begin_nested():
            person = Person(
                id=CITY_PERSON_ID, phone_hash=_sha256("shahr:city"), created_at=now, verified_at=now
            )
            session.add(person)
    except IntegrityError:  # a concurrent first publication made it: read theirs
        person = session.get(Person, CITY_PERSON_ID)
        if person is None:
            raise
    return person


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
