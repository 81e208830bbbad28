"""Use case: sign in with email and password, with a failed-attempt limit per email and per client.

The limiter is in memory, per process: behind a load balancer each process counts on its own (the
limit an attacker gets is multiplied by the number of processes; see the README).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from arabesque.app.errors import TooManyRequests, Unauthorized
from arabesque.app.users import verify_login
from arabesque.store import Database

__all__ = ["LoginThrottle", "login"]


class LoginThrottle:
    """At most `per_email` failures per email and `per_client` per client address in `window` seconds."""

    def __init__(
        self,
        per_email: int = 5,
        per_client: int = 20,
        window: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_email, self.per_client, self.window, self.clock = per_email, per_client, window, clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._failures.setdefault(key, deque())
        while q and q[0] <= now - self.window:
            q.popleft()
        return q

    def check(self, email: str, client: str) -> None:
        now = self.clock()
        with self._lock:
            if (
                len(self._recent(f"e:{email}", now)) >= self.per_email
                or len(self._recent(f"c:{client}", now)) >= self.per_client
            ):
                raise TooManyRequests("Too many failed sign-in attempts; try again in a few minutes")

    def failed(self, email: str, client: str) -> None:
        now = self.clock()
        with self._lock:
            self._recent(f"e:{email}", now).append(now)
            self._recent(f"c:{client}", now).append(now)
            if len(self._failures) > 100_000:  # bound the memory an attacker can make us use
                self._failures.clear()

    def succeeded(self, email: str) -> None:
        with self._lock:
            self._failures.pop(f"e:{email}", None)


def login(db: Database, throttle: LoginThrottle, email: str, password: str, client: str) -> str:
    """The user id for these credentials; 401 when they are wrong, 429 after too many failures."""
    email = email.strip().lower()
    throttle.check(email, client)
    try:
        user_id = verify_login(db, email, password)
    except Unauthorized:
        throttle.failed(email, client)
        raise
    throttle.succeeded(email)
    return user_id
