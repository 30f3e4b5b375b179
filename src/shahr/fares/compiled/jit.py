"""numba's njit with its type kept for mypy, and its machine code cached on disk between runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba

F = TypeVar("F", bound=Callable[..., Any])


def jit(func: F) -> F:
    return cast(F, numba.njit(cache=True, nogil=True)(func))


def jit_noalloc(func: F) -> F:
    """For functions that allocate nothing: no reference counting of the arrays they are passed (the
    policy tables are a tuple of arrays: counting each on every call costs more than the work)."""
    options: dict[str, Any] = {"cache": True, "nogil": True, "_nrt": False}  # _nrt: numba's own switch
    return cast(F, numba.njit(**options)(func))
