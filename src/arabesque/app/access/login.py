"""Use case: sign in with email and password, throttled per client address and per (email, client address).

Two counters, rows of `login_counter` (migration 0006) so every process of a deployment counts the same
attempts:

- per client address: at most `per_client` failed attempts in `window` seconds, whatever the emails;
- per (email, client address): after `free_failures` consecutive failures, each further attempt waits
  `base_delay` seconds, doubling with each failure up to `max_delay`, until a success (or a day without
  failures) resets it. Nobody is locked out by email: failures from another address do not slow this one.

An attempt is counted before the password is checked, in the write transaction that checks the counters
(the rows are locked, or SQLite's write lock is held), so concurrent attempts cannot all pass the check: of
`per_client` + 10 simultaneous wrong passwords, exactly `per_client` are checked. A success gives its
attempt back.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from collections.abc import Callable

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from arabesque.app.access.users import verify_login
from arabesque.app.access.web_sessions import StartedSession, start_session
from arabesque.app.errors import TooManyRequests
from arabesque.app.retrying import retrying
from arabesque.store import Database, LoginCounter, for_update

__all__ = ["FORGET_AFTER", "LoginThrottle", "client_key", "login", "pair_key", "prune_expired"]

FORGET_AFTER = 86400.0  # a (email, address) pair's failures are forgotten after a day without failures


def _address(client: str) -> str:
    """The address a client is counted as: an IPv6 client by its /64, which one subscriber usually holds whole
    (counting single IPv6 addresses would give them 2**64 fresh counters)."""
    try:
        ip = ipaddress.ip_address(client)
    except ValueError:
        return client
    return str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else str(ip)


def client_key(client: str) -> str:
    """The counter of a client address (readable in the table; hashed when absurdly long)."""
    address = _address(client)
    return f"c:{address}" if len(address) <= 100 else "c#" + hashlib.sha256(address.encode()).hexdigest()


def pair_key(email: str, client: str) -> str:
    """The counter of an (email, client address) pair: hashed, so the table holds no email addresses."""
    return "p:" + hashlib.sha256(f"{email}\n{_address(client)}".encode()).hexdigest()


class LoginThrottle:
    """The sign-in limits, counted in the database. `clock` is wall-clock seconds (the processes of a
    deployment share it)."""

    def __init__(
        self,
        db: Database,
        per_client: int = 20,
        window: float = 900.0,
        free_failures: int = 5,
        base_delay: float = 30.0,
        max_delay: float = 900.0,
        forget_after: float = FORGET_AFTER,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db, self.clock = db, clock
        self.per_client, self.window = per_client, window
        self.free_failures, self.base_delay, self.max_delay = free_failures, base_delay, max_delay
        self.forget_after = forget_after

    def delay(self, failures: int) -> float:
        """How long after the last failure the next attempt must wait, after `failures` consecutive ones."""
        if failures < self.free_failures:
            return 0.0
        return float(min(self.max_delay, self.base_delay * 2 ** (failures - self.free_failures)))

    def reserve(self, email: str, client: str) -> None:
        """Count this attempt as a failure, or refuse it (429) when a limit is reached; `succeeded` gives it back."""

        def tx() -> None:
            with self.db.write() as s:
                by_client, by_pair = _locked(s, (client_key(client), pair_key(email, client)), self.clock())
                # The clock is read once the rows are locked: read before, it could be older than a concurrent
                # attempt's that committed while this one waited for the lock.
                now = self.clock()
                if now - by_client.since >= self.window:  # a new window for the address
                    by_client.count, by_client.since = 0, now
                if now - by_pair.updated_at >= self.forget_after:
                    by_pair.count, by_pair.since = 0, now
                wait = by_client.since + self.window - now if by_client.count >= self.per_client else 0.0
                delay = self.delay(by_pair.count)
                if delay > 0:  # no delay owed: no wait, even if another process's clock runs ahead of ours
                    wait = max(wait, by_pair.updated_at + delay - now)
                if wait > 0:  # refused, and not counted: the transaction rolls back
                    raise TooManyRequests(f"Too many failed sign-in attempts; try again in {_duration(wait)}")
                for row in (by_client, by_pair):
                    row.count += 1
                    row.updated_at = now

        retrying(tx)

    def succeeded(self, email: str, client: str) -> None:
        """The reserved attempt was right: the pair starts afresh and the address gets its attempt back."""
        now = self.clock()
        with self.db.write() as s:
            s.execute(delete(LoginCounter).where(LoginCounter.key == pair_key(email, client)))
            s.execute(
                update(LoginCounter)
                .where(LoginCounter.key == client_key(client), LoginCounter.count > 0)
                .values(count=LoginCounter.count - 1)
            )
            _prune(s, now - self.forget_after)  # one indexed delete per sign-in keeps the table small

    def prune(self) -> int:
        return prune_expired(self.db, self.clock(), self.forget_after)


def prune_expired(db: Database, now: float | None = None, forget_after: float = FORGET_AFTER) -> int:
    """Delete the counters untouched for `forget_after` seconds at `now` (epoch seconds); returns how many."""
    with db.write() as s:
        return _prune(s, (time.time() if now is None else now) - forget_after)


def _prune(s: Session, before: float) -> int:
    result = s.execute(delete(LoginCounter).where(LoginCounter.updated_at <= before))
    return int(getattr(result, "rowcount", 0) or 0)


def _locked(s: Session, keys: tuple[str, str], now: float) -> list[LoginCounter]:
    """The counters of `keys`, created when missing, each locked for this transaction (in `keys` order)."""
    fresh = [{"key": key, "count": 0, "since": now, "updated_at": now} for key in keys]
    # INSERT ... ON CONFLICT DO NOTHING: SQLite's compiler renders PostgreSQL's construct the same way.
    s.execute(pg_insert(LoginCounter).values(fresh).on_conflict_do_nothing(index_elements=["key"]))
    return [s.scalars(for_update(s, select(LoginCounter).where(LoginCounter.key == key))).one() for key in keys]


def _duration(seconds: float) -> str:
    if seconds < 90:
        n = max(1, math.ceil(seconds))
        return f"{n} second{'s' if n != 1 else ''}"
    n = math.ceil(seconds / 60)
    return f"{n} minutes"


def login(db: Database, throttle: LoginThrottle, email: str, password: str, client: str) -> StartedSession:
    """A new session for these credentials; 401 when they are wrong, 429 when the throttle refuses."""
    email = email.strip().lower()
    throttle.reserve(email, client)
    user_id = verify_login(db, email, password)  # Unauthorized: the reserved attempt stays counted
    throttle.succeeded(email, client)
    return start_session(db, user_id)
