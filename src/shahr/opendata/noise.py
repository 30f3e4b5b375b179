"""Discrete Laplace noise from opendp, for tables published with differential privacy instead of suppression.

opendp samples its noise from the operating system's secure randomness and offers no seed: a release
cannot be replayed, and must not be, since whoever can replay the noise can subtract it. opendp is
imported when noise is first asked for (about 0.25 s), not with the rest of the open-data code.
"""

from __future__ import annotations

import math
from importlib.metadata import version
from typing import Any

MECHANISM = "discrete_laplace"
LIBRARY = f"opendp {version('opendp')}"


def _measurement(scale: float) -> Any:
    """opendp's Laplace mechanism on vectors of 64-bit integers (discrete Laplace inside, per its docs)."""
    import opendp.prelude as dp

    dp.enable_features("contrib")  # opendp 0.16 gates make_laplace behind "contrib"
    domain = dp.vector_domain(dp.atom_domain(T="i64"))  # T=int would be i32: revenue sums overflow it
    return dp.m.make_laplace(domain, dp.l1_distance(T="i64"), scale=scale)


def scale_for(epsilon: float, sensitivity: int) -> float:
    """The smallest scale whose privacy loss, as opendp computes it, is at most `epsilon`.

    sensitivity / epsilon alone can come out one rounding step short (opendp reports 0.7000000000000001
    for 0.7), so the scale is nudged up until opendp agrees.
    """
    scale = sensitivity / epsilon
    while _measurement(scale).map(sensitivity) > epsilon:
        scale = math.nextafter(scale, math.inf)
    return scale


def discrete_laplace(values: list[int], scale: float) -> list[int]:
    """`values`, each plus independent discrete Laplace noise of `scale`."""
    noised: list[int] = _measurement(scale)(values)
    return noised
