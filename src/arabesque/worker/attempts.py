"""What each effect attempt leaves behind: a log line (with the effect's and the runtime's ids), the attempt and
latency metrics and, with tracing on, a span whose `traceparent` the plugin call or the webhook carries."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from arabesque.app.webhooks.record_attempts import WebhookResult
from arabesque.observability.logs import bound_fields, get_logger
from arabesque.observability.metrics import EFFECT_ATTEMPTS, EFFECT_LATENCY, WEBHOOK_DELIVERIES
from arabesque.observability.tracing import effect_span
from arabesque.store.outbox import ClaimedEffect

__all__ = ["attempt_context", "delivery_outcome", "observe_attempt", "observe_delivery"]

log = get_logger("arabesque.worker")


@contextmanager
def attempt_context(effect: ClaimedEffect) -> Iterator[None]:
    """Every log line of the attempt names the effect, its runtime and project; the attempt is one span."""
    ids = {"effect_id": effect.effect_id, "runtime_id": effect.runtime_id, "project_id": effect.project_id}
    with bound_fields(**ids), effect_span(effect.effect_type, {**ids, "arabesque.plugin": effect.plugin}):
        yield


def observe_attempt(effect: ClaimedEffect, outcome: str, seconds: float, status: int | None = None) -> None:
    """Count one attempt of `effect` (outcome: `ok`, or why it failed: `status`, `timeout`, `connect`, `refused`,
    `error`, `failed`) and log it. The error's wording is left to the effect's `last_error` (the delivery log, the
    case's audit): an exception's message can quote the URL, and a URL can hold a secret."""
    kind = effect.effect_type
    EFFECT_ATTEMPTS.labels(kind, outcome).inc()
    EFFECT_LATENCY.labels(kind).observe(seconds)
    fields = {"status": status} if status is not None else {}
    log.info(
        "effect attempt",
        kind=kind,
        plugin=effect.plugin,
        attempt=effect.attempts,
        outcome=outcome,
        duration_ms=round(seconds * 1000, 1),
        **fields,
    )


def delivery_outcome(result: WebhookResult) -> str:
    """`delivered`, `retrying` (failed, due again later) or `dead` (given up): `arabesque_webhook_deliveries_total`."""
    if result.dead:
        return "dead"
    if result.retry_in is not None or result.status_code is None or not 200 <= result.status_code < 300:
        return "retrying"
    return "delivered"


def observe_delivery(result: WebhookResult, seconds: float) -> None:
    outcome = delivery_outcome(result)
    WEBHOOK_DELIVERIES.labels(outcome).inc()
    observe_attempt(result.effect, "ok" if outcome == "delivered" else "failed", seconds, result.status_code)
