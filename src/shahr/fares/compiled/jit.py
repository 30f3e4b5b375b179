"""numba's njit with its type kept for mypy, and its machine code cached on disk between runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba

F = TypeVar("F", bound=Callable[..., Any])


def jit(func: F) -> F:
    return cast(F, numba.njit(cache=True, nogil=True)(func))
