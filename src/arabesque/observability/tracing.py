"""OpenTelemetry tracing, optional: a span per request, per use-case transaction and per effect attempt.

Off unless the command line turns it on (`ARABESQUE_OTEL=1`, or an `OTEL_EXPORTER_*` variable set: see
`arabesque.settings`) with the SDK installed (`pip install 'arabesque[otel]'`). Spans go to an OTLP/HTTP exporter,
which reads the standard `OTEL_EXPORTER_OTLP_*` variables itself (endpoint, headers); `OTEL_SERVICE_NAME` and
`OTEL_RESOURCE_ATTRIBUTES` name the service (default `arabesque`). Without the SDK, asking for tracing logs one
warning and changes nothing: this module imports the SDK only inside `configure_tracing`, and every function
below is a cheap no-op while tracing is off.

- `request_span`: the server span of one HTTP request, a child of the caller's `traceparent` when it sends one;
- `transaction_span` (`store/session.py`): one span per database transaction inside a request or an effect,
  named for the use case that opened it (background loops such as the worker's claims make none);
- `effect_span` (the worker): one span per effect attempt;
- `inject`: the current span's `traceparent` into an outbound request's headers (plugin calls, webhooks), so a
  vendor's or a receiver's trace joins ours.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

__all__ = [
    "configure_tracing",
    "effect_span",
    "enabled",
    "inject",
    "request_span",
    "shutdown_tracing",
    "transaction_span",
]

log = logging.getLogger("arabesque.tracing")

_tracer: Any = None  # an OpenTelemetry Tracer while tracing is on
_provider: Any = None
_NOTHING = contextlib.nullcontext()


def enabled() -> bool:
    return _tracer is not None


def configure_tracing(exporter: Any = None, service_name: str = "arabesque") -> bool:
    """Turn tracing on for this process; `exporter` (a SpanExporter, e.g. the SDK's in-memory one in tests) is
    sent each span as it ends, else an OTLP/HTTP exporter gets them in batches. False (one warning) when the SDK
    or the exporter is not installed."""
    global _tracer, _provider
    try:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
    except ImportError:
        log.warning("tracing is on but the OpenTelemetry SDK is not installed (pip install 'arabesque[otel]'): off")
        return False
    if exporter is not None:
        processor: Any = SimpleSpanProcessor(exporter)
    else:
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        except ImportError:
            log.warning("tracing is on but the OTLP exporter is not installed (pip install 'arabesque[otel]'): off")
            return False
        processor = BatchSpanProcessor(OTLPSpanExporter())
    shutdown_tracing()
    # Resource.create adds OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES over this default name.
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    provider.add_span_processor(processor)
    _provider, _tracer = provider, provider.get_tracer("arabesque")
    return True


def shutdown_tracing() -> None:
    """Send the spans still queued and turn tracing off."""
    global _tracer, _provider
    if _provider is not None:
        _provider.shutdown()
    _provider = _tracer = None


def request_span(method: str, path: str, headers: Mapping[str, str]) -> contextlib.AbstractContextManager[Any]:
    """The server span of a request (None inside while tracing is off); the caller names it once routed."""
    if _tracer is None:
        return _NOTHING
    from opentelemetry.trace import SpanKind
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    parent = TraceContextTextMapPropagator().extract(headers)
    return _tracer.start_as_current_span(  # type: ignore[no-any-return]
        method, context=parent, kind=SpanKind.SERVER, attributes={"http.request.method": method, "url.path": path}
    )


def transaction_span(kind: str) -> contextlib.AbstractContextManager[Any]:
    """A span for a database transaction, named for the use case that opens it (the function two frames up from
    `Database.write`/`read`); only within a traced request or effect."""
    if _tracer is None:
        return _NOTHING
    from opentelemetry import trace

    if not trace.get_current_span().is_recording():
        return _NOTHING
    caller = sys._getframe(3).f_code  # transaction_span <- Database.write <- contextmanager.__enter__ <- caller
    use_case = caller.co_qualname.split(".<locals>")[0]
    return _tracer.start_as_current_span(  # type: ignore[no-any-return]
        use_case, attributes={"arabesque.transaction": kind, "code.function": caller.co_name}
    )


def effect_span(kind: str, attributes: Mapping[str, str]) -> contextlib.AbstractContextManager[Any]:
    """The span of one effect attempt (a plugin call, a webhook delivery, a child start)."""
    if _tracer is None:
        return _NOTHING
    from opentelemetry.trace import SpanKind

    return _tracer.start_as_current_span(  # type: ignore[no-any-return]
        f"effect {kind}",
        kind=SpanKind.CLIENT if kind in ("http", "webhook") else SpanKind.INTERNAL,
        attributes=dict(attributes),
    )


def inject(headers: MutableMapping[str, str]) -> None:
    """Add the current span's `traceparent` (W3C Trace Context) to `headers`, unless they carry one already."""
    if _tracer is None or any(k.lower() == "traceparent" for k in headers):
        return
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    TraceContextTextMapPropagator().inject(headers)
