"""shahr: an open-source smart-city platform (integrated transit fares, citizen participation, open data)."""

__version__ = "0.1.0"
