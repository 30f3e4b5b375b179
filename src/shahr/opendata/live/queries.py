"""The dashboard's figures at one instant, read from the service's tables with grouped queries: each is
a count or a sum the database computes over one service day's rows (indexed by service date, migration
0011), the open reports, the proposals awaiting an answer and the latest consultation.

Definitions are the services' own: taps are those the fare engine accepted (`TapStatus.ACCEPTED`), a
day is the policy's service day, journeys are the rated ones (closed) and, for each card-day still open,
the one it is in (the engine rates a journey once the next one starts or the day closes), revenue is
what clearing pays operators (the rated journeys' charged shares, caps and passes applied), and a report
is open and overdue as `civic.reports.accountability` says, a proposal awaits an answer and is overdue
as `civic.proposals.queries` says.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, Select, and_, case, cast, func, select, true
from sqlalchemy.orm import Session

from shahr.backoffice.rating import service_day_end
from shahr.backoffice.taps import CardDay, RatedJourney, TapRecord, TapStatus
from shahr.civic.consultations.queries import list_consultations
from shahr.civic.geo import Districts
from shahr.civic.proposals.tables import Proposal, ProposalStatus, Visibility
from shahr.civic.reports.tables import CLOSED, Category, Report
from shahr.civic.settings import CivicSettings
from shahr.fares.load import Policy
from shahr.fares.model import TapKind
from shahr.opendata.live.model import (
    Activity,
    AwaitingProposal,
    DashboardSnapshot,
    DaySeries,
    DistrictReports,
    LabHeadline,
    LabPolicy,
    OperatorRevenue,
    OverdueReport,
    Proposals,
    Reports,
    StopBoardings,
)
from shahr.opendata.live.places import Places
from shahr.opendata.live.sql import epoch_minute, json_entries, minute_of

BUSIEST = 10
LISTED = 5
"""Overdue reports and proposals awaiting an answer listed by name (the counts are of all)."""
UNPLACED = ("unplaced", "بدون موقعیت", "No point given")
"""Reports filed with an address only, as the accountability page lists them (code and names); reports in
a district no longer on the map count in the totals only, as there."""


def snapshot(
    session: Session,
    now: datetime,
    policy: Policy,
    places: Places,
    *,
    districts: Districts,
    civic: CivicSettings,
) -> DashboardSnapshot:
    """Everything the dashboard shows at `now` (aware): today's service day of `policy` against the same
    weekday a week earlier, revenue and boardings today, open reports by district of `districts`,
    proposals awaiting an answer, and the latest consultation's headline."""
    today = policy.service_date(now)
    revenue = _revenue(session, today, places)
    boardings = _boardings(session, today, places)
    return DashboardSnapshot(
        generated_at=now,
        timezone=policy.header.timezone,
        currency=policy.currency,
        service_date=today,
        activity=_activity(session, policy, today, now),
        revenue=revenue,
        revenue_minor=sum(r.amount_minor for r in revenue),
        busiest_stops=boardings[:BUSIEST],
        boardings=boardings,
        reports=_reports(session, now, districts),
        proposals=_proposals(session, now),
        lab=_lab(session, now, civic),
    )


def _activity(session: Session, policy: Policy, today: date, now: datetime) -> Activity:
    """Taps and journeys per minute today and a week earlier; last week's totals up to today's minute.
    Today's series runs to the current minute, or further for a tap stamped ahead of the server's clock
    (ingestion takes taps up to 5 minutes ahead)."""
    last_week = today - timedelta(days=7)
    days = (today, last_week)
    accepted = and_(TapRecord.service_date.in_(days), TapRecord.status == TapStatus.ACCEPTED)
    taps = _per_minute(
        session, select(TapRecord.service_date.label("day"), TapRecord.tapped_at.label("at")).where(accepted)
    )
    rated = select(
        RatedJourney.service_date.label("day"), RatedJourney.explanation["start"].as_string().label("at")
    ).where(RatedJourney.service_date.in_(days))
    # A card-day not closed ends in a journey not yet rated: it is counted at the card's latest boarding.
    still_open = (
        select(TapRecord.service_date.label("day"), func.max(TapRecord.tapped_at).label("at"))
        .join(
            CardDay,
            and_(CardDay.card_id == TapRecord.card_id, CardDay.service_date == TapRecord.service_date),
        )
        .where(accepted, TapRecord.kind == TapKind.ON.value, CardDay.closed.is_(False))
        .group_by(TapRecord.service_date, TapRecord.card_id)
    )
    journeys = _per_minute(session, rated)
    for key, n in _per_minute(session, still_open).items():
        journeys[key] = journeys.get(key, 0) + n
    start = _day_start(policy, today)
    minute = int((now - start).total_seconds() // 60)
    first = int(start.timestamp()) // 60
    shown = max([minute, *(m - first for (day, m) in (*taps, *journeys) if day == today)]) + 1
    today_series = _series(policy, today, taps, journeys, shown)
    week_series = _series(policy, last_week, taps, journeys, None)
    return Activity(
        today=today_series,
        last_week=week_series,
        minute=minute,
        taps_today=sum(today_series.taps),
        taps_last_week=sum(week_series.taps[: minute + 1]),
        journeys_today=sum(today_series.journeys),
        journeys_last_week=sum(week_series.journeys[: minute + 1]),
    )


_Counts = dict[tuple[date, int], int]
"""(service date, minute since 1970) -> count."""


def _per_minute(session: Session, rows: Select[Any, Any]) -> _Counts:
    """`rows` (`day`, `at`: an instant) counted by day and minute, grouped in the database (`sql`)."""
    found = rows.subquery()
    cut = select(found.c.day, minute_of(found.c.at).label("minute")).subquery()
    counted = select(cut.c.day, epoch_minute(cut.c.minute), func.count()).group_by(cut.c.day, cut.c.minute)
    counts: _Counts = {}
    for d, m, n in session.execute(counted):
        if m is not None:
            counts[(d, int(m))] = counts.get((d, int(m)), 0) + int(n)
    return counts


def _day_start(policy: Policy, service_date: date) -> datetime:
    return service_day_end(policy, service_date - timedelta(days=1))


def _series(policy: Policy, day: date, taps: _Counts, journeys: _Counts, length: int | None) -> DaySeries:
    """The day's counts minute by minute from its start: the whole day, or its first `length` minutes."""
    start = _day_start(policy, day)
    minutes = int((service_day_end(policy, day) - start).total_seconds() // 60)
    size = minutes if length is None else min(length, minutes)
    first = int(start.timestamp()) // 60

    def minute_by_minute(counts: _Counts) -> list[int]:
        values = [0] * size
        for (d, epoch), n in counts.items():
            if d == day and 0 <= epoch - first < size:
                values[epoch - first] = n
        return values

    return DaySeries(
        service_date=day, starts_at=start, taps=minute_by_minute(taps), journeys=minute_by_minute(journeys)
    )


def _revenue(session: Session, today: date, places: Places) -> list[OperatorRevenue]:
    """Each operator's charged shares of today's rated journeys, summed in the database."""
    share = json_entries(session, RatedJourney.charged_shares)
    query = (
        select(share.c.key, func.sum(cast(share.c.value, BigInteger)), func.count())
        .select_from(RatedJourney)
        .join(share, true())
        .where(RatedJourney.service_date == today)
        .group_by(share.c.key)
    )
    found = []
    for agency_id, amount, journeys in session.execute(query):
        operator = places.operator(str(agency_id))
        found.append(
            OperatorRevenue(
                operator=operator.agency_id,
                name_fa=operator.name_fa,
                name_en=operator.name_en,
                amount_minor=int(amount or 0),
                journeys=int(journeys),
            )
        )
    return sorted(found, key=lambda r: (-r.amount_minor, r.operator))


def _boardings(session: Session, today: date, places: Places) -> list[StopBoardings]:
    """Accepted tap-ons today by stop, counted at their station, most boardings first."""
    query = (
        select(TapRecord.stop_id, func.count())
        .where(
            TapRecord.service_date == today,
            TapRecord.status == TapStatus.ACCEPTED,
            TapRecord.kind == TapKind.ON.value,
        )
        .group_by(TapRecord.stop_id)
    )
    counts: dict[str, int] = {}
    for stop_id, n in session.execute(query):
        station = places.station_of(str(stop_id))
        counts[station] = counts.get(station, 0) + int(n)
    found = [
        StopBoardings(
            stop_id=p.stop_id, name_fa=p.name_fa, name_en=p.name_en, lat=p.lat, lon=p.lon, boardings=n
        )
        for stop_id, n in counts.items()
        if (p := places.places.get(stop_id)) is not None
    ]
    return sorted(found, key=lambda s: (-s.boardings, s.stop_id))


def _reports(session: Session, now: datetime, districts: Districts) -> Reports:
    """Open reports by district and how many are overdue, as the accountability page counts them."""
    still_open = and_(Report.status.not_in(CLOSED), Report.duplicate_of_id.is_(None))
    late = Report.due_at < now
    counted = select(Report.district_code, func.count(), func.sum(case((late, 1), else_=0))).where(still_open)
    counts = {
        code: (int(n), int(overdue or 0))
        for code, n, overdue in session.execute(counted.group_by(Report.district_code))
    }
    names: list[tuple[str | None, str, str, str]] = [
        (d.code, d.code, d.name_fa, d.name_en) for d in districts.districts
    ]
    if None in counts:
        names.append((None, *UNPLACED))
    by_district = [
        DistrictReports(code=code, name_fa=fa, name_en=en, open=n, overdue=overdue)
        for key, code, fa, en in names
        for n, overdue in [counts.get(key, (0, 0))]
    ]
    longest = session.execute(
        select(Report.id, Category.name_fa, Category.name_en, Report.district_code, Report.due_at)
        .join(Category, Report.category_id == Category.id)
        .where(still_open, late)
        .order_by(Report.due_at, Report.id)
        .limit(LISTED)
    )
    return Reports(
        open=sum(n for n, _ in counts.values()),
        overdue=sum(o for _, o in counts.values()),
        by_district=by_district,
        longest_overdue=[
            OverdueReport(id=i, category_fa=fa, category_en=en, district_code=code, due_at=due)
            for i, fa, en, code, due in longest
        ],
    )


def _proposals(session: Session, now: datetime) -> Proposals:
    """Published proposals awaiting the city's answer, and those past its due date."""
    awaiting = and_(
        Proposal.visibility == Visibility.PUBLISHED, Proposal.status == ProposalStatus.AWAITING_ANSWER
    )
    late = Proposal.answer_due_at < now
    total, overdue = session.execute(
        select(func.count(), func.sum(case((late, 1), else_=0))).where(awaiting)
    ).one()
    first = session.scalars(
        select(Proposal).where(awaiting).order_by(Proposal.answer_due_at, Proposal.id).limit(LISTED)
    )
    return Proposals(
        awaiting=int(total),
        overdue=int(overdue or 0),
        first_due=[_awaiting(p, now) for p in first],
    )


def _awaiting(proposal: Proposal, now: datetime) -> AwaitingProposal:
    due = proposal.answer_due_at
    return AwaitingProposal(
        id=proposal.id,
        title=proposal.title,
        participant_count=proposal.participant_count,
        answer_due_at=due,
        overdue=due is not None and now > due,
    )


def _lab(session: Session, now: datetime, civic: CivicSettings) -> LabHeadline | None:
    """The latest published consultation's headline: both policies' revenue over the lab's demand, trips
    paying more, the same or less, and the car trips the proposal's ridership response avoids."""
    found = list_consultations(session, settings=civic, now=now, limit=1)
    if not found:
        return None
    view = found[0]
    comparison, reference, proposed = view.comparison, view.reference_figures, view.proposed_figures
    return LabHeadline(
        consultation_id=view.id,
        title=view.title,
        currency=view.figures.currency,
        trips=view.figures.demand.trips,
        reference=LabPolicy(id=reference.id, name=reference.name, revenue_minor=reference.revenue),
        proposed=LabPolicy(id=proposed.id, name=proposed.name, revenue_minor=proposed.revenue),
        pays_more=comparison.pays_more,
        pays_same=comparison.pays_same,
        pays_less=comparison.pays_less,
        car_trips_avoided=proposed.response.car_trips_avoided,
        co2_tonnes_saved=proposed.response.co2_tonnes_saved,
    )
