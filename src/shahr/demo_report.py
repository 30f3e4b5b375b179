"""What `shahr demo` prints about the service: the day's clearing between operators with its
reconciliation, what the residents' seeded weeks left, then where the running service and its pages are."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from rich.console import Console
from rich.table import Table

from shahr.backoffice.clearing import ClearingReport
from shahr.civic.proposals.tables import ProposalStatus
from shahr.civic.reports.tables import ReportStatus
from shahr.demo_civic import CivicOutcome
from shahr.demo_lab import LabOutcome
from shahr.opendata.build import Published
from shahr.web.device_client import IssuedCard

Status = TypeVar("Status", bound=StrEnum)
PAGES = (
    ("Public map of reports", "/fa/reports"),
    ("Proposals", "/fa/proposals"),
    ("Accountability", "/fa/accountability"),
    ("Staff sign-in (with the token below)", "/fa/staff/login"),
)
"""The civic pages to open first, in Persian (each has its English twin under /en/)."""


@dataclass(frozen=True)
class Outcome:
    """What the service made of the morning."""

    sent: int
    """Taps uploaded, each once."""
    replayed: int
    """Taps answered `replayed`: stored by an earlier attempt whose answer was lost, booked once."""
    report: ClearingReport
    quarantined: Mapping[str, int]
    """Quarantined taps by reason code, as the service lists them."""
    rider: IssuedCard
    """The card that tapped most: its holder's fares under a consultation's proposal are worth seeing."""


def print_clearing(console: Console, outcome: Outcome) -> None:
    """The clearing table (operators, then the total checked against the card debits), and the counts
    that reconcile the taps sent with what the service made of them."""
    report = outcome.report
    state = "closed" if report.day_closed else "still open"
    table = Table(title=f"Clearing of {report.service_date.isoformat()}, day {state} (rials)")
    for column in ("operator", "amount", "journeys", "legs"):
        table.add_column(column, justify="left" if column == "operator" else "right")
    for operator in report.operators:
        table.add_row(
            operator.operator, f"{operator.amount_minor:,}", f"{operator.journeys:,}", f"{operator.legs:,}"
        )
    table.add_section()
    legs = sum(operator.legs for operator in report.operators)
    table.add_row("total", f"{report.total_minor:,}", f"{report.journeys:,}", f"{legs:,}")
    table.add_row("card debits", f"{report.card_debits_minor:,}", "", "")
    table.add_row("difference", f"{report.difference_minor:,}", "", "", style="bold")
    console.print(table)
    reasons = ", ".join(f"{code} {n:,}" for code, n in sorted(outcome.quarantined.items())) or "none"
    console.print(
        f"Taps: {outcome.sent:,} sent, {report.taps_accepted:,} accepted, {report.taps_quarantined:,} "
        f"quarantined ({reasons}), {outcome.replayed:,} answered as already stored.",
        markup=False,
    )
    console.print(
        f"Card-days {report.card_days:,}, journeys {report.journeys:,}. Re-rated for late taps and the day's "
        f"close: {len(report.adjustments):,} times, {report.adjustments_minor:+,} rials.",
        markup=False,
    )
    console.print(f"Fare caps and passes took off {report.capped_minor:,} rials.", markup=False)


def print_civic(console: Console, civic: CivicOutcome) -> None:
    """The seeded reports and proposals by status, with what the accountability page makes of them."""
    figures, share = civic.figures, civic.figures.on_time_share
    lines = (
        f"Residents' last {civic.days // 7} weeks, in Persian on the demo feed's stops:",
        f"  {sum(civic.reports.values()):,} reports: {_by_status(civic.reports, ReportStatus)} "
        f"({civic.merged:,} rejected as duplicates);",
        f"  {figures.overdue:,} overdue, "
        + ("none due yet." if share is None else f"{share:.0%} answered on time (of those answered or due)."),
        f"  {sum(civic.proposals.values()):,} proposals: {_by_status(civic.proposals, ProposalStatus)};",
        f"  {civic.supports:,} supports and {civic.comments:,} comments "
        f"from {civic.persons:,} verified residents.",
    )
    for line in lines:
        console.print(line, markup=False, soft_wrap=True)


def print_lab(console: Console, lab: LabOutcome) -> None:
    """The policy lab's headline: the same trips under both policies, and the ridership response."""
    f = lab.figures
    flat, distance = f.policies
    (change,) = f.comparisons
    lines = (
        f"Policy lab, yesterday's {f.demand.cards:,} simulated riders ({f.demand.trips:,} trips): "
        f"{flat.id} {flat.revenue:,} rials, {distance.id} {distance.revenue:,} rials "
        f"({(distance.revenue / flat.revenue - 1) * 100:+.1f}%);",
        f"  {change.pays_more:,} trips pay more, {change.pays_same:,} the same, {change.pays_less:,} less; "
        f"after riders respond {distance.response.trips_change:+,.0f} trips, "
        f"{distance.response.car_trips_avoided:,.0f} car trips avoided.",
        f"  Report (opens offline, in Persian): {lab.report}; "
        f"published as fare consultation {lab.consultation_id}.",
    )
    for line in lines:
        console.print(line, markup=False, soft_wrap=True)


def print_open_data(console: Console, published: Sequence[Published]) -> None:
    """The open datasets of yesterday: those this run published, and those the day's close already had."""
    console.print("Open data for yesterday (empty cells: fewer than 10 cards, or what would give them away):")
    for p in published:
        if p.release is not None:
            state = f"{p.release.rows:,} rows, {p.release.suppressed_cells:,} cells empty"
        else:
            state = "as the day's close published it" if p.status == "unchanged" else "nothing to publish"
        console.print(f"  {p.spec.name}: {state}", markup=False)


def _by_status(counts: Mapping[Status, int], statuses: Iterable[Status]) -> str:
    return ", ".join(f"{counts.get(status, 0):,} {status.value.replace('_', ' ')}" for status in statuses)


def print_service(
    console: Console,
    base_url: str,
    token: str,
    service_date: date,
    folder: Path,
    *,
    consultation: tuple[int, IssuedCard],
    serve: bool,
) -> None:
    """Where the service is and a staff token to try it with; or, when it stops now, where its data is."""
    if not serve:
        console.print(f"The service ran at {base_url} and is stopped; its data stays in {folder}/.")
        console.print("(From a terminal, or with --serve, it keeps running until Ctrl-C.)")
        return
    lines = (
        f"The service is running: {base_url}",
        *(f"{name}: {base_url}{path}" for name, path in PAGES),
        f"Fare consultation: {base_url}/fa/consultations/{consultation[0]}; a card token to see one rider's "
        f"morning under both fares there: {consultation[1].card_token}",
        f"Dashboard, live with today's simulated taps: {base_url}/fa/dashboard",
        f"Open data catalog: {base_url}/fa/data; for CKAN clients: {base_url}/api/3/action/package_list",
        f"API docs (Authorize with the token): {base_url}/docs",
        f"Staff token (admin): {token}",
        f"Try: curl -H 'Authorization: Bearer {token}' {base_url}/clearing/{service_date.isoformat()}",
        f"Database and log in {folder}/. Ctrl-C stops the service.",
    )
    for line in lines:
        console.print(line, markup=False, soft_wrap=True)
