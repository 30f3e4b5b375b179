"""Builds the illustrative Mashhad demo GTFS feed; run through ``scripts/build_demo_feed.py``.

Modules: ``geo`` (geodesic helpers), ``places`` (the network as data), ``network`` (stops, routes,
shapes), ``service`` (calendar and timetables), ``tables`` (GTFS tables and the zip).
"""
