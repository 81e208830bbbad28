"""Logs, metrics and traces (README: Observability). It imports no other layer, so every layer may use it.

- `logs.py` — structured log lines (JSON or console) with the request's or the effect's ids; nothing secret
- `metrics.py` — the Prometheus metrics, their scrape registry, multiprocess sharing, `--metrics-port`
- `requests.py` — the ASGI middleware: request id, access line, request histogram, request span
- `tracing.py` — OpenTelemetry, optional: spans per request, transaction and effect attempt; `traceparent` out

Nothing is imported here: importing `arabesque.observability.logs` costs no web framework and no SDK.
"""
