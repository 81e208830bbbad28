"""Tracing is optional: without the OpenTelemetry SDK (the `otel` extra) asking for it logs one warning and
everything else works as with tracing off."""

from __future__ import annotations

import sys

import pytest

from arabesque.observability import tracing


def test_without_the_sdk_tracing_stays_off_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    for name in [m for m in sys.modules if m.startswith("opentelemetry.sdk")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "opentelemetry.sdk", None)  # `import opentelemetry.sdk...` fails
    with caplog.at_level("WARNING", logger="arabesque.tracing"):
        assert tracing.configure_tracing() is False
    assert "pip install 'arabesque[otel]'" in caplog.text and not tracing.enabled()
    headers: dict[str, str] = {}
    tracing.inject(headers)
    with tracing.request_span("GET", "/", {}) as span, tracing.transaction_span("write") as inner:
        assert span is None and inner is None and headers == {}


def test_no_module_imports_the_sdk_before_tracing_is_asked_for() -> None:
    import subprocess

    code = (
        "import sys, arabesque.asgi, arabesque.cli.commands, arabesque.cli.serve_processes, arabesque.worker;"
        "print(any(m.startswith('opentelemetry.sdk') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr
