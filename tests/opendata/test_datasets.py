"""The open datasets on a small settled day made by hand, every number worked out below, with k = 3.

Stops A and B lie in zone z1, C in zone z2 (a stand-in network places them). Times are Asia/Tehran.

- adult cards 1-12 ride bus R1 (operator OP1), 20,000 rials a journey:
  mornings: cards 1-4 A 07:1x -> C, cards 5-9 B 07:2x -> C, cards 10-12 C 07:3x -> A;
  evenings: cards 1-4 A 17:10 -> B, cards 5-9 B 17:20 -> A, cards 10-11 C 17:30 -> B (card 12 does not
  ride back);
- youth card 13: feeder R2 (OP2) B 08:10 -> A, transfer to bus R1 A 08:25 -> C: one journey of 15,000,
  shared OP2 5,000 and OP1 10,000;
- senior card 14: bus R1 from A at 19:30 with no tap-off (30,000), then a tap-off at C 20:00 without a
  tap-on (a penalty leg of 10,000: board and exit the same stop and instant; not a boarding);
- card 15: a journey of the service day before (2025-10-04), in the settled folder but not of the day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
import pytest
from shapely.geometry import box
from sqlalchemy import select
from sqlalchemy.orm import Session

from shahr.batch.outputs import clearing_table
from shahr.batch.settle import JOURNEYS_SCHEMA, LEGS_SCHEMA, SHARES_SCHEMA, SettledDay
from shahr.civic.geo import load_districts
from shahr.civic.proposals import workflow as proposals
from shahr.civic.reports.tables import Category, Report, ReportStatus
from shahr.civic.settings import CivicSettings
from shahr.civic.verification import Person
from shahr.lab.zones import Zone, Zones
from shahr.opendata.build import transit_day
from shahr.opendata.datasets import SPECS, boardings, fare_change, od, reports, revenue
from shahr.opendata.datasets import proposals as proposals_dataset
from shahr.opendata.datasets.source import CivicDay, TransitDay, read_settled_dir
from shahr.opendata.datasets.spec import Built, DatasetError, Method, Privacy
from tests.civic.conftest import database_url, engine, session, sessions  # noqa: F401
from tests.civic.test_consultations import publish as publish_consultation
from tests.lab.example_figures import example_figures

TEHRAN = ZoneInfo("Asia/Tehran")
DAY = date(2025, 10, 5)
K3 = Privacy(Method.SUPPRESSION, k=3)
Leg = tuple[str, str, str, str, str, str | None, str | None]
"""(mode, route_id, operator, board stop, local time, exit stop or None, local time or None)."""


def local(clock: str, day: date = DAY) -> datetime:
    return datetime.combine(day, datetime.strptime(clock, "%H:%M").time(), tzinfo=TEHRAN).astimezone(UTC)


@dataclass(frozen=True)
class Ride:
    card: int
    category: str
    fare: int
    shares: dict[str, int]
    legs: list[Leg]
    day: date = DAY


def bus(board: str, on: str, alight: str | None, off: str | None) -> Leg:
    return ("bus", "R1", "OP1", board, on, alight, off)


def hand_made_rides() -> list[Ride]:
    rides = [
        Ride(c, "adult", 20_000, {"OP1": 20_000}, [bus("A", f"07:1{c}", "C", "07:45")]) for c in range(1, 5)
    ]
    rides += [
        Ride(c, "adult", 20_000, {"OP1": 20_000}, [bus("B", "07:25", "C", "07:50")]) for c in range(5, 10)
    ]
    rides += [
        Ride(c, "adult", 20_000, {"OP1": 20_000}, [bus("C", "07:35", "A", "07:55")]) for c in range(10, 13)
    ]
    rides += [
        Ride(c, "adult", 20_000, {"OP1": 20_000}, [bus("A", "17:10", "B", "17:30")]) for c in range(1, 5)
    ]
    rides += [
        Ride(c, "adult", 20_000, {"OP1": 20_000}, [bus("B", "17:20", "A", "17:40")]) for c in range(5, 10)
    ]
    rides += [
        Ride(c, "adult", 20_000, {"OP1": 20_000}, [bus("C", "17:30", "B", "17:50")]) for c in range(10, 12)
    ]
    feeder: Leg = ("feeder", "R2", "OP2", "B", "08:10", "A", "08:18")
    rides.append(
        Ride(13, "youth", 15_000, {"OP2": 5_000, "OP1": 10_000}, [feeder, bus("A", "08:25", "C", "08:50")])
    )
    rides.append(Ride(14, "senior", 30_000, {"OP1": 30_000}, [bus("A", "19:30", None, None)]))
    rides.append(Ride(14, "senior", 10_000, {"OP1": 10_000}, [bus("C", "20:00", "C", "20:00")]))
    rides.append(
        Ride(15, "adult", 20_000, {"OP1": 20_000}, [bus("A", "23:00", "C", "23:20")], date(2025, 10, 4))
    )
    return rides


def settled_frames(rides: list[Ride]) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The rides as a settlement's legs, journeys and operator shares (journeys numbered per card)."""
    legs: list[dict[str, Any]] = []
    journeys: list[dict[str, Any]] = []
    shares: list[dict[str, Any]] = []
    seqs: dict[int, int] = {}
    for ride in sorted(rides, key=lambda r: (r.card, r.day, r.legs[0][4])):
        seq = seqs[ride.card] = seqs.get(ride.card, -1) + 1
        key = {"card_id": ride.card, "journey_seq": seq}
        for n, (mode, route, operator, board, on, alight, off) in enumerate(ride.legs):
            legs.append({
                **key, "leg_seq": n, "mode": mode, "route_id": route, "operator": operator,
                "board_stop": board, "board_at": local(on, ride.day), "alight_stop": alight,
                "alight_at": local(off, ride.day) if off else None, "distance_m": 5_000,
                "distance_method": "shape_dist_traveled", "exit_status": "tapped" if alight else "missing",
                "free": False,
            })  # fmt: skip
        journeys.append({
            **key, "service_date": ride.day, "start": local(ride.legs[0][4], ride.day),
            "legs": len(ride.legs), "distance_m": 5_000 * len(ride.legs), "fare": ride.fare,
            "rider_category": ride.category, "medium": "card", "base_mode": "bus", "base_fare": ride.fare,
            "surcharge": 0, "capped": False, "codes": "", "policy_version": date(2025, 3, 21),
        })  # fmt: skip
        shares += [{**key, "operator": o, "amount": a} for o, a in ride.shares.items()]
    return (
        pl.DataFrame(legs, schema=LEGS_SCHEMA),
        pl.DataFrame(journeys, schema=JOURNEYS_SCHEMA),
        pl.DataFrame(shares, schema=SHARES_SCHEMA),
    )


def write_settled_dir(path: Path, rides: list[Ride]) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for name, frame in zip(("legs", "journeys", "operator_shares"), settled_frames(rides), strict=True):
        frame.write_parquet(path / f"{name}.parquet")
    return path


class Places:
    """A stand-in network: A and B in z1, C in z2."""

    POSITIONS = {"A": (36.2, 59.1), "B": (36.3, 59.2), "C": (36.2, 59.7)}

    def stop_locations(self, stop_ids: Any) -> tuple[np.ndarray, np.ndarray]:
        points = [self.POSITIONS.get(s, (np.nan, np.nan)) for s in stop_ids]
        return np.array([p[0] for p in points]), np.array([p[1] for p in points])


ZONES = Zones(
    (
        Zone("z1", "Zone 1", "ناحیه ۱", box(59.0, 36.0, 59.5, 36.5)),
        Zone("z2", "Zone 2", "ناحیه ۲", box(59.5, 36.0, 60.0, 36.5)),
    ),
    "two test zones",
)


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> TransitDay:
    """The hand-made day, written as a settled folder and read back for 2025-10-05."""
    folder = write_settled_dir(tmp_path_factory.mktemp("settled"), hand_made_rides())
    return transit_day(read_settled_dir(folder, DAY), timezone="Asia/Tehran", network=Places(), zones=ZONES)


def rows(built: Built) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in built.frame.drop("service_date").iter_rows()]


def test_the_settled_folder_reader_keeps_the_service_day_only(day: TransitDay) -> None:
    # 12 + 11 adult journeys, card 13's one, card 14's two; card 15's is of 2025-10-04.
    assert day.frames.journeys.height == 26 and set(day.frames.journeys["card_id"]) == set(range(1, 15))
    assert day.frames.legs.height == 27 and day.frames.operator_shares.height == 27
    assert day.stop_zones.sort("stop_id").rows() == [("A", "z1"), ("B", "z1"), ("C", "z2")]
    assert day.zone_ids == ("z1", "z2")


def test_a_folder_without_the_day_or_without_its_files_is_refused(tmp_path: Path) -> None:
    folder = write_settled_dir(tmp_path / "settled", hand_made_rides())
    with pytest.raises(
        DatasetError, match=r"no journeys of service day 2025-10-06 \(it holds: 2025-10-04, 2025-10-05\)"
    ):
        read_settled_dir(folder, date(2025, 10, 6))
    with pytest.raises(DatasetError, match="legs.parquet: no such file"):
        read_settled_dir(tmp_path, DAY)


def test_boardings_by_stop_and_hour_blank_small_cells_and_their_complements(day: TransitDay) -> None:
    built = boardings.by_stop_hour(day, K3)
    # (bus, adult): A-7 cards 1-4 = 4, A-17 = 4, B-7 cards 5-9 = 5, B-17 = 5, C-7 cards 10-12 = 3, C-17 = 2.
    # C-17 is under k. The cheapest cycle hiding it (cost = people): C-7, A-7, A-17 (3 + 4 + 4 = 11; by B
    # 3 + 5 + 5 = 13; through the totals C 3 + A 4 + A-17 4 = 11, a tie the cells win), so those are
    # blanked too. Totals count distinct cards: A 4 (cards 1-4 at both hours), B 5, C 3 (C-17's two are
    # among 10-12); hour 7: 4 + 5 + 3 = 12, hour 17: 4 + 5 + 2 = 11; all at least k.
    # The youth's two boardings (feeder B-8, bus A-8) and the senior's one (A-19; the penalty leg at C is no
    # boarding) are each a group of one card: cells and totals all under k.
    assert rows(built) == [
        ("bus", "adult", "A", 7, "cell", None, None),
        ("bus", "adult", "A", 17, "cell", None, None),
        ("bus", "adult", "A", None, "stop_total", 8, 4),
        ("bus", "adult", "B", 7, "cell", 5, 5),
        ("bus", "adult", "B", 17, "cell", 5, 5),
        ("bus", "adult", "B", None, "stop_total", 10, 5),
        ("bus", "adult", "C", 7, "cell", None, None),
        ("bus", "adult", "C", 17, "cell", None, None),
        ("bus", "adult", "C", None, "stop_total", 5, 3),
        ("bus", "adult", None, 7, "hour_total", 12, 12),
        ("bus", "adult", None, 17, "hour_total", 11, 11),
        ("bus", "senior", "A", 19, "cell", None, None),
        ("bus", "senior", "A", None, "stop_total", None, None),
        ("bus", "senior", None, 19, "hour_total", None, None),
        ("bus", "youth", "A", 8, "cell", None, None),
        ("bus", "youth", "A", None, "stop_total", None, None),
        ("bus", "youth", None, 8, "hour_total", None, None),
        ("feeder", "youth", "B", 8, "cell", None, None),
        ("feeder", "youth", "B", None, "stop_total", None, None),
        ("feeder", "youth", None, 8, "hour_total", None, None),
    ]
    assert built.frame["service_date"].unique().to_list() == [DAY]
    # Primary: C-17 and the three single cards; secondary: C-7, A-7, A-17.
    assert (built.privacy["primary"], built.privacy["secondary"], built.suppressed_cells) == (4, 3, 7)
    assert (built.period_start, built.period_end) == (DAY, DAY)


def test_boardings_by_route_and_day(day: TransitDay) -> None:
    built = boardings.by_route_day(day, K3)
    # R1 adults: 12 morning + 11 evening boardings by 12 cards; R1 youth 1 (card 13), R1 senior 1 (card 14),
    # R2 youth 1 (card 13): three cells of one card. R2's total (1) and the youth (2) and senior (1) totals
    # are under k; R2's total and cell form a path to the row hub, closed only through R1's total (14), so
    # R1's total is blanked as well. Left: R1 adult and the adult total, 23 boardings by 12 cards.
    assert rows(built) == [
        ("R1", "bus", "OP1", "adult", "cell", 23, 12),
        ("R1", "bus", "OP1", "senior", "cell", None, None),
        ("R1", "bus", "OP1", "youth", "cell", None, None),
        ("R1", "bus", "OP1", None, "route_total", None, None),
        ("R2", "feeder", "OP2", "youth", "cell", None, None),
        ("R2", "feeder", "OP2", None, "route_total", None, None),
        (None, None, None, "adult", "category_total", 23, 12),
        (None, None, None, "senior", "category_total", None, None),
        (None, None, None, "youth", "category_total", None, None),
    ]
    assert (built.privacy["primary"], built.privacy["secondary"]) == (3, 0)


def test_origin_destination_journeys_by_zone_and_hour_band(day: TransitDay) -> None:
    built = od.by_zone_hour_band(day, Privacy(Method.SUPPRESSION, k=3, contribution_bound=10))
    # 07-10: z1 -> z2 cards 1-9 and 13 (whose journey starts at 08:10): 10; z2 -> z1 cards 10-12: 3.
    # 16-19: z1 -> z1 cards 1-9: 9; z2 -> z1 cards 10-11: 2, under k, and with it its row total (2); the
    # cheapest cycle goes through z1's total (9) and cell (9): both blanked; the column total 11 stays.
    # 19-04: card 14's journey from z1 without an exit: to `unknown`, one card, all blank. The penalty leg
    # is no journey.
    assert rows(built) == [
        ("07-10", "z1", "z2", "cell", 10, 10),
        ("07-10", "z1", None, "origin_total", 10, 10),
        ("07-10", "z2", "z1", "cell", 3, 3),
        ("07-10", "z2", None, "origin_total", 3, 3),
        ("07-10", None, "z1", "destination_total", 3, 3),
        ("07-10", None, "z2", "destination_total", 10, 10),
        ("16-19", "z1", "z1", "cell", None, None),
        ("16-19", "z1", None, "origin_total", None, None),
        ("16-19", "z2", "z1", "cell", None, None),
        ("16-19", "z2", None, "origin_total", None, None),
        ("16-19", None, "z1", "destination_total", 11, 11),
        ("19-04", "z1", "unknown", "cell", None, None),
        ("19-04", "z1", None, "origin_total", None, None),
        ("19-04", None, "unknown", "destination_total", None, None),
    ]
    assert built.privacy | {"method": "suppression", "k": 3, "primary": 2, "secondary": 1} == built.privacy
    assert built.privacy["contribution_bound"] == 10


def test_the_od_matrix_counts_each_card_with_its_first_journeys_only(day: TransitDay) -> None:
    # One journey a card: the evenings go, and card 14's morning-less day keeps its 19:30 journey.
    table = od.od_table(od.od_journeys(day, trips_per_card=1)).sort(od._KEYS).drop("service_date")
    assert table.rows() == [
        ("07-10", "z1", "z2", 10, 10),
        ("07-10", "z2", "z1", 3, 3),
        ("19-04", "z1", "unknown", 1, 1),
    ]


def test_the_od_matrix_with_differential_privacy_lists_every_cell_with_noise(day: TransitDay) -> None:
    built = od.by_zone_hour_band(day, Privacy(Method.DP, epsilon=1.0, contribution_bound=2))
    # 5 hour bands x 3 origins (z1, z2, outside) x 4 destinations (the same and unknown), zeros included.
    assert built.frame.height == 60 and set(built.frame["level"]) == {"cell"}
    assert built.frame["cards"].null_count() == 60 and built.frame["journeys"].min() >= 0
    assert (built.privacy["method"], built.privacy["epsilon"], built.privacy["contribution_bound"]) == (
        "differential_privacy",
        1.0,
        2,
    )
    assert built.privacy["scale"] >= 2.0  # contribution bound / epsilon


def test_revenue_by_operator_is_the_clearing(day: TransitDay) -> None:
    # OP1: 23 adult journeys x 20,000 + card 13's 10,000 + card 14's 30,000 and 10,000 = 510,000 over 26
    # journeys and 26 legs (the penalty leg is a leg the operator is paid for), 14 cards; OP2: 5,000, one
    # journey, one leg, one card. The day: 515,000 over 27 share rows, 27 legs, 14 distinct cards (OP2's
    # card rode OP1 too: a total counts it once).
    everything = revenue.by_operator_day(day, Privacy(Method.SUPPRESSION, k=1))
    assert rows(everything) == [
        ("OP1", "cell", 26, 26, 510_000, 14),
        ("OP2", "cell", 1, 1, 5_000, 1),
        (None, "day_total", 27, 27, 515_000, 14),
    ]
    # The same sums as the settlement's clearing table.
    legs, journeys, shares = settled_frames([ride for ride in hand_made_rides() if ride.day == DAY])
    clearing = clearing_table(SettledDay(legs, journeys, shares, pl.DataFrame(), {}))
    assert revenue.clearing(day.frames).select(*clearing.columns[:4], amount="amount_rials").equals(clearing)
    # k = 3: OP2 (one card) is blanked, and OP1 with it, or the day's total would give OP2 away.
    protected = revenue.by_operator_day(day, K3)
    assert rows(protected) == [
        ("OP1", "cell", None, None, None, None),
        ("OP2", "cell", None, None, None, None),
        (None, "day_total", 27, 27, 515_000, 14),
    ]


def test_no_card_id_trip_chain_or_time_finer_than_the_grain_is_published(day: TransitDay) -> None:
    for built in (
        boardings.by_stop_hour(day, K3),
        boardings.by_route_day(day, K3),
        od.by_zone_hour_band(day, Privacy(Method.SUPPRESSION, k=3, contribution_bound=10)),
        revenue.by_operator_day(day, K3),
    ):
        frame = built.frame
        assert not {"card_id", "journey_seq", "leg_seq", "board_at", "start"} & set(frame.columns)
        assert not any(isinstance(dtype, pl.Datetime) for dtype in frame.dtypes)
        assert frame.filter(pl.col("cards") < 3).is_empty()  # never a published count of fewer than k


def test_every_spec_names_its_columns_in_both_languages_once() -> None:
    assert len(SPECS) == 7
    for spec in SPECS.values():
        assert spec.title_fa and spec.notes_fa and spec.title_en and spec.notes_en
        assert spec.organization in {"mashhad-transit", "mashhad-municipality"}
        assert spec.license_id == "cc-by-4.0"
        names = [c.name for c in spec.columns]
        assert len(names) == len(set(names)) and all(c.description for c in spec.columns)


# -- civic datasets, from the database ------------------------------------------------------------------

NOW = datetime(2025, 10, 8, 12, 0, tzinfo=TEHRAN)
UNTIL = date(2025, 10, 7)


def civic_day(db: Session, settings: CivicSettings | None = None) -> CivicDay:
    return CivicDay(db, UNTIL, "Asia/Tehran", settings or CivicSettings(), NOW.astimezone(UTC))


def at(day: int, clock: str, month: int = 10) -> datetime:
    return local(clock, date(2025, month, day))


def add_report(db: Session, category: Category, n: int, **fields: Any) -> Report:
    report = Report(
        category_id=category.id, description=f"report {n}", lat=None, lon=None, address=None, address_id=None,
        department=category.department, attributes={}, media_url=None, status_note=None,
        token_hash=f"{n:064x}", source="web", **fields,
    )  # fmt: skip
    report.updated_at = fields["filed_at"]
    db.add(report)
    db.flush()
    return report


def test_reports_by_category_district_and_week(session: Session) -> None:  # noqa: F811
    category = session.scalars(select(Category).order_by(Category.service_code)).first()
    assert category is not None
    code = category.service_code
    placed = {"district_code": "d01", "duplicate_of_id": None}
    first = add_report(session, category, 1, status=ReportStatus.RESOLVED, filed_at=at(29, "10:00", 9),
                       due_at=at(1, "10:00"), closed_at=at(30, "10:00", 9), **placed)  # fmt: skip
    add_report(session, category, 2, status=ReportStatus.RESOLVED, filed_at=at(30, "10:00", 9),
               due_at=at(2, "10:00"), closed_at=at(3, "10:00"), **placed)  # fmt: skip
    add_report(session, category, 3, status=ReportStatus.IN_PROGRESS, filed_at=at(1, "10:00"),
               due_at=at(3, "10:00"), closed_at=None, **placed)  # fmt: skip
    # Monday 02:00 in Tehran is Sunday 22:30 UTC: the local week counts.
    add_report(session, category, 4, status=ReportStatus.ACKNOWLEDGED, filed_at=at(6, "02:00"),
               due_at=at(9, "02:00"), closed_at=None, **placed)  # fmt: skip
    add_report(session, category, 5, status=ReportStatus.REJECTED, filed_at=at(29, "11:00", 9),
               due_at=at(1, "11:00"), closed_at=at(29, "12:00", 9), district_code="d01",
               duplicate_of_id=first.id)  # fmt: skip
    add_report(session, category, 6, status=ReportStatus.REJECTED, filed_at=at(2, "09:00"),
               due_at=at(4, "09:00"), closed_at=at(2, "15:00"), district_code=None,
               duplicate_of_id=None)  # fmt: skip
    add_report(session, category, 7, status=ReportStatus.FILED, filed_at=at(8, "09:00"),
               due_at=at(10, "09:00"), closed_at=None, **placed)  # fmt: skip

    built = reports.by_category_district_week(civic_day(session), reports.SPEC.privacy)
    assert built is not None
    # Week 40 (Monday 2025-09-29, 7 Mehr 1404), d01: reports 1-3 (5 is a merged duplicate): 1 closed on
    # time after 24 h, 2 closed late after 72 h, 3 open past its due time at NOW; on time 1 / (2 + 1).
    # Week 40, unplaced: report 6, rejected after 6 h, on time. Week 41 (2025-10-06, 14 Mehr), d01: report
    # 4, open and not yet due. Report 7 was filed after UNTIL.
    assert built.frame.rows() == [
        ("2025-W40", date(2025, 9, 29), "1404-07-07", code, "d01", 3, 2, 1, 1, 1, 0.3333, 48.0),
        ("2025-W40", date(2025, 9, 29), "1404-07-07", code, "unplaced", 1, 1, 1, 0, 0, 1.0, 6.0),
        ("2025-W41", date(2025, 10, 6), "1404-07-14", code, "d01", 1, 0, 0, 1, 0, None, None),
    ]
    assert (built.period_start, built.period_end) == (date(2025, 9, 29), UNTIL)
    assert built.privacy["method"] == "public" and "Open311" in built.privacy["note"]
    assert not {"description", "lat", "lon", "address", "token_hash"} & set(built.frame.columns)


def test_proposals_and_their_answers_at_day_grain(session: Session) -> None:  # noqa: F811
    settings = CivicSettings(debate_threshold=1, answer_threshold=2, answer_days=10, expiry_days=30)
    sure = at(1, "09:00")
    people = [
        Person(id=f"{n:016x}", phone_hash=f"{n:064x}", created_at=sure, verified_at=sure) for n in range(3)
    ]
    session.add_all(people)
    session.flush()
    districts = load_districts(None)
    answered = proposals.create_proposal(
        session, people[0], title="ایستگاه دوچرخه در احمدآباد", body="لطفا ایستگاه دوچرخه بسازید.",
        category="transport", district_code="d01", districts=districts, settings=settings, now=at(1, "10:00"),
    )  # fmt: skip
    proposals.support(session, answered.id, people[1], settings=settings, now=at(2, "09:00"))
    proposals.support(session, answered.id, people[2], settings=settings, now=at(2, "10:00"))
    proposals.answer(
        session, answered.id, office="معاونت حمل‌ونقل", text="ساخته می‌شود.", staff="x", now=at(3, "12:00")
    )
    late_evening = proposals.create_proposal(
        session, people[0], title="نیمکت در پارک", body="نیمکت‌های بیشتری در پارک محله بگذارید.",
        category="environment", district_code=None, districts=districts, settings=settings,
        now=at(6, "23:30"),
    )  # fmt: skip
    proposals.create_proposal(
        session, people[1], title="بعد از روز", body="این پیشنهاد پس از پایان دوره آمده است.",
        category="environment", district_code=None, districts=districts, settings=settings,
        now=at(8, "09:00"),
    )  # fmt: skip

    built = proposals_dataset.published(civic_day(session, settings), proposals_dataset.SPEC.privacy)
    assert built is not None
    # The first reached the debate at the first support (2 Oct) and the answer threshold at the second,
    # due 10 days later (12 Oct); answered 3 Oct, in time. The second was proposed at 23:30 on 6 Oct in
    # Tehran (20:00 UTC): its day is the local one. The third came after UNTIL.
    assert built.frame.rows() == [
        (answered.id, "ایستگاه دوچرخه در احمدآباد", "transport", "d01", "answered", 2, 2,
         date(2025, 10, 1), date(2025, 10, 2), date(2025, 10, 12), date(2025, 10, 3), False, False,
         "معاونت حمل‌ونقل", "ساخته می‌شود."),
        (late_evening.id, "نیمکت در پارک", "environment", None, "open", 0, 0, date(2025, 10, 6), None, None,
         None, False, False, None, None),
    ]  # fmt: skip
    assert (built.period_start, built.period_end) == (date(2025, 10, 1), UNTIL)


def test_fare_change_from_the_latest_consultation_blanks_rows_of_fewer_than_k_trips(session: Session) -> None:  # noqa: F811
    assert fare_change.latest_comparison(civic_day(session), fare_change.SPEC.privacy) is None
    published = publish_consultation(session)
    built = fare_change.latest_comparison(civic_day(session), Privacy(Method.SUPPRESSION, k=1_000))
    assert built is not None
    # tests/lab/example_figures.py: four distance bands, then four zones; only the 20+ km band has fewer than
    # 1,000 trips (900).
    frame = built.frame
    assert frame.height == 8 and frame["consultation_id"].unique().to_list() == [published.consultation.id]
    assert frame.select("breakdown", "key", "trips", "reference_average_rials", "average_rials").rows()[
        :4
    ] == [
        ("distance_band", "0-5", 3_900, 21_100, 20_300),
        ("distance_band", "5-10", 4_300, 23_800, 21_200),
        ("distance_band", "10-20", 3_380, 27_600, 22_900),
        ("distance_band", "20-", None, None, None),
    ]
    assert frame.row(3)[8:] == (None, None, None, None, None)  # nothing of the blanked row is left
    assert frame.row(4)[3:7] == ("zone", "vakilabad", "وکیل‌آباد (Vakilabad)", 2_900)
    assert (built.suppressed_cells, built.period_start, built.period_end) == (
        1,
        example_figures().demand.service_dates[0],
        example_figures().demand.service_dates[-1],
    )


def test_hour_bands_are_told_in_local_hours() -> None:
    # The bands' edges in local time: 03:59 is the night before's 19-04, 04:00 the early morning.
    bands = od._BAND_OF_HOUR
    edges = [bands[h] for h in (3, 4, 6, 7, 9, 10, 15, 16, 18, 19)]
    assert edges == ["19-04", "04-07", "04-07", "07-10", "07-10", "10-16", "10-16", "16-19", "16-19", "19-04"]
    assert timedelta(hours=3, minutes=30) == datetime(2025, 10, 5, tzinfo=TEHRAN).utcoffset()
