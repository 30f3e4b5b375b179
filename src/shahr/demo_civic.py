"""`shahr demo`, third part: the city's residents, so the civic pages open on a lived-in city. Over the past
weeks residents report problems near the demo feed's stops and staff move the reports through the workflow
(acknowledged, in progress, resolved with a public note; a few rejected with a reason or merged as
duplicates, a few reopened by their reporter, some left overdue); residents verify their phones, propose,
support and debate; the city answers the proposals that obliged it to, and those with too little support
expire.

Every step goes through the commands the pages and the API call (`civic.reports.workflow`,
`civic.proposals.workflow`, `civic.verification`) at its own moment in the past, in time order, so
histories, deadlines, accountability figures and the audit log's chain are what a city's would be
(through the API everything would happen now). `plan_city` is a pure function of the places, the
settings, the seed and its present; `seed_city` applies it, up to the last local midnight, to the running
service's database, so one seed gives the same city on any day.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple
from zoneinfo import ZoneInfo

from persiantools.digits import en_to_fa
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from shahr.civic import verification
from shahr.civic.geo import Districts, GeoError, load_districts
from shahr.civic.proposals import workflow as proposals
from shahr.civic.proposals.tables import Comment as CommentRow
from shahr.civic.proposals.tables import Proposal, ProposalStatus
from shahr.civic.proposals.tables import Support as SupportRow
from shahr.civic.reports import workflow as reports
from shahr.civic.reports.accountability import Figures, accountability
from shahr.civic.reports.categories import list_categories
from shahr.civic.reports.settings import ReportSettings
from shahr.civic.reports.tables import Report, ReportStatus
from shahr.civic.settings import CivicSettings
from shahr.db import make_engine, session_factory
from shahr.demo_civic_texts import (
    ACK_NOTES,
    ANSWERS,
    COMMENTS,
    FIRST_NAMES,
    INTERNAL_NOTES,
    LAST_NAMES,
    MERGE_NOTE,
    PHONE_SENTENCE,
    PROGRESS_NOTES,
    PROPOSALS,
    REJECT_NOTES,
    REOPEN_NOTES,
    REPORT_TEXTS,
    RESOLVED_NOTES,
    SUFFIXES,
)
from shahr.network import Network
from shahr.network.model import is_rail_route_type

if TYPE_CHECKING:
    from gtfs_kit import Feed

STAFF = "demo"
"""The staff name on the workflow's steps: the demo's admin token is called so."""
CITY = -1
"""The actor of a proposal step that is no resident's (the answer, the sweep)."""
STEPS_PER_COMMIT = 100
"""Steps applied per transaction: each command flushes as it would alone and the service is idle, so
fewer commits only save time (a fifth of it, at one commit per step on SQLite)."""

CATEGORY_SHARES = {
    "road_damage": 16,
    "waste_collection": 15,
    "street_lighting": 12,
    "bus_stop_vehicle": 10,
    "water_sewage": 8,
    "other": 8,
    "parks_trees": 7,
    "traffic_signals": 6,
    "metro_station": 6,
    "fare_card": 6,
    "signs_markings": 6,
}
"""Per cent of reports per category, streets and waste first as at city hotlines."""
PHONE_SHARE = 0.05
HOUR_WEIGHTS = (1, 1, 0.5, 0.3, 0.3, 0.6, 1.5, 4, 7, 8, 8, 7, 6, 5, 5, 6, 7, 8, 9, 9, 8, 6, 4, 2)
"""When residents file, by local hour: mornings and evenings, little at night."""
LATE_SHARE = 0.18
"""The share of reports closed after their deadline: a city still learning to answer in time."""
NEAR_STOP_M = 300.0
"""How far from its stop a report's point may be (80 m at a metro station: its entrances)."""


@dataclass(frozen=True)
class CivicPlan:
    """What to seed: reports by final status, filed over the last `report_days` (`merged` duplicates come
    on top and end rejected too; `reopened` of the filed ones were resolved, then reopened by their
    reporter); one proposal per text of `PROPOSALS` by final status, over the weeks the settings make
    that take (an expired one lived `expiry_days`; an overdue answer was due `answer_days` after).
    `answered_early` of the answered ones were answered in their debate, before the answer threshold."""

    reports: Mapping[ReportStatus, int]
    reopened: int
    merged: int
    proposals: Mapping[ProposalStatus, int]
    answered_early: int
    report_days: int = 42

    def __post_init__(self) -> None:
        if sum(self.proposals.values()) != len(PROPOSALS):
            raise ValueError(
                f"the plan asks for {sum(self.proposals.values())} proposals, not {len(PROPOSALS)}"
            )
        if self.proposals.get(ProposalStatus.ANSWERED, 0) > len(ANSWERS):
            raise ValueError(f"only {len(ANSWERS)} proposals come with an official answer")
        if self.answered_early > self.proposals.get(ProposalStatus.ANSWERED, 0):
            raise ValueError(f"{self.answered_early} proposals answered early, but fewer answered")
        if self.reopened > self.reports.get(ReportStatus.FILED, 0):
            raise ValueError(f"{self.reopened} reports reopened: they end filed, and fewer do")


DEMO_PLAN = CivicPlan(
    reports={
        ReportStatus.FILED: 9,
        ReportStatus.ACKNOWLEDGED: 11,
        ReportStatus.IN_PROGRESS: 16,
        ReportStatus.RESOLVED: 244,
        ReportStatus.REJECTED: 14,
    },
    reopened=2,
    merged=6,
    proposals={
        ProposalStatus.ANSWERED: 2,
        ProposalStatus.AWAITING_ANSWER: 1,
        ProposalStatus.DEBATE: 6,
        ProposalStatus.OPEN: 12,
        ProposalStatus.EXPIRED: 9,
    },
    answered_early=1,
)


class Place(NamedTuple):
    """Where a resident stands: a stop of the feed, named as residents name it ("area - street")."""

    stop: str
    street: str
    lat: float
    lon: float
    metro: bool
    routes: tuple[str, ...]
    """Short names of the routes stopping there (at a station: its rail lines)."""


class Service(NamedTuple):
    """What the plan needs of a report category: its deadline and who handles it."""

    sla_hours: int
    department: str


# The plan's steps, one per command. Reports, proposals and persons go by the plan's numbers: their ids
# exist only once the steps are applied.


@dataclass(frozen=True)
class Verify:
    at: datetime
    person: int
    phone: str


@dataclass(frozen=True)
class FileReport:
    at: datetime
    report: int
    new: reports.NewReport


@dataclass(frozen=True)
class ChangeStatus:
    at: datetime
    report: int
    status: ReportStatus
    note: str


@dataclass(frozen=True)
class InternalNote:
    at: datetime
    report: int
    note: str


@dataclass(frozen=True)
class Reopen:
    at: datetime
    report: int
    note: str


@dataclass(frozen=True)
class Merge:
    at: datetime
    report: int
    into: int


@dataclass(frozen=True)
class Propose:
    at: datetime
    proposal: int
    author: int
    title: str
    body: str
    category: str
    district_code: str | None


@dataclass(frozen=True)
class Support:
    at: datetime
    proposal: int
    person: int


@dataclass(frozen=True)
class Comment:
    at: datetime
    proposal: int
    person: int
    text: str


@dataclass(frozen=True)
class Answer:
    at: datetime
    proposal: int
    office: str
    text: str


@dataclass(frozen=True)
class Sweep:
    """The hourly `shahr civic sweep`, the hour after a proposal expired."""

    at: datetime


Step = (
    Verify
    | FileReport
    | ChangeStatus
    | InternalNote
    | Reopen
    | Merge
    | Propose
    | Support
    | Comment
    | Answer
    | Sweep
)


@dataclass(frozen=True)
class CivicOutcome:
    """The seeded city as the pages show it."""

    reports: Mapping[ReportStatus, int]
    merged: int
    figures: Figures
    """Accountability over every seeded report."""
    proposals: Mapping[ProposalStatus, int]
    supports: int
    comments: int
    persons: int
    days: int
    """Over how many days the reports were filed."""


def seed_city(
    database_url: str,
    feed: Feed,
    network: Network,
    *,
    seed: int,
    now: datetime,
    secret: str,
    track: Callable[[Sequence[Step]], Iterable[Step]] = lambda steps: steps,
    plan: CivicPlan = DEMO_PLAN,
) -> CivicOutcome:
    """Plan the weeks up to the local midnight before `now` and apply them, with the service's settings
    (read from the same environment) and secret; `track` wraps the steps (a progress bar)."""
    report_settings, civic = ReportSettings(), CivicSettings()
    districts = load_districts(civic.districts_file)
    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as session:
            services = {c.service_code: Service(c.sla_hours, c.department) for c in list_categories(session)}
            places = list_places(feed, network, districts)
            zone = ZoneInfo(report_settings.timezone)
            midnight = now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
            steps = plan_city(
                places, services, districts, civic, seed=seed, now=midnight, zone=zone, plan=plan
            )
            city = _City(session, report_settings, civic, districts, secret)
            for number, step in enumerate(track(steps), start=1):
                city.apply(step)
                if number % STEPS_PER_COMMIT == 0:
                    session.commit()
            session.commit()
            return outcome(session, districts, since=midnight - timedelta(days=plan.report_days), now=now)
    finally:
        engine.dispose()


def outcome(session: Session, districts: Districts, *, since: datetime, now: datetime) -> CivicOutcome:
    """What the database holds at `now`, the accountability figures over the reports filed since `since`."""
    by_status = session.execute(select(Report.status, func.count()).group_by(Report.status))
    by_proposal = session.execute(select(Proposal.status, func.count()).group_by(Proposal.status))
    return CivicOutcome(
        reports={status: count for status, count in by_status},
        merged=_count(session, select(func.count()).where(Report.duplicate_of_id.is_not(None))),
        figures=accountability(session, since=since, until=now, now=now, districts=districts).overall,
        proposals={status: count for status, count in by_proposal},
        supports=_count(session, select(func.count()).select_from(SupportRow)),
        comments=_count(session, select(func.count()).select_from(CommentRow)),
        persons=_count(session, select(func.count()).select_from(verification.Person)),
        days=(now - since).days,
    )


def list_places(feed: Feed, network: Network, districts: Districts) -> tuple[Place, ...]:
    """The feed's stops and stations inside the districts, with the routes that serve them, named without
    the "(n)" that tells a street's stops apart."""
    places = []
    for row in feed.stops.itertuples():
        routes = network.routes_at_stop(str(row.stop_id))
        rail = tuple(r for r in routes if is_rail_route_type(r.route_type))
        lat, lon = float(row.stop_lat), float(row.stop_lon)
        if not routes or not _inside(districts, lat, lon):
            continue
        name = re.sub(r"\s*\([^)]*\)$", "", str(row.stop_name))
        lines = tuple(sorted({r.short_name or r.route_id for r in rail or routes}))
        places.append(Place(name, name.split(" - ")[-1], lat, lon, bool(rail), lines))
    return tuple(places)


def plan_city(
    places: Sequence[Place],
    services: Mapping[str, Service],
    districts: Districts,
    civic: CivicSettings,
    *,
    seed: int,
    now: datetime,
    zone: ZoneInfo,
    plan: CivicPlan = DEMO_PLAN,
) -> list[Step]:
    """Every step of the weeks before `now` (the plan's present), in the order they happen."""
    rng = random.Random(seed)
    steps = _plan_reports(rng, plan, places, services, districts, now, zone)
    steps += _plan_proposals(rng, plan, places, districts, civic, now)
    return sorted(steps, key=lambda step: step.at)


class _Handset:
    """The demo residents' phone: a `CodeSender` that keeps the last code for them to type back."""

    code = ""

    def send(self, phone: str, code: str, expires_at: datetime) -> None:
        self.code = code


class _City:
    """Applies steps, remembering what the plan's numbers became (ids, tokens, persons)."""

    def __init__(
        self,
        session: Session,
        settings: ReportSettings,
        civic: CivicSettings,
        districts: Districts,
        secret: str,
    ) -> None:
        self.session, self.settings, self.civic, self.districts = session, settings, civic, districts
        self.secret = secret
        self.handset = _Handset()
        self.reports: dict[int, int] = {}
        self.tokens: dict[int, str] = {}
        self.persons: dict[int, verification.Person] = {}
        self.proposals: dict[int, int] = {}

    def apply(self, step: Step) -> None:
        session, civic, at = self.session, self.civic, step.at
        match step:
            case Verify(person=person, phone=phone):
                self.persons[person] = self._verify(phone, at)
            case FileReport(report=key, new=new):
                filed = reports.file_report(
                    session, new, settings=self.settings, districts=self.districts, now=at
                )
                self.reports[key], self.tokens[key] = filed.report.id, filed.token
            case ChangeStatus(report=key, status=status, note=note):
                reports.change_status(session, self.reports[key], status, note, actor=STAFF, now=at)
            case InternalNote(report=key, note=note):
                reports.add_note(session, self.reports[key], note, internal=True, actor=STAFF, now=at)
            case Reopen(report=key, note=note):
                reports.reopen(
                    session, self.reports[key], self.tokens[key], note, settings=self.settings, now=at
                )
            case Merge(report=key, into=into):
                reports.merge(
                    session, self.reports[key], self.reports[into], actor=STAFF, now=at, note=MERGE_NOTE
                )
            case Propose(proposal=key, author=author):
                created = proposals.create_proposal(
                    session,
                    self.persons[author],
                    title=step.title,
                    body=step.body,
                    category=step.category,
                    district_code=step.district_code,
                    districts=self.districts,
                    settings=civic,
                    now=at,
                )
                self.proposals[key] = created.id
            case Support(proposal=key, person=person):
                proposals.support(session, self.proposals[key], self.persons[person], settings=civic, now=at)
            case Comment(proposal=key, person=person, text=text):
                proposals.comment(
                    session, self.proposals[key], self.persons[person], text, settings=civic, now=at
                )
            case Answer(proposal=key, office=office, text=text):
                proposals.answer(session, self.proposals[key], office=office, text=text, staff=STAFF, now=at)
            case Sweep():
                proposals.expire_due(session, now=at)

    def _verify(self, phone: str, at: datetime) -> verification.Person:
        """A resident asks for a code and types it back 40 s later."""
        session, civic, secret = self.session, self.civic, self.secret
        challenge = verification.start_verification(
            session, phone, sender=self.handset, settings=civic, secret=secret, now=at
        )
        code, typed_at = self.handset.code, at + timedelta(seconds=40)
        done = verification.confirm_verification(
            session, challenge.id, code, settings=civic, secret=secret, now=typed_at
        )
        if not isinstance(done, verification.Verified):
            raise RuntimeError(f"the demo's own code for challenge {challenge.id} was refused")
        return session.get_one(verification.Person, done.person_id)


def _plan_reports(
    rng: random.Random,
    plan: CivicPlan,
    places: Sequence[Place],
    services: Mapping[str, Service],
    districts: Districts,
    now: datetime,
    zone: ZoneInfo,
) -> list[Step]:
    """Filing times over the period, each report's final status by its age, the staff's steps to it, and
    the duplicates: the same problem reported again within 25 m and four days, merged by staff."""
    total = sum(plan.reports.values())
    filed = sorted((_filing_time(rng, now, plan.report_days, zone) for _ in range(total)), reverse=True)
    drawn = [random_report(rng, places, districts) for _ in range(total)]
    finals, reopened = _final_statuses(rng, plan, [(now - at) / timedelta(days=1) for at in filed])
    steps: list[Step] = []
    for key, (at, final, (_, _, new)) in enumerate(zip(filed, finals, drawn, strict=True)):
        service = services[new.service_code]
        steps.append(FileReport(at, key, new))
        steps += _staff_steps(rng, key, new.service_code, service, at, final, key in reopened, now, zone)
    old = [key for key, at in enumerate(filed) if now - at > timedelta(days=9)]
    for key, original in enumerate(rng.sample(old, plan.merged), start=total):
        place, (lat, lon), first = drawn[original]
        again = _new_report(rng, first.service_code, place, _near(rng, lat, lon, districts, 25.0))
        at = filed[original] + timedelta(hours=rng.uniform(3, 96))
        steps.append(FileReport(at, key, again))
        steps.append(Merge(_staff_time(at + timedelta(hours=rng.uniform(2, 48)), now, zone), key, original))
    return steps


def random_report(
    rng: random.Random, places: Sequence[Place], districts: Districts
) -> tuple[Place, tuple[float, float], reports.NewReport]:
    """A resident's report: a category by `CATEGORY_SHARES`, a stop that fits it and a point near it in a
    district, with the report (what `benchmarks/reports.py` submits too)."""
    code = rng.choices(list(CATEGORY_SHARES), weights=list(CATEGORY_SHARES.values()))[0]
    place = rng.choice([p for p in places if _fits(code, p)])
    point = _near(rng, place.lat, place.lon, districts, 80.0 if place.metro else NEAR_STOP_M)
    return place, point, _new_report(rng, code, place, point)


def _final_statuses(
    rng: random.Random, plan: CivicPlan, ages_days: Sequence[float]
) -> tuple[list[ReportStatus], set[int]]:
    """Each report's last status (`ages_days` newest first) and which were reopened: the open ones drawn
    towards the recent (weight e^(-age/3) + 0.02, Efraimidis-Spirakis), the newer of those (with noise)
    still filed, the older acknowledged or in progress; of the closed ones some rejected."""
    keys = range(len(ages_days))
    reopened = set(rng.sample([k for k in keys if ages_days[k] > 10], plan.reopened))
    candidates = [k for k in keys if k not in reopened]
    drawn = sorted(candidates, key=lambda k: rng.random() ** (1 / (math.exp(-ages_days[k] / 3) + 0.02)))
    counts = [
        (ReportStatus.FILED, plan.reports[ReportStatus.FILED] - plan.reopened),
        (ReportStatus.ACKNOWLEDGED, plan.reports[ReportStatus.ACKNOWLEDGED]),
        (ReportStatus.IN_PROGRESS, plan.reports[ReportStatus.IN_PROGRESS]),
    ]
    still_open = drawn[len(drawn) - sum(count for _, count in counts) :]
    by_age = sorted(still_open, key=lambda k: ages_days[k] * rng.uniform(0.5, 1.5))
    finals = dict.fromkeys(keys, ReportStatus.RESOLVED) | dict.fromkeys(reopened, ReportStatus.FILED)
    for status, count in counts:
        finals |= dict.fromkeys(by_age[:count], status)
        by_age = by_age[count:]
    closed = drawn[: len(drawn) - len(still_open)]
    finals |= dict.fromkeys(rng.sample(closed, plan.reports[ReportStatus.REJECTED]), ReportStatus.REJECTED)
    return [finals[k] for k in keys], reopened


def _staff_steps(
    rng: random.Random,
    key: int,
    code: str,
    service: Service,
    filed_at: datetime,
    final: ReportStatus,
    reopened: bool,
    now: datetime,
    zone: ZoneInfo,
) -> list[Step]:
    """Staff's steps from filing to `final` by day, none after `now` (a reopened report: to resolved, then
    the reporter's reopening days later). Closing takes a share of the deadline, more than all of it for
    `LATE_SHARE` of the reports; a report too young for that was closed sooner."""
    if final is ReportStatus.FILED and not reopened:
        return []
    age, sla = now - filed_at, timedelta(hours=service.sla_hours)
    closes = final in (ReportStatus.RESOLVED, ReportStatus.REJECTED) or reopened
    if closes:
        span = sla * (rng.uniform(1.05, 3.0) if rng.random() < LATE_SHARE else rng.uniform(0.1, 0.95))
        room = age - timedelta(days=7) if reopened else max(age - timedelta(minutes=10), age / 2)
        span = span if span <= room else room * rng.uniform(0.3, 0.95)
    else:
        span = min(sla * rng.uniform(0.2, 2.0), age * rng.uniform(0.2, 0.95))
    moves = []
    if final is ReportStatus.ACKNOWLEDGED or rng.random() < 0.75:
        moves.append((rng.uniform(0.05, 0.3), ReportStatus.ACKNOWLEDGED))
    if final is ReportStatus.IN_PROGRESS or (
        closes and final is not ReportStatus.REJECTED and rng.random() < 0.7
    ):
        moves.append((rng.uniform(0.35, 0.8), ReportStatus.IN_PROGRESS))
    if closes:
        moves.append(
            (1.0, ReportStatus.REJECTED if final is ReportStatus.REJECTED else ReportStatus.RESOLVED)
        )
    else:
        moves[-1] = (1.0, moves[-1][1])
    steps: list[Step] = [
        ChangeStatus(
            _staff_time(filed_at + span * share, now, zone), key, status, _note(rng, code, service, status)
        )
        for share, status in moves
    ]
    if rng.random() < 0.15:
        steps.append(
            InternalNote(_staff_time(filed_at + span / 2, now, zone), key, rng.choice(INTERNAL_NOTES))
        )
    if reopened:
        steps.append(
            Reopen(filed_at + span + timedelta(days=rng.uniform(1, 6)), key, rng.choice(REOPEN_NOTES))
        )
    return steps


def _note(rng: random.Random, code: str, service: Service, status: ReportStatus) -> str:
    if status is ReportStatus.ACKNOWLEDGED:
        return rng.choice(ACK_NOTES).format(department=service.department)
    if status is ReportStatus.IN_PROGRESS:
        return rng.choice(PROGRESS_NOTES)
    if status is ReportStatus.RESOLVED:
        return rng.choice(RESOLVED_NOTES[code])
    return rng.choice(REJECT_NOTES)


def _fits(code: str, place: Place) -> bool:
    """Metro problems are reported at stations, bus stop problems at bus stops, the rest anywhere."""
    return place.metro if code == "metro_station" else not place.metro if code == "bus_stop_vehicle" else True


def _new_report(rng: random.Random, code: str, place: Place, point: tuple[float, float]) -> reports.NewReport:
    """A resident's report of category `code` at `point` near `place`: a text of the category with its
    questions answered, now and then a phone number typed in, and contact details half the time."""
    answers_text, texts = rng.choice(list(REPORT_TEXTS[code].items()))
    fields = _fields(rng, place)
    description = rng.choice(texts).format(**fields) + rng.choice(SUFFIXES)
    if rng.random() < PHONE_SHARE:
        description += PHONE_SENTENCE.format(phone=en_to_fa(_mobile(rng)))
    answers = {name: [value.format(**fields)] for name, value in (a.split("=") for a in answers_text.split())}
    contact = reports.Contact()
    if rng.random() < 0.5:
        contact = reports.Contact(
            phone=_mobile(rng), first_name=rng.choice(FIRST_NAMES), last_name=rng.choice(LAST_NAMES)
        )
    return reports.NewReport(code, description, *point, answers=answers, contact=contact)


def _fields(rng: random.Random, place: Place) -> dict[str, str]:
    route = rng.choice(place.routes)
    return {
        "stop": place.stop,
        "street": place.street,
        "route": route,
        "mode": "metro" if place.metro else "brt" if route.startswith("BRT") else "bus",
        "pole": en_to_fa(str(rng.randint(1000, 99999))),
        "vehicle": en_to_fa(str(rng.randint(100, 9999))),
        "phone": en_to_fa(_mobile(rng)),
    }


def _plan_proposals(
    rng: random.Random,
    plan: CivicPlan,
    places: Sequence[Place],
    districts: Districts,
    civic: CivicSettings,
    now: datetime,
) -> list[Step]:
    """The proposals in `PROPOSALS` order (the answered first, then the awaiting, the rest shuffled), each
    resident verifying their phone minutes before they first act."""
    popular = (ProposalStatus.ANSWERED, ProposalStatus.AWAITING_ANSWER)
    roles = [status for status in popular for _ in range(plan.proposals.get(status, 0))]
    rest = [status for status, count in plan.proposals.items() if status not in popular for _ in range(count)]
    rng.shuffle(rest)
    roles += rest
    early = plan.proposals.get(ProposalStatus.ANSWERED, 0) - plan.answered_early
    sizes = [_supporters(rng, role, civic, obliged=key < early) for key, role in enumerate(roles)]
    pool = rng.sample(range(10**7), max(sizes) + 50)
    steps: list[tuple[int, Step]] = []
    for key, (role, text, size) in enumerate(zip(roles, PROPOSALS, sizes, strict=True)):
        steps += _proposal_steps(rng, key, role, text, size, len(pool), places, districts, civic, now)
    first: dict[int, datetime] = {}
    for person, step in steps:
        if person != CITY:
            first[person] = min(step.at, first.get(person, step.at))
    verify = [
        Verify(at - timedelta(minutes=rng.uniform(2, 30)), p, f"0915{pool[p]:07d}") for p, at in first.items()
    ]
    return [step for _, step in steps] + verify


def _supporters(rng: random.Random, role: ProposalStatus, civic: CivicSettings, *, obliged: bool) -> int:
    """Supports enough for the thresholds `role` passed (the answer's if `obliged`), and short of those
    it did not; most proposals draw few."""
    debate, answer = civic.debate_threshold, civic.answer_threshold
    if obliged or role is ProposalStatus.AWAITING_ANSWER:
        return answer + rng.randint(5, 40)
    if role in (ProposalStatus.DEBATE, ProposalStatus.ANSWERED):
        return rng.randint(debate, max(debate, min(2 * debate, answer - 10)))
    return min(debate - 1, 1 + int(debate * rng.random() ** 2))


def _proposal_steps(
    rng: random.Random,
    key: int,
    role: ProposalStatus,
    text: tuple[str, str, str],
    size: int,
    people: int,
    places: Sequence[Place],
    districts: Districts,
    civic: CivicSettings,
    now: datetime,
) -> list[tuple[int, Step]]:
    """A proposal's steps with who takes them: supports front-loaded in a window that reaches the debate
    before expiry where `role` says so, comments from the debate on (a few from non-supporters), the
    answer after the last of them, a sweep after an expiry."""
    day = timedelta(days=1)
    expiry, answer_days = civic.expiry_days * day, civic.answer_days * day
    created = (
        now
        - {
            ProposalStatus.OPEN: rng.uniform(0.3, civic.expiry_days - 2) * day,
            ProposalStatus.EXPIRED: expiry + rng.uniform(2, 40) * day,
            ProposalStatus.DEBATE: rng.uniform(8, civic.expiry_days + 30) * day,
            ProposalStatus.AWAITING_ANSWER: answer_days + rng.uniform(26, 36) * day,
            ProposalStatus.ANSWERED: rng.uniform(35, 60) * day,
        }[role]
    )
    end = {
        ProposalStatus.OPEN: now,
        ProposalStatus.EXPIRED: created + expiry - day,
        ProposalStatus.DEBATE: min(now, created + expiry - day),
        ProposalStatus.AWAITING_ANSWER: created + 20 * day,
        ProposalStatus.ANSWERED: created + 18 * day,
    }[role]
    category, title, body = text
    place = rng.choice(places)
    fields = _fields(rng, place)
    local = "{street}" in title + body or "{stop}" in title + body
    district = districts.district_at(place.lat, place.lon).code if local else None
    author, *supporters = rng.sample(range(people), size + 1)
    propose = Propose(created, key, author, title.format(**fields), body.format(**fields), category, district)
    times = sorted(_front_loaded(rng, created + timedelta(minutes=5), end) for _ in supporters)
    steps: list[tuple[int, Step]] = [(author, propose)]
    steps += [(person, Support(at, key, person)) for at, person in zip(times, supporters, strict=True)]
    if role not in (ProposalStatus.OPEN, ProposalStatus.EXPIRED):
        opened, until = (
            times[civic.debate_threshold - 1],
            end + 2 * day if role is ProposalStatus.ANSWERED else now,
        )
        backers = set(supporters) | {author}
        outsiders = [p for p in range(people) if p not in backers]
        for remark in rng.sample(COMMENTS, rng.randint(2, 6)):
            person = rng.choice(supporters) if rng.random() < 0.7 else rng.choice(outsiders)
            steps.append((person, Comment(opened + (until - opened) * rng.random(), key, person, remark)))
    if role is ProposalStatus.ANSWERED:
        office, answer = ANSWERS[key]
        steps.append((CITY, Answer(end + rng.uniform(3, 9) * day, key, office, answer)))
    if role is ProposalStatus.EXPIRED:
        swept = (created + expiry).replace(minute=3, second=0, microsecond=0) + timedelta(hours=1)
        steps.append((CITY, Sweep(swept)))
    return steps


def _front_loaded(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A moment in [start, end), more likely early: most supports come in a proposal's first days."""
    return start + (end - start) * rng.random() ** 2


def _filing_time(rng: random.Random, now: datetime, days: int, zone: ZoneInfo) -> datetime:
    """One of the `days` local days before `now`'s, an hour by `HOUR_WEIGHTS`, any minute."""
    day = (now.astimezone(zone) - timedelta(days=rng.randint(1, days))).date()
    hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
    at = datetime(day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60), tzinfo=zone)
    return at.astimezone(UTC)


def _staff_time(at: datetime, now: datetime, zone: ZoneInfo) -> datetime:
    """Staff act by day: a step between 22:00 and 07:00 local moves to the early shift, the night mapped
    onto 06:00-07:00, but not past a minute before `now`. Increasing, so a report's steps keep their order."""
    local = at.astimezone(zone)
    night = local.replace(hour=22, minute=0, second=0, microsecond=0)
    if local.hour < 7:
        night -= timedelta(days=1)
    elif local.hour < 22:
        return at
    moved = (night + timedelta(hours=8) + (local - night) / 9).astimezone(UTC)
    return max(at, min(moved, now - timedelta(minutes=1)))


def _near(
    rng: random.Random, lat: float, lon: float, districts: Districts, radius_m: float
) -> tuple[float, float]:
    """A point within `radius_m` of (lat, lon) inside a district (the point itself if none is found)."""
    for _ in range(20):
        distance, bearing = radius_m * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
        north, east = distance * math.cos(bearing), distance * math.sin(bearing)
        point = (
            round(lat + north / 111_320, 6),
            round(lon + east / (111_320 * math.cos(math.radians(lat))), 6),
        )
        if _inside(districts, *point):
            return point
    return lat, lon


def _inside(districts: Districts, lat: float, lon: float) -> bool:
    try:
        districts.district_at(lat, lon)
    except GeoError:
        return False
    return True


def _mobile(rng: random.Random) -> str:
    """A made-up Mashhad mobile number (0915...)."""
    return f"0915{rng.randrange(10**7):07d}"


def _count(session: Session, statement: Select[int]) -> int:
    return session.scalar(statement) or 0
