"""The columns of a taps file (Parquet), shared by the tap generator, the settlement and the docs.

One row per tap as a validator recorded it. `device_id` + `seq` identify a tap (a device numbers its
taps); a row that appears twice with the same pair was uploaded twice and counts once. Times are UTC
instants; local time (Asia/Tehran for Mashhad) comes from the policy's time zone.
"""

from __future__ import annotations

import pyarrow as pa

TAPS_SCHEMA = pa.schema(
    [
        pa.field("card_id", pa.int64(), nullable=False),  # opaque card number, never a bank card
        pa.field("device_id", pa.int32(), nullable=False),  # validator (bus, gate) that recorded the tap
        pa.field("seq", pa.int64(), nullable=False),  # the device's own tap counter
        pa.field("kind", pa.string(), nullable=False),  # "on" or "off"
        pa.field("tapped_at", pa.timestamp("ms", tz="UTC"), nullable=False),  # when the card was tapped
        pa.field("uploaded_at", pa.timestamp("ms", tz="UTC"), nullable=False),  # when the device sent it
        pa.field("stop_id", pa.string(), nullable=False),  # GTFS stop_id (a parent station at gates)
        pa.field("route_id", pa.string(), nullable=True),  # GTFS route_id on vehicles; null at gates
        pa.field("trip_id", pa.string(), nullable=True),  # GTFS trip_id when the vehicle knows it
        pa.field("medium", pa.string(), nullable=False),  # fare medium: card, qr, cash
        pa.field("rider_category", pa.string(), nullable=False),  # adult, youth, child, senior
    ]
)

TRUTH_KEY = b"shahr.truth"
"""Parquet metadata key of the generator's JSON ground truth (counts of what it generated)."""
