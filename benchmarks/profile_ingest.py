"""Profile of tap ingestion in process, without HTTP: where a batch's time goes and how many SQL
statements it takes.

Run: `.venv/bin/python benchmarks/profile_ingest.py [--postgres-url URL] [--cards 3000] [--batches 200]
[--warm 20] [--top 25] [--no-profile] [--analyze]`. On a fresh PostgreSQL database (--postgres-url or
SHAHR_TEST_POSTGRES_URL; a SQLite file when neither is set) it issues the cards with money on them, then
calls `ingest_batch` on the batches of 100 taps `benchmarks/ingest.py` sends (one device's stream: the same
generated day, replayed on earlier days), each in its own transaction committed like an upload. The first
`--warm` batches are not measured; then it prints the time per batch and per tap, SQL statements per batch
(an executemany counts once) and the cProfile of the measured batches, cumulative and own time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import time
from contextlib import nullcontext
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import polars as pl
from ingest import FEED, fresh_postgres, generate_day, validator_streams  # type: ignore[import-not-found]
from sqlalchemy import Engine, event

from shahr.backoffice import cards
from shahr.backoffice.ingest import ingest_batch
from shahr.db import make_engine, session_factory, upgrade
from shahr.web.fares import Fares, _load


def issue_cards(engine: Engine, day: Path) -> dict[int, str]:
    """A card per generated card number, of its category, with 10 M rials on it."""
    categories = dict(pl.read_parquet(day, columns=["card_id", "rider_category"]).unique().iter_rows())
    issued = {}
    at = datetime(2025, 9, 1, tzinfo=UTC)
    with session_factory(engine)() as session:
        for number in sorted(categories):
            category = categories[number]
            birth = date(2010, 1, 1) if category == "youth" else None
            card = cards.create_card(session, category, birth_date=birth)
            cards.top_up(session, card.id, 10_000_000, key=f"bench-{number}", at=at)
            issued[number] = card.id
        session.commit()
    return issued


class Statements:
    """The statements the engine sends from now on: how many, and the wall time of each kind (its
    first words), from the cursor's execute to its return (the database's work and the round trip)."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._started = 0.0
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def reset(self) -> None:
        self.count = 0
        self.seconds.clear()
        self.calls.clear()

    def _before(self, *_: Any) -> None:
        self.count += 1
        self._started = time.perf_counter()

    def _after(self, _connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        kind = " ".join(statement.split()[:6])[:70]
        self.seconds[kind] = self.seconds.get(kind, 0.0) + time.perf_counter() - self._started
        self.calls[kind] = self.calls.get(kind, 0) + 1

    def report(self, batches: int) -> str:
        lines = [f"{'ms a batch':>10} {'a batch':>7}  statement"]
        for kind, seconds in sorted(self.seconds.items(), key=lambda item: -item[1]):
            lines.append(f"{seconds / batches * 1000:10.2f} {self.calls[kind] / batches:7.2f}  {kind}")
        return "\n".join(lines)


def run(database_url: str, args: argparse.Namespace, work: Path) -> None:
    upgrade(database_url)
    engine = make_engine(database_url)
    day = generate_day(args.cards, work)
    card_ids = issue_cards(engine, day)
    fares: Fares = _load("mashhad-distance", str(FEED.resolve()))
    batches = validator_streams(day, card_ids, 1)[0]
    sessions = session_factory(engine)
    statements = Statements(engine)
    profile = cProfile.Profile()
    measured = 0.0
    for number in range(args.warm + args.batches):
        batch = next(batches)
        now = datetime.fromisoformat(batch[-1]["tapped_at"]) + timedelta(minutes=1)
        timing = number >= args.warm
        if number == args.warm:
            if args.analyze:
                with engine.begin() as connection:
                    connection.exec_driver_sql("ANALYZE")
            statements.reset()
        started = time.perf_counter()
        with profile if timing and not args.no_profile else nullcontext():
            with sessions() as session:
                ingest_batch(session, "bench-0", batch, policy=fares.policy, network=fares.network, now=now)
                session.commit()
        if timing:
            measured += time.perf_counter() - started
    per_batch = statements.count / args.batches
    print(
        f"{engine.dialect.name}: {args.batches} batches of 100 taps in {measured:.2f} s: "
        f"{measured / args.batches * 1000:.1f} ms a batch, {args.batches * 100 / measured:,.0f} taps/s in "
        f"process (one core{'' if args.no_profile else ', profiler on'}); "
        f"{per_batch:.1f} SQL statements a batch"
    )
    print(statements.report(args.batches), end="\n\n")
    for sort in () if args.no_profile else ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profile, stream=out).strip_dirs().sort_stats(sort).print_stats(args.top)
        print(out.getvalue())
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=3_000)
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--warm", type=int, default=20)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--no-profile", action="store_true", help="time the batches without cProfile")
    parser.add_argument(
        "--analyze",
        action="store_true",
        help="ANALYZE after the warm-up, as autovacuum does for a database in service (a fresh one has "
        "no statistics, and plans made while its tables were empty scan them whole)",
    )
    parser.add_argument("--postgres-url", default=os.environ.get("SHAHR_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    with TemporaryDirectory() as tmp:
        work = Path(tmp)
        if not args.postgres_url:
            run(f"sqlite:///{work / 'shahr.sqlite3'}", args, work)
            return
        with fresh_postgres(args.postgres_url) as url:
            run(url, args, work)


if __name__ == "__main__":
    main()
