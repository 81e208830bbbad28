"""The sign-in throttle (SQLite and PostgreSQL): counted atomically, per client address and per (email, client
address) with an exponential backoff, so concurrent attempts cannot overshoot it and a stranger elsewhere cannot
lock anyone out."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select
from web_helpers import PASSWORD, seed_site

from arabesque.app.access.login import LoginThrottle, client_key, login, pair_key, prune_expired
from arabesque.app.errors import TooManyRequests, Unauthorized
from arabesque.http_status import status_of
from arabesque.store import Database, LoginCounter


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _try(db: Database, throttle: LoginThrottle, email: str, password: str, client: str) -> str:
    try:
        login(db, throttle, email, password, client)
    except (Unauthorized, TooManyRequests) as exc:
        return f"{status_of(exc)} {exc.message}"
    return "ok"


def _concurrently(attempts: list[tuple[str, str]], attempt: Callable[[str, str], str]) -> Counter[int]:
    """Run every (email, client) attempt at once (each thread waits at a barrier); count the status codes."""
    barrier = threading.Barrier(len(attempts))

    def one(args: tuple[str, str]) -> int:
        barrier.wait()
        return int(attempt(*args).split()[0])

    with ThreadPoolExecutor(len(attempts)) as pool:
        return Counter(pool.map(one, attempts))


def test_concurrent_wrong_passwords_for_one_email_and_address_do_not_overshoot(db: Database) -> None:
    site = seed_site(db)
    throttle = LoginThrottle(db, free_failures=3, per_client=100)
    codes = _concurrently(
        [(site.reviewer, "192.0.2.1")] * 12, lambda email, client: _try(db, throttle, email, "wrong", client)
    )
    assert codes == {401: 3, 429: 9}


def test_an_attempt_that_waited_for_a_concurrent_one_is_judged_at_its_own_time(db: Database) -> None:
    # A's first clock reading lets B run its whole attempt (later timestamp, committed) before A locks the counters:
    # judged at the time it read before waiting, A saw B's failure "in the future" and was refused a free attempt.
    clock = Clock()
    throttle = LoginThrottle(db, free_failures=3, per_client=100, clock=clock)
    b_done: list[None] = []
    first_reading = [True]

    def clock_letting_b_in_first() -> float:
        if first_reading and threading.current_thread().name == "A":
            first_reading.clear()
            reading = clock.now
            clock.now += 1.0
            b = threading.Thread(target=lambda: (throttle.reserve("x@example.com", "192.0.2.1"), b_done.append(None)))
            b.start()
            b.join()
            return reading
        return clock.now

    throttle.clock = clock_letting_b_in_first
    outcome: list[BaseException | None] = []

    def a() -> None:
        try:
            throttle.reserve("x@example.com", "192.0.2.1")
            outcome.append(None)
        except TooManyRequests as exc:
            outcome.append(exc)

    thread = threading.Thread(target=a, name="A")
    thread.start()
    thread.join()
    assert b_done and outcome == [None]


def test_concurrent_attempts_from_one_address_do_not_overshoot_its_limit(db: Database) -> None:
    seed_site(db)
    throttle = LoginThrottle(db, per_client=5)
    attempts = [(f"user{i}@example.com", "192.0.2.2") for i in range(12)]
    codes = _concurrently(attempts, lambda email, client: _try(db, throttle, email, "wrong", client))
    assert codes == {401: 5, 429: 7}


def test_a_stranger_at_another_address_cannot_lock_a_user_out(db: Database) -> None:
    site = seed_site(db)
    clock = Clock()
    throttle = LoginThrottle(db, clock=clock)
    outcomes: Counter[str] = Counter()
    for _ in range(60):  # an hour of guessing from one address
        outcomes[_try(db, throttle, site.reviewer, "guess", "203.0.113.66").split()[0]] += 1
        clock.now += 60
    assert outcomes["429"] > 0 and outcomes["401"] < 20  # the stranger is slowed down...
    assert _try(db, throttle, site.reviewer, "typo", "198.51.100.7").startswith("401")  # ...the user is not
    assert _try(db, throttle, site.reviewer, PASSWORD, "198.51.100.7") == "ok"


def test_the_backoff_doubles_after_the_free_failures_and_a_success_resets_it(db: Database) -> None:
    site = seed_site(db)
    clock = Clock()
    throttle = LoginThrottle(db, free_failures=2, base_delay=10, max_delay=40, per_client=100, clock=clock)
    start = clock.now

    def at(offset: float, password: str = "wrong") -> str:
        clock.now = start + offset
        return _try(db, throttle, site.reviewer, password, "192.0.2.3")

    assert at(0).startswith("401") and at(0).startswith("401")
    assert at(0) == "429 Too many failed sign-in attempts; try again in 10 seconds"
    assert at(9.5).startswith("429")  # refused attempts are not counted: the wait does not grow
    assert at(10).startswith("401")
    assert at(29) == "429 Too many failed sign-in attempts; try again in 1 second"
    assert at(30).startswith("401")
    assert at(69).startswith("429") and at(70).startswith("401")  # 40 s: the cap
    assert at(109).startswith("429") and at(110, PASSWORD) == "ok"  # the right password, once the wait is over
    assert at(110).startswith("401") and at(110).startswith("401") and at(110).startswith("429")  # afresh


def test_the_address_limit_has_a_window_and_a_success_gives_its_attempt_back(db: Database) -> None:
    site = seed_site(db)
    clock = Clock()
    throttle = LoginThrottle(db, per_client=3, window=60, clock=clock)
    assert _try(db, throttle, "a@example.com", "x", "192.0.2.4").startswith("401")
    assert _try(db, throttle, site.reviewer, PASSWORD, "192.0.2.4") == "ok"  # not counted
    assert _try(db, throttle, "b@example.com", "x", "192.0.2.4").startswith("401")
    assert _try(db, throttle, "c@example.com", "x", "192.0.2.4").startswith("401")
    assert _try(db, throttle, site.reviewer, PASSWORD, "192.0.2.4") == (
        "429 Too many failed sign-in attempts; try again in 60 seconds"
    )
    assert _try(db, throttle, site.reviewer, PASSWORD, "192.0.2.5") == "ok"  # another address
    clock.now += 60
    assert _try(db, throttle, site.reviewer, PASSWORD, "192.0.2.4") == "ok"  # a new window


def test_every_process_counts_the_same_attempts(db: Database) -> None:
    """Two throttles over one database (two API processes behind a load balancer) share the limits."""
    seed_site(db)
    first, second = LoginThrottle(db, per_client=2), LoginThrottle(db, per_client=2)
    assert _try(db, first, "a@example.com", "x", "192.0.2.6").startswith("401")
    assert _try(db, second, "b@example.com", "x", "192.0.2.6").startswith("401")
    for throttle in (first, second):
        assert _try(db, throttle, "c@example.com", "x", "192.0.2.6").startswith("429")


def test_counters_hold_no_email_and_old_ones_are_pruned_by_age(db: Database) -> None:
    seed_site(db)
    clock = Clock()
    throttle = LoginThrottle(db, clock=clock, forget_after=100)
    _try(db, throttle, "a@example.com", "x", "192.0.2.7")
    clock.now += 50
    _try(db, throttle, "b@example.com", "x", "192.0.2.8")
    with db.read() as s:
        keys = set(s.scalars(select(LoginCounter.key)))
    assert keys == {client_key("192.0.2.7"), client_key("192.0.2.8"), pair_key("a@example.com", "192.0.2.7"),
                    pair_key("b@example.com", "192.0.2.8")}  # fmt: skip
    assert client_key("192.0.2.7") == "c:192.0.2.7" and not any("example.com" in k for k in keys)
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2::ffff") == "c:2001:db8:1:2::/64"
    assert pair_key("a@example.com", "2001:db8:1:2::1") == pair_key("a@example.com", "2001:db8:1:2:ffff::9")
    assert prune_expired(db, clock.now + 60, forget_after=100) == 2  # the first address's two rows
    with db.read() as s:
        left = set(s.scalars(select(LoginCounter.key)))
    assert left == {client_key("192.0.2.8"), pair_key("b@example.com", "192.0.2.8")}
    clock.now += 200
    assert throttle.prune() == 2


@pytest.mark.parametrize("email", ["x" * 5000 + "@example.com", "ü@例え.jp"])
def test_any_email_and_address_fit_the_counters(db: Database, email: str) -> None:
    throttle = LoginThrottle(db)
    assert _try(db, throttle, email, "x", "f" * 300).startswith("401")
