"""Prometheus metrics, served at `GET /metrics` (README: Observability).

| metric | type, labels | counted where |
|---|---|---|
| `arabesque_http_request_duration_seconds` | histogram: method, route (template), status | each request |
| `arabesque_workflow_transitions_total` | counter: definition, from, to | each committed transition |
| `arabesque_effect_attempts_total` | counter: kind, outcome | each effect attempt the worker makes |
| `arabesque_effect_latency_seconds` | histogram: kind | the outbound time of each attempt |
| `arabesque_webhook_deliveries_total` | counter: outcome (delivered, retrying, dead) | each webhook attempt |
| `arabesque_outbox_pending` | gauge: kind | read from the database at each scrape |
| `arabesque_worker_lag_seconds` | gauge | age of the oldest due effect, read at each scrape |

Counting is in memory (a few microseconds, no database statement). The two outbox gauges describe the database,
not a process, so they are read from it when scraped (`OutboxGauges`): any process answers them alike.

One process: the values live in the process. `serve --workers N`: the supervisor picks a directory and every
process keeps its values there (`share_between_processes`, prometheus-client's multiprocess files), so whichever
process answers a scrape reports the sum over all of them, the supervisor's in-process worker included.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client import values as prometheus_values
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

from arabesque.observability._shared_values import shared_value_class

__all__ = [
    "CONTENT_TYPE_LATEST",
    "EFFECT_ATTEMPTS",
    "EFFECT_LATENCY",
    "HTTP_REQUEST_DURATION",
    "WEBHOOK_DELIVERIES",
    "WORKFLOW_TRANSITIONS",
    "OutboxGauges",
    "count_transition",
    "exposition",
    "scrape_registry",
    "serve_metrics",
    "share_between_processes",
]

log = logging.getLogger("arabesque.metrics")

# Created without a registry: each scrape registry (`scrape_registry`) lists them, or reads the shared files.
HTTP_REQUEST_DURATION = Histogram(
    "arabesque_http_request_duration_seconds",
    "Time to answer an HTTP request, by method, route template and status",
    ["method", "route", "status"],
    registry=None,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
WORKFLOW_TRANSITIONS = Counter(
    "arabesque_workflow_transitions_total",
    "Committed workflow transitions, by definition and from and to state",
    ["definition", "from", "to"],
    registry=None,
)
EFFECT_ATTEMPTS = Counter(
    "arabesque_effect_attempts_total",
    "Effect attempts by the worker, by kind (http, webhook, child) and outcome",
    ["kind", "outcome"],
    registry=None,
)
EFFECT_LATENCY = Histogram(
    "arabesque_effect_latency_seconds",
    "Time of an effect attempt's outbound call (a plugin call, a webhook delivery, a child start)",
    ["kind"],
    registry=None,
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)
WEBHOOK_DELIVERIES = Counter(
    "arabesque_webhook_deliveries_total",
    "Webhook delivery attempts, by outcome: delivered, retrying (failed, tried again later), dead (given up)",
    ["outcome"],
    registry=None,
)
_COUNTED = (HTTP_REQUEST_DURATION, WORKFLOW_TRANSITIONS, EFFECT_ATTEMPTS, EFFECT_LATENCY, WEBHOOK_DELIVERIES)

_shared_directory: Path | None = None


def share_between_processes(directory: Path) -> None:
    """Keep this process's values in `directory`, beside those of the other processes that share it; before the
    first value is counted (a value already made stays in the process)."""
    global _shared_directory
    prometheus_values.ValueClass = shared_value_class(directory)
    _shared_directory = directory


def count_transition(definition: str, source: str, target: str) -> None:
    WORKFLOW_TRANSITIONS.labels(definition, source, target).inc()


OutboxStats = tuple[dict[str, int], float]  # (pending effects by kind, age in seconds of the oldest due one)


class OutboxGauges:
    """`arabesque_outbox_pending` and `arabesque_worker_lag_seconds`, read by `read` at each scrape. A database
    that does not answer leaves them out of that scrape (with a warning), not the scrape itself."""

    KINDS = ("http", "email", "webhook", "child", "notify")  # always reported, 0 when none is pending

    def __init__(self, read: Callable[[], OutboxStats]) -> None:
        self.read = read

    def collect(self) -> Iterator[Metric]:
        try:
            pending, lag = self.read()
        except Exception as exc:
            log.warning("outbox gauges left out of this scrape: %s", type(exc).__name__)
            return
        gauge = GaugeMetricFamily("arabesque_outbox_pending", "Effects waiting in the outbox, by kind", labels=["kind"])
        for kind in sorted({*self.KINDS, *pending}):
            gauge.add_metric([kind], pending.get(kind, 0))
        yield gauge
        yield GaugeMetricFamily(
            "arabesque_worker_lag_seconds", "Age of the oldest effect that is due and not yet claimed", value=lag
        )


def scrape_registry(collectors: Iterable[Any] = ()) -> CollectorRegistry:
    """What a scrape reports: the counted metrics (this process's, or every process's from the shared
    directory), the process's own (CPU, memory; one process only) and `collectors` (e.g. `OutboxGauges`)."""
    registry = CollectorRegistry(auto_describe=False)
    if _shared_directory is not None:
        MultiProcessCollector(registry, path=str(_shared_directory))  # type: ignore[no-untyped-call]
    else:
        for metric in (*_COUNTED, PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
            registry.register(metric)
    for collector in collectors:
        registry.register(collector)
    return registry


def exposition(registry: CollectorRegistry) -> bytes:
    """The text format of `registry` (`CONTENT_TYPE_LATEST`)."""
    return generate_latest(registry)


def serve_metrics(port: int, host: str, registry: CollectorRegistry) -> Callable[[], None]:
    """Serve `registry` at `http://host:port/metrics` from a thread (`--metrics-port`); returns what stops it."""
    from prometheus_client import start_http_server

    server, thread = start_http_server(port, host, registry=registry)

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(5)

    return stop
