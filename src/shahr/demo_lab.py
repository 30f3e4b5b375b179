"""`make demo`'s policy lab and open data: yesterday on the demo network, as 20,000 simulated riders
travelled it, compared under today's flat fare and the proposed distance fare; the report written to the
demo's folder and the comparison published as a fare consultation, where the demo's own card holders see
their morning under both policies; then yesterday's open datasets published again, now that the
residents' weeks and the consultation are in (the day's close published its transit ones)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from gtfs_kit import Feed

from shahr.batch.simulate import SimulationOptions, simulate_taps
from shahr.civic.geo import load_districts
from shahr.civic.settings import get_civic_settings
from shahr.db import make_engine, session_factory
from shahr.fares.load import load_policy, read_policy_text
from shahr.lab.compare import TripTable, compare
from shahr.lab.demand import load_demand
from shahr.lab.factors import load_factors
from shahr.lab.figures import Figures
from shahr.lab.report import render_report
from shahr.lab.reprice import price_demand
from shahr.lab.zones import from_districts
from shahr.network import Network
from shahr.opendata.build import Published, publish_closed_day
from shahr.web.device_client import StaffClient

LAB_CARDS = 20_000
REFERENCE, PROPOSAL = "mashhad-flat", "mashhad-distance"
TITLE = "کرایهٔ یکپارچهٔ مسافتی به جای کرایهٔ ثابت هر سوار شدن"
BODY = (
    "شهرداری پیشنهاد می‌کند به جای پرداخت جداگانه برای هر سوار شدن، هر سفر یک کرایه داشته باشد: کرایهٔ پایه "
    "تا ۱۰ کیلومتر و برای هر ۵ کیلومتر بیشتر مبلغی اندک، با انتقال رایگان میان اتوبوس، بی‌آرتی و مترو. "
    "ارقام این صفحه از سفرهای شبیه‌سازی‌شدهٔ دیروز است. با کارت خود ببینید سفرهای شما چه هزینه‌ای دارد."
)


@dataclass(frozen=True)
class LabOutcome:
    figures: Figures
    report: Path
    consultation_id: int


def run_lab(
    staff: StaffClient, feed: Feed, network: Network, service_date: date, folder: Path, seed: int
) -> LabOutcome:
    """Simulate the day, compare the two policies, write the report, publish the consultation."""
    folder.mkdir(parents=True, exist_ok=True)
    taps = folder / "taps.parquet"
    simulate_taps(feed, SimulationOptions(cards=LAB_CARDS, service_date=service_date, seed=seed), taps,
                  feed_name="mashhad-demo.zip")  # fmt: skip
    reference, proposal = load_policy(REFERENCE), load_policy(PROPOSAL)
    demand = load_demand(taps, proposal, network)
    zones = from_districts(load_districts())
    table = TripTable.build(demand, zones, network, reference.header.timezone)
    priced = [price_demand(demand, p, network) for p in (reference, proposal)]
    figures = compare(
        demand, table, priced, zones, load_factors(), feed="mashhad-demo.zip", created_at=datetime.now(UTC),
        title=TITLE,
    )  # fmt: skip
    report = folder / "report.html"
    report.write_text(render_report(figures, "fa"), encoding="utf-8")
    report.with_suffix(".json").write_text(figures.model_dump_json(indent=2), encoding="utf-8")
    published = staff.publish_consultation(
        TITLE, BODY, read_policy_text(PROPOSAL)[0], read_policy_text(REFERENCE)[0], figures
    )
    return LabOutcome(figures, report, published)


def publish_open_data(database_url: str, network: Network, service_date: date) -> list[Published]:
    """Yesterday's datasets as the service publishes them at the day's close, now with the civic ones."""
    engine = make_engine(database_url)
    try:
        return publish_closed_day(
            session_factory(engine), service_date, policy=load_policy(PROPOSAL), network=network,
            zones=from_districts(load_districts()), civic=get_civic_settings(),
        )  # fmt: skip
    finally:
        engine.dispose()
