"""Use case: sign in with email and password, with a failed-attempt limit per email and per client.

The failures are rows of `login_failure` (migration 0005), so every process of a deployment counts the same
ones: behind a load balancer an attacker gets the limit once, not once per process.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import delete, func, insert, select

from arabesque.app.errors import TooManyRequests, Unauthorized
from arabesque.app.users import verify_login
from arabesque.store import Database, LoginFailure

__all__ = ["LoginThrottle", "login"]


class LoginThrottle:
    """At most `per_email` failures per email and `per_client` per client address in `window` seconds, counted
    in the database. `clock` is wall-clock seconds (the processes of a deployment share it)."""

    def __init__(
        self,
        db: Database,
        per_email: int = 5,
        per_client: int = 20,
        window: float = 900.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db, self.per_email, self.per_client, self.window, self.clock = db, per_email, per_client, window, clock

    def check(self, email: str, client: str) -> None:
        by_email, by_client = f"e:{email}", f"c:{client}"
        recent = LoginFailure.key.in_((by_email, by_client)), LoginFailure.at > self.clock() - self.window
        with self.db.read() as s:
            rows = s.execute(select(LoginFailure.key, func.count()).where(*recent).group_by(LoginFailure.key))
            counts: dict[str, int] = {key: count for key, count in rows}
        if counts.get(by_email, 0) >= self.per_email or counts.get(by_client, 0) >= self.per_client:
            raise TooManyRequests("Too many failed sign-in attempts; try again in a few minutes")

    def failed(self, email: str, client: str) -> None:
        now = self.clock()
        with self.db.write() as s:
            s.execute(delete(LoginFailure).where(LoginFailure.at <= now - self.window))  # expired, any key
            s.execute(insert(LoginFailure), [{"key": f"e:{email}", "at": now}, {"key": f"c:{client}", "at": now}])

    def succeeded(self, email: str) -> None:
        with self.db.write() as s:
            s.execute(delete(LoginFailure).where(LoginFailure.key == f"e:{email}"))


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
