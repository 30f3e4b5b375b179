"""Citizen participation: problem reports (with an Open311 GeoReport v2 face) and proposals, each a
self-contained feature over shared text, geography and settings, in the back office's database."""
