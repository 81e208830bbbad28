"""The retry policy, as pure functions: what happened on an attempt -> retry after a delay, or give up.

No clock and no randomness of their own: the caller passes the attempt number, the elapsed time and a
jitter draw in [0, 1), so every decision is reproducible in a test.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "DEFAULT_MAX_ATTEMPTS",
    "WEBHOOK_RETRY_WINDOW",
    "Backoff",
    "Failure",
    "FailureKind",
    "GiveUp",
    "Retry",
    "RetryDecision",
    "backoff_delay",
    "plugin_decision",
    "webhook_decision",
]

DEFAULT_MAX_ATTEMPTS = 5
WEBHOOK_RETRY_WINDOW = 24 * 3600.0  # webhooks are retried for at least a day, then dead-lettered

# connect: no connection (refused, reset, the name did not resolve); timeout; status: an HTTP error answer;
# refused: the request is not allowed or cannot be made (egress policy, invalid URL, missing secret), the same
# on every try; error: anything unexpected while executing the effect, retried in case it is transient;
# transient / rejected: a non-HTTP server's temporary (SMTP 4xx) or final (SMTP 5xx) refusal.
FailureKind = Literal["connect", "timeout", "status", "refused", "error", "transient", "rejected"]


@dataclass(frozen=True)
class Failure:
    """Why an attempt did not succeed: a transport error, an HTTP status (with its Retry-After), a refusal or
    an unexpected error."""

    kind: FailureKind
    status: int | None = None
    retry_after: float | None = None


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with full jitter: base * 2^(attempt-1), capped, times a draw in [0.5, 1]."""

    base: float = 1.0
    cap: float = 3600.0


@dataclass(frozen=True)
class Retry:
    delay: float


@dataclass(frozen=True)
class GiveUp:
    reason: str


RetryDecision = Retry | GiveUp


def backoff_delay(attempt: int, backoff: Backoff, jitter: float) -> float:
    raw = min(backoff.cap, backoff.base * float(2 ** max(attempt - 1, 0)))
    return raw * (0.5 + 0.5 * min(max(jitter, 0.0), 1.0))


def _retryable(failure: Failure) -> bool:
    if failure.kind in ("connect", "timeout", "error", "transient"):
        return True
    if failure.kind == "status" and failure.status is not None:
        return failure.status == 429 or failure.status >= 500
    return False


def plugin_decision(
    attempt: int, max_attempts: int, failure: Failure, backoff: Backoff, jitter: float
) -> RetryDecision:
    """After failed attempt number `attempt` (1-based) of a plugin call: retry, or hand back the error.

    Connection errors (a name that does not resolve included), timeouts, unexpected errors, 429 and 5xx are
    retried up to `max_attempts` attempts in all; any other 4xx (and a refused target) is final at once. A
    429's `Retry-After` is honoured when it is longer than the backoff.
    """
    if not _retryable(failure):
        return GiveUp(f"not retryable ({failure.kind} {failure.status or ''})".strip())
    if attempt >= max_attempts:
        return GiveUp(f"gave up after {attempt} attempts")
    return _retry(attempt, backoff, jitter, failure)


def webhook_decision(
    attempt: int,
    elapsed: float,
    failure: Failure,
    backoff: Backoff,
    jitter: float,
    window: float = WEBHOOK_RETRY_WINDOW,
) -> RetryDecision:
    """After failed delivery attempt `attempt`, `elapsed` seconds after the event: retry until the window
    (24 h) has passed, then dead-letter. Every non-2xx answer, transport failure and unexpected error is
    retried (receivers fail in many ways); a refused target is not."""
    if failure.kind == "refused":
        return GiveUp("target refused by the egress policy")
    if elapsed >= window:
        return GiveUp(f"dead-lettered after {attempt} attempts over {elapsed:.0f} s")
    return _retry(attempt, backoff, jitter, failure)


def _retry(attempt: int, backoff: Backoff, jitter: float, failure: Failure) -> Retry:
    """The backoff delay, or the failure's `Retry-After` when that is longer."""
    delay = backoff_delay(attempt, backoff, jitter)
    return Retry(max(delay, failure.retry_after) if failure.retry_after is not None else delay)
