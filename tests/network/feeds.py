"""Where the tiny hand-made feeds live (tests/fixtures/<name>/) and how tests copy and break them.

Every coordinate in tiny_metro and tiny_bus lies on a multiple of 0.01 degree near the equator, so
each hop is 0.01 degree of a great circle (or within 1e-7 of one): 2 pi R / 36 000 with the
haversine radius R = 6 371 008.8 m, i.e. HOP_M = 1111.95 m.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
HOP_M = 2 * math.pi * 6_371_008.8 / 36_000  # 1111.9508 m


def copy_fixture(name: str, tmp_path: Path) -> Path:
    """A writable copy of a fixture feed, for tests that break or rescale one file."""
    target = tmp_path / name
    shutil.copytree(FIXTURES / name, target)
    return target


def edit(feed: Path, file: str, old: str, new: str) -> None:
    """Replace the first `old` in one file of a copied feed (the test names the exact row it breaks)."""
    path = feed / file
    text = path.read_text()
    if old not in text:
        raise ValueError(f"{old!r} is not in {file}: the fixture changed")
    path.write_text(text.replace(old, new, 1))
