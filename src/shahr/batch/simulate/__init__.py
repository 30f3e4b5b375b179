"""`shahr simulate taps`: a service day of smart-card taps on any GTFS feed, with ground truth."""

from shahr.batch.simulate.generate import simulate_taps
from shahr.batch.simulate.model import SimulationOptions, Truth

__all__ = ["SimulationOptions", "Truth", "simulate_taps"]
