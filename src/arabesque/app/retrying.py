"""Running a whole transaction again when it lost a race."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError, OperationalError

from arabesque.app.errors import Conflict

__all__ = ["retrying"]

T = TypeVar("T")


def retrying(fn: Callable[[], T], attempts: int = 3) -> T:
    """`fn()` (a whole transaction), run again when it lost a race: a unique key taken, a deadlock, a lock
    timeout, a serialization failure. A unique key still taken at the last attempt is a 409."""
    for attempt in range(attempts):
        try:
            return fn()
        except IntegrityError as exc:
            if attempt == attempts - 1:
                raise Conflict("The request conflicts with a concurrent change; retry it") from exc
        except OperationalError as exc:
            if attempt == attempts - 1 or not _transient(exc):
                raise
    raise AssertionError("unreachable")


def _transient(exc: OperationalError) -> bool:
    code = getattr(exc.orig, "sqlstate", None)
    return code in ("40001", "40P01") or "database is locked" in str(exc.orig)
