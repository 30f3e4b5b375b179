"""The dashboard's snapshot on SQLite and PostgreSQL over a small day written by hand (taps at known
minutes, rated journeys with their charged shares, the same weekday a week before, reports filed and one
resolved, proposals obliged to an answer, a published consultation), every figure worked out in the
comments; the feed's names and stations; the JSON route, the Persian and English pages, and the event
stream: its first event from a real server, and only changes after it."""

from __future__ import annotations

import hashlib
import re
import time as clock
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx2
import pytest
from anyio.from_thread import start_blocking_portal
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shahr.backoffice import cards
from shahr.backoffice.auth_tables import StaffRole
from shahr.backoffice.taps import CardDay, RatedJourney, TapRecord, TapStatus
from shahr.civic.consultations import workflow as consultations
from shahr.civic.geo import load_districts
from shahr.civic.proposals import workflow as proposals
from shahr.civic.proposals.tables import Proposal
from shahr.civic.reports import workflow as reports
from shahr.civic.reports.settings import ReportSettings
from shahr.civic.reports.tables import ReportStatus
from shahr.civic.settings import CivicSettings
from shahr.civic.verification import Person
from shahr.db import make_engine, session_factory, upgrade
from shahr.fares.load import Policy
from shahr.network import Network
from shahr.opendata.live import DashboardSnapshot, load_places, snapshot
from shahr.settings import Settings
from shahr.web.app import create_app
from shahr.web.device_client import StaffClient
from shahr.web.routers.dashboard import LiveSnapshots, snapshot_events
from tests.browser.conftest import LiveServer, server  # noqa: F401  (a real server, for the stream)
from tests.civic.test_consultations import DISTANCE_TOML, FLAT_TOML
from tests.lab.example_figures import example_figures

FEED = Path(__file__).parents[2] / "data" / "mashhad-demo.zip"
PLACES = load_places(str(FEED))
DISTRICTS = load_districts()
TEHRAN = ZoneInfo("Asia/Tehran")
CIVIC = CivicSettings(debate_threshold=1, answer_threshold=2, answer_days=10)
"""Two supports oblige an answer, due 10 days after the second."""
TODAY = date(2026, 11, 25)
"""A Wednesday; `mashhad-distance`'s service day starts at 04:00 Tehran, so 10:30 is minute 390."""
NOW = datetime.combine(TODAY, time(10, 30, 30), TEHRAN)
HARAM = (36.288, 59.6157)
"""In the Samen district of the demo map."""


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


def local(day: date, hour: int, minute: int, second: float = 0) -> datetime:
    whole = int(second)
    return datetime.combine(day, time(hour, minute, whole, round((second - whole) * 1e6)), TEHRAN)


class Day:
    """Rows written straight into the tables the dashboard reads, as ingestion and rating leave them."""

    def __init__(self, session: Session, received: datetime) -> None:
        self.session = session
        self.received = received
        self.cards = [cards.create_card(session, "adult").id for _ in range(2)]
        self.seq = 0

    def tap(
        self,
        card: int,
        when: datetime,
        stop_id: str,
        kind: str = "on",
        *,
        day: date,
        status: TapStatus = TapStatus.ACCEPTED,
    ) -> None:
        self.seq += 1
        self.session.add(
            TapRecord(
                device_id="gate-1",
                seq=self.seq,
                fingerprint=hashlib.sha256(str(self.seq).encode()).hexdigest(),
                payload={},
                received_at=self.received,
                card_id=self.cards[card],
                kind=kind,
                tapped_at=when,
                stop_id=stop_id,
                service_date=day,
                status=status,
                reason_code=None if status is TapStatus.ACCEPTED else "duplicate_tap",
            )
        )

    def journey(self, card: int, seq: int, start: str, shares: dict[str, int], *, day: date) -> None:
        """A rated (closed) journey whose first boarding is `start` (ISO 8601, as `journey_data` writes
        it), charged `shares`."""
        charged = sum(shares.values())
        self.session.add(
            RatedJourney(
                card_id=self.cards[card],
                service_date=day,
                journey_seq=seq,
                fare_minor=charged,
                operator_shares=shares,
                charged_minor=charged,
                charged_shares=shares,
                explanation={"start": start, "legs": []},
            )
        )

    def card_day(self, card: int, day: date, *, closed: bool) -> None:
        self.session.add(
            CardDay(
                card_id=self.cards[card],
                service_date=day,
                charged_through=self.received,
                fares_minor=0,
                total_minor=0,
                closed=closed,
            )
        )


def ride_today_and_last_week(session: Session, today: date) -> None:
    """Two cards. Minutes count from the service day's 04:00; a card-day not closed ends in a journey not
    yet rated, counted at the card's latest boarding.

    Today (open): card 0 boards at 07:00:10 (minute 180, at a platform of st_airport), taps off at
    07:15:59.9 (195, not 196), is refused at 08:00 (a duplicate, not counted), boards at 10:30:05 (390):
    one journey rated from 07:00:10 (MURC 14,000 and BRT 8,000) and one open at 390. Card 1 boards at
    07:00:50 at st_airport (180), 09:00 (300) and 09:40 (340): journeys rated from 07:00:50 (written in
    UTC; MBUS 16,000) and from 09:00 (MURC 0: a cap took it), one open at 340. Taps: 180 x2, 195, 300,
    340, 390 (6); journeys: 180 x2, 300, 340, 390 (5); boardings: b_haram 3, st_airport 2; revenue MBUS
    16,000, MURC 14,000 (2 journeys), BRT 8,000: 38,000.

    Last week: card 0 (closed) boards at 06:00 (120), taps off at 06:20 (140), boards at 10:30:59 (390)
    and 23:00 (1140), three journeys rated; card 1 (not closed) boards at 10:31 (391), open. Taps by
    minute 390: 3 of 5; journeys: 2 of 4. Yesterday's tap (03:59 today is still yesterday's service day)
    and journey count for neither day."""
    last_week, yesterday = today - timedelta(days=7), today - timedelta(days=1)
    day = Day(session, datetime.now(UTC))
    day.tap(0, local(today, 7, 0, 10), "m1_airport", day=today)
    day.tap(0, local(today, 7, 15, 59.9), "b_ahmadabad", "off", day=today)
    day.tap(0, local(today, 8, 0), "b_haram", day=today, status=TapStatus.QUARANTINED)
    day.tap(0, local(today, 10, 30, 5), "b_haram", day=today)
    day.tap(1, local(today, 7, 0, 50), "st_airport", day=today)
    day.tap(1, local(today, 9, 0), "b_haram", day=today)
    day.tap(1, local(today, 9, 40), "b_haram", day=today)
    day.journey(0, 1, f"{today}T07:00:10+03:30", {"MURC": 14_000, "BRT": 8_000}, day=today)
    day.journey(1, 1, f"{today}T03:30:50+00:00", {"MBUS": 16_000}, day=today)
    day.journey(1, 2, f"{today}T09:00:00.250000+03:30", {"MURC": 0}, day=today)
    day.card_day(0, today, closed=False)
    day.card_day(1, today, closed=False)
    day.tap(0, local(last_week, 6, 0), "b_haram", day=last_week)
    day.tap(0, local(last_week, 6, 20), "st_airport", "off", day=last_week)
    day.tap(0, local(last_week, 10, 30, 59), "b_haram", day=last_week)
    day.tap(0, local(last_week, 23, 0), "b_haram", day=last_week)
    day.tap(1, local(last_week, 10, 31), "b_haram", day=last_week)
    day.journey(0, 1, f"{last_week}T06:00:00+03:30", {"MURC": 99_999}, day=last_week)
    day.journey(0, 2, f"{last_week}T10:30:59+03:30", {"BRT": 1}, day=last_week)
    day.journey(0, 3, f"{last_week}T23:00:00+03:30", {"BRT": 2}, day=last_week)
    day.card_day(0, last_week, closed=True)
    day.card_day(1, last_week, closed=False)
    day.tap(0, local(today, 3, 59), "b_haram", day=yesterday)
    day.journey(0, 1, f"{yesterday}T09:00:00+03:30", {"BRT": 5}, day=yesterday)
    day.card_day(0, yesterday, closed=False)
    session.flush()


def file_reports(session: Session, now: datetime) -> list[int]:
    """Four reports: waste (24 h) 3 days ago at the Haram, overdue since 2 days; road damage (72 h) an hour
    ago there, not yet due; street lighting 5 days ago, resolved; `other` (168 h) 10 days ago with an
    address only, overdue since 3 days. Open: 3; overdue: 2, the address-only one first."""
    settings = ReportSettings()

    def file(code: str, ago: timedelta, point: tuple[float, float] | None) -> int:
        lat, lon = point or (None, None)
        new = reports.NewReport(
            code, "توضیح مشکل", lat=lat, lon=lon, address=None if point else "خیابان امام رضا"
        )
        filed = reports.file_report(session, new, settings=settings, districts=DISTRICTS, now=now - ago)
        return filed.report.id

    waste = file("waste_collection", timedelta(days=3), HARAM)
    file("road_damage", timedelta(hours=1), HARAM)
    lighting = file("street_lighting", timedelta(days=5), (36.3005, 59.5775))
    reports.change_status(
        session, lighting, ReportStatus.RESOLVED, "درست شد.", actor="staff:test", now=now - timedelta(days=4)
    )
    other = file("other", timedelta(days=10), None)
    session.flush()
    return [other, waste]


def oblige_answers(session: Session, now: datetime) -> list[int]:
    """Three proposals: two reach two supports (answers due 10 days later), one 11 days ago (overdue since
    a day), one a day ago; the third has one support only (a debate, no answer due)."""
    persons = [
        Person(id=f"{n:016x}", phone_hash=hashlib.sha256(f"p{n}".encode()).hexdigest(), created_at=now,
               verified_at=now)
        for n in range(3)
    ]  # fmt: skip
    session.add_all(persons)
    session.flush()

    def propose(title: str, ago: timedelta, supporters: int) -> Proposal:
        made = proposals.create_proposal(
            session, persons[0], title=title, body="متن پیشنهاد برای شهر.", category="transport",
            district_code="samen", districts=DISTRICTS, settings=CIVIC, now=now - ago,
        )  # fmt: skip
        for person in persons[1 : 1 + supporters]:
            proposals.support(session, made.id, person, settings=CIVIC, now=now - ago)
        return made

    late = propose("اتوبوس شبانه", timedelta(days=11), 2)
    due = propose("پیاده‌راه بازار", timedelta(days=1), 2)
    propose("ایستگاه دوچرخه", timedelta(days=2), 1)
    session.flush()
    return [late.id, due.id]


def publish_consultation(session: Session, now: datetime) -> int:
    published = consultations.publish(
        session, title="کرایهٔ مسافتی برای مشهد", body=None, policy_toml=DISTANCE_TOML,
        reference_toml=FLAT_TOML, figures=example_figures(), staff="سارا", districts=DISTRICTS,
        settings=CIVIC, now=now - timedelta(days=1),
    )  # fmt: skip
    session.flush()
    return published.consultation.id


def test_the_snapshot_of_a_day_written_by_hand(session: Session, mashhad_distance: Policy) -> None:
    ride_today_and_last_week(session, TODAY)
    overdue_reports = file_reports(session, NOW)
    awaiting = oblige_answers(session, NOW)
    consultation_id = publish_consultation(session, NOW)
    session.commit()

    s = snapshot(session, NOW, mashhad_distance, PLACES, districts=DISTRICTS, civic=CIVIC)

    assert (s.service_date, s.timezone, s.currency) == (TODAY, "Asia/Tehran", "IRR")
    a = s.activity
    assert a.minute == 390  # 10:30:30 is 6 h 30 min after 04:00
    assert a.today.starts_at == local(TODAY, 4, 0)
    assert len(a.today.taps) == len(a.today.journeys) == 391  # up to the current minute
    assert len(a.last_week.taps) == 24 * 60
    assert {i: n for i, n in enumerate(a.today.taps) if n} == {180: 2, 195: 1, 300: 1, 340: 1, 390: 1}
    assert {i: n for i, n in enumerate(a.today.journeys) if n} == {180: 2, 300: 1, 340: 1, 390: 1}
    assert {i: n for i, n in enumerate(a.last_week.taps) if n} == {120: 1, 140: 1, 390: 1, 391: 1, 1140: 1}
    assert {i: n for i, n in enumerate(a.last_week.journeys) if n} == {120: 1, 390: 1, 391: 1, 1140: 1}
    assert (a.taps_today, a.taps_last_week) == (6, 3)
    assert (a.journeys_today, a.journeys_last_week) == (5, 2)

    # MBUS 16,000 (one journey); MURC 14,000 + 0 (two); BRT 8,000 (one): 38,000, last week's not counted.
    assert [(r.operator, r.amount_minor, r.journeys) for r in s.revenue] == [
        ("MBUS", 16_000, 1), ("MURC", 14_000, 2), ("BRT", 8_000, 1),
    ]  # fmt: skip
    assert s.revenue_minor == 38_000
    brt = s.revenue[2]
    assert (brt.name_fa, brt.name_en) == ("بهره بردار اتوبوس تندرو مشهد", "Mashhad BRT operator")

    # Boardings: m1_airport and st_airport both at the station st_airport; the refused tap, the tap-off
    # and yesterday's tap are none.
    assert [(b.stop_id, b.boardings) for b in s.busiest_stops] == [("b_haram", 3), ("st_airport", 2)]
    assert s.boardings == s.busiest_stops
    airport = s.busiest_stops[1]
    assert (airport.name_fa, airport.name_en) == ("فرودگاه", "Airport")
    assert (airport.lat, airport.lon) == (36.228254, 59.640566)

    assert (s.reports.open, s.reports.overdue) == (3, 2)
    by_code = {d.code: (d.open, d.overdue) for d in s.reports.by_district}
    assert [d.code for d in s.reports.by_district] == [d.code for d in DISTRICTS.districts] + ["unplaced"]
    assert by_code["samen"] == (2, 1) and by_code["unplaced"] == (1, 1) and by_code["d01"] == (0, 0)
    assert [r.id for r in s.reports.longest_overdue] == overdue_reports
    assert s.reports.longest_overdue[1].category_en == "Waste collection"

    assert (s.proposals.awaiting, s.proposals.overdue) == (2, 1)
    assert [(p.id, p.overdue) for p in s.proposals.first_due] == [(awaiting[0], True), (awaiting[1], False)]
    assert s.proposals.first_due[0].answer_due_at == NOW - timedelta(days=1)
    assert s.proposals.first_due[0].participant_count == 2

    lab = s.lab
    assert lab is not None and lab.consultation_id == consultation_id
    assert (lab.reference.id, lab.reference.revenue_minor) == ("mashhad-flat", 304_600_000)
    assert (lab.proposed.id, lab.proposed.revenue_minor) == ("mashhad-distance", 268_350_000)
    # example_figures: 12,480 trips, 3,120 pay more and 2,870 the same, so 6,490 pay less.
    assert (lab.trips, lab.pays_more, lab.pays_same, lab.pays_less) == (12_480, 3_120, 2_870, 6_490)
    assert lab.car_trips_avoided == 79.45
    assert "card" not in s.model_dump_json()  # aggregates only: no card ids, no card fields


def test_an_empty_city(session: Session, mashhad_distance: Policy) -> None:
    s = snapshot(session, NOW, mashhad_distance, PLACES, districts=DISTRICTS, civic=CIVIC)
    assert s.activity.today.taps == [0] * 391 and s.activity.taps_last_week == 0
    assert (s.revenue, s.busiest_stops, s.lab) == ([], [], None)
    assert (s.reports.open, s.proposals.awaiting) == (0, 0)
    assert [(d.open, d.overdue) for d in s.reports.by_district] == [(0, 0)] * len(DISTRICTS.districts)


def test_the_feed_names_stops_and_operators_in_both_languages() -> None:
    assert PLACES.station_of("m1_airport") == "st_airport"
    assert PLACES.station_of("b_haram") == "b_haram"
    assert "m1_airport" not in PLACES.places  # a platform is drawn at its station
    haram = PLACES.places["b_haram"]
    assert (haram.name_fa, haram.name_en) == ("حرم مطهر امام رضا (ع)", "Imam Reza Shrine")
    assert PLACES.operator("unknown").name_en == "unknown"


@pytest.fixture
def api(database_url: str) -> Iterator[TestClient]:
    app = create_app(Settings(environment="test", database_url=database_url, feed=str(FEED)))
    with TestClient(app) as client:
        yield client


def seed_today(client: TestClient) -> DashboardSnapshot:
    """The hand-made day on today's real service day (the pages ask the clock)."""
    app = client.app
    policy = app.state.fares.policy  # type: ignore[attr-defined]
    now = datetime.now(UTC)
    with app.state.sessions() as session:  # type: ignore[attr-defined]
        ride_today_and_last_week(session, policy.service_date(now))
        file_reports(session, now)
        session.commit()
    return DashboardSnapshot.model_validate(client.get("/dashboard/snapshot").json())


def test_the_snapshot_route_and_the_persian_page(api: TestClient) -> None:
    s = seed_today(api)
    assert (s.activity.taps_today, s.revenue_minor, s.reports.open) == (6, 38_000, 3)
    page = api.get("/fa/dashboard")
    assert page.status_code == 200
    assert 'dir="rtl"' in page.text and "اتاق شهردار دیجیتال" in page.text
    assert re.search(r'id="taps-today" class="big">۶</strong>', page.text)
    assert re.search(r'id="revenue-today" class="big">۳۸٬۰۰۰</strong>', page.text)
    assert "<script>" not in page.text  # the snapshot travels as JSON data, not an inline script
    assert '<script type="application/json" id="dashboard-data">' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    english = api.get("/en/dashboard").text
    assert re.search(r'id="revenue-today" class="big">38,000</strong>', english)
    assert "Mashhad city bus organisation" in english and 'href="/fa/dashboard"' in english


def test_a_stream_sends_a_snapshot_at_once_then_only_changes() -> None:
    """A fake clock of snapshots: the first is sent at once, the same figures again are not (a new
    `generated_at` alone is no change), new figures are; the stream stops when the client has gone."""
    made = [_snapshot(taps) for taps in (1, 1, 1, 2)]
    live = LiveSnapshots(lambda now: made.pop(0) if made else _snapshot(2), fresh_s=0)
    asked = 0

    async def disconnected() -> bool:
        nonlocal asked
        asked += 1
        return asked > 5

    async def collect() -> list[int]:
        return [
            DashboardSnapshot.model_validate_json(str(event.data)).activity.taps_today
            async for event in snapshot_events(live, disconnected, every_s=0)
        ]

    with start_blocking_portal() as portal:  # a loop of its own: Playwright's may hold this thread
        assert portal.call(collect) == [1, 2]
    assert asked == 6


def _snapshot(taps: int) -> DashboardSnapshot:
    return DashboardSnapshot.model_validate(
        {
            "generated_at": datetime.now(UTC),
            "timezone": "Asia/Tehran",
            "currency": "IRR",
            "service_date": TODAY,
            "activity": {
                "today": {"service_date": TODAY, "starts_at": NOW, "taps": [taps], "journeys": [0]},
                "last_week": {"service_date": TODAY, "starts_at": NOW, "taps": [0], "journeys": [0]},
                "minute": 0,
                "taps_today": taps,
                "taps_last_week": 0,
                "journeys_today": 0,
                "journeys_last_week": 0,
            },
            "revenue": [],
            "revenue_minor": 0,
            "busiest_stops": [],
            "boardings": [],
            "reports": {"open": 0, "overdue": 0, "by_district": [], "longest_overdue": []},
            "proposals": {"awaiting": 0, "overdue": 0, "first_due": []},
            "lab": None,
        }
    )


def test_the_stream_of_a_real_server_starts_with_the_snapshot(server: LiveServer) -> None:  # noqa: F811
    with server.app.state.sessions() as session:
        ride_today_and_last_week(session, server.app.state.fares.policy.service_date(datetime.now(UTC)))
        session.commit()
    with httpx2.stream("GET", f"{server.url}/dashboard/stream", timeout=10) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines: list[str] = []
        for line in response.iter_lines():
            if not line and lines:
                break
            lines.append(line)
    assert lines[0] == "event: snapshot" and lines[-1] == "retry: 2000"
    first = DashboardSnapshot.model_validate_json(lines[1].removeprefix("data: "))
    assert (first.activity.taps_today, first.revenue_minor) == (6, 38_000)


def test_the_demo_feeder_fills_last_week_and_today(
    server: LiveServer,  # noqa: F811
    mashhad_network: Network,
    tmp_path: Path,
) -> None:
    """`make demo`'s feeder against a real server with 30 adult cards: last week's whole day uploaded and
    closed, today's taps up to now at once (no replay delay); the dashboard counts what was accepted."""
    from shahr.demo_live import LiveFeed
    from shahr.network import load_feed

    token = server.staff_token(StaffRole.ADMIN)
    with StaffClient(server.url, token) as staff:
        for _ in range(30):
            staff.create_card("adult", top_up_minor=500_000)
    policy = server.app.state.fares.policy
    today = policy.service_date(datetime.now(UTC))
    database_url = server.app.state.settings.database_url
    feeder = LiveFeed(
        server.url, token, database_url, load_feed(FEED), mashhad_network, policy, seed=3, folder=tmp_path,
        replay_s=0,
    )  # fmt: skip
    with feeder:
        deadline = clock.monotonic() + 60
        while "day closed" not in _log(tmp_path) and clock.monotonic() < deadline:
            clock.sleep(0.2)
        clock.sleep(3)  # the first round of today's taps
    assert "Traceback" not in _log(tmp_path)
    with server.app.state.sessions() as session:
        accepted = dict(
            session.execute(
                select(TapRecord.service_date, func.count())
                .where(TapRecord.status == TapStatus.ACCEPTED)
                .group_by(TapRecord.service_date)
            ).all()
        )
        unknown = session.scalar(select(func.count()).where(TapRecord.service_date.is_(None)))
    s = DashboardSnapshot.model_validate(httpx2.get(f"{server.url}/dashboard/snapshot").json())
    last_week = today - timedelta(days=7)
    assert sum(s.activity.last_week.taps) == accepted[last_week] > 100  # 30 riders: about 200 taps a day
    assert sum(s.activity.last_week.journeys) > 10  # the day is closed: all its journeys are rated
    assert s.activity.taps_today == accepted.get(today, 0)
    assert unknown == 0  # every tap was of a card the service knows, and well formed
    assert feeder.sent >= accepted[last_week] + accepted.get(today, 0)


def _log(folder: Path) -> str:
    path = folder / "live.log"
    return path.read_text(encoding="utf-8") if path.exists() else ""
