"""Every error shahr raises on purpose, as one tree so callers can catch at the level they care about.

    ShahrError
     ├── FeedError            a GTFS feed is missing, unreadable or has a bad row
     ├── NetworkError         a question the network cannot answer (stop not on route, no path)
     │    └── UnknownStopError
     ├── PolicyError          a fare policy file or preset is invalid or missing
     └── BackofficeError      a card or ledger command refused (shahr.backoffice.errors)
          ├── InvalidCommand          bad arguments: non-positive amount, naive time, no birth date
          ├── IdempotencyConflict     a key reused for a different request
          ├── LedgerError
          │    ├── UnbalancedPostings     postings empty or not summing to 0
          │    ├── UnknownAccount
          │    ├── TransactionNotFound
          │    ├── AlreadyReversed
          │    └── ImmutableRecord        a booked transaction or posting updated or deleted
          └── CardError
               ├── CardNotFound
               ├── CardNotUsable          the card's status forbids the command
               └── InsufficientBalance    a refund beyond the balance

Messages say what happened, the offending value and where it is (file, row, field or key path).
Anomalies in taps are not errors: the fare engine returns them as outcomes with reason codes.
"""

from __future__ import annotations


class ShahrError(Exception):
    """Base of every error shahr raises deliberately."""


class FeedError(ShahrError):
    """A GTFS feed cannot be used: names the file, the row (1-based, header is row 1) and the field."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        field: str | None = None,
    ) -> None:
        self.file = file
        self.row = row
        self.field = field
        where = ", ".join(
            part
            for part in (
                file,
                f"row {row}" if row is not None else None,
                f"field {field!r}" if field is not None else None,
            )
            if part
        )
        super().__init__(f"{where}: {message}" if where else message)


class NetworkError(ShahrError):
    """The network cannot answer: e.g. the alighting stop does not follow the boarding stop on the route."""


class UnknownStopError(NetworkError):
    """A stop_id that the feed does not have."""

    def __init__(self, stop_id: str) -> None:
        self.stop_id = stop_id
        super().__init__(f"unknown stop_id {stop_id!r}: not in stops.txt")


class PolicyError(ShahrError):
    """A fare policy is invalid: names the file and the key path of each problem."""

    def __init__(self, message: str, *, source: str | None = None) -> None:
        self.source = source
        super().__init__(f"{source}: {message}" if source else message)
