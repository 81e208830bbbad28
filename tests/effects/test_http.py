"""The HTTP executor against a real loopback server: secrets, signing, encoding, failures."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from arabesque.effects.egress import EgressPolicy, EgressRefused
from arabesque.effects.http import HttpExecutor, Secrets, SecretStoreFailed
from arabesque.effects.retry import Backoff, Retry, plugin_decision
from arabesque.effects.webhook import WebhookSender
from arabesque.engine import HttpCall, HttpRequest


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[dict[str, Any]] = []
    status = 200

    def log_message(self, *args: Any) -> None:
        pass

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.requests.append({"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body})
        payload = json.dumps({"ok": True}).encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _handle


@pytest.fixture
def server() -> Iterator[str]:
    _Recorder.requests = []
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def _call(request: HttpRequest) -> HttpCall:
    return HttpCall("e1", "vendor", request, awaits_outcome=True)


def test_secrets_resolve_at_send_time(server: str) -> None:
    secrets = Secrets(environ={"ENV_TOKEN": "env-tok"}, store={"CUSTOMER": "cust-tok"}.get)
    request = HttpRequest(
        "POST",
        server + "/v/{secret.ENV_TOKEN}",
        {"Authorization": "Bearer {secrets.CUSTOMER}", "X-Unset": "[{secret.NOT_SET}]"},
        body={"key": "{secrets.CUSTOMER}", "nested": {"kept": "{secrets.CUSTOMER}"}},
        has_body=True,
    )
    with httpx.Client() as client:
        outcome = HttpExecutor(client, secrets).execute(_call(request))
    assert (outcome.status, outcome.body, outcome.effect_id) == (200, {"ok": True}, "e1")
    sent = _Recorder.requests[0]
    assert sent["path"] == "/v/env-tok"
    assert sent["headers"]["Authorization"] == "Bearer cust-tok"
    assert sent["headers"]["X-Unset"] == "[]"
    assert json.loads(sent["body"]) == {"key": "cust-tok", "nested": {"kept": "{secrets.CUSTOMER}"}}
    assert "cust-tok" not in json.dumps(request.to_json())


def test_customer_secret_without_a_store_fails_the_call(server: str) -> None:
    request = HttpRequest("GET", server + "/x", {"Authorization": "{secrets.CUSTOMER}"})
    with httpx.Client() as client:
        outcome = HttpExecutor(client, Secrets(environ={})).execute(_call(request))
    assert outcome.error == "No secret manager found."
    assert _Recorder.requests == []


def test_missing_customer_secret_fails_the_call(server: str) -> None:
    request = HttpRequest("GET", server + "/x", {"Authorization": "{secrets.NOPE}"})
    with httpx.Client() as client:
        outcome = HttpExecutor(client, Secrets(environ={}, store={}.get)).execute(_call(request))
    assert outcome.error == "Secret NOPE not found"


def test_webhook_body_is_signed_when_the_secret_exists(server: str) -> None:
    request = HttpRequest("POST", server + "/hook", {}, body={"a": 1}, has_body=True, hmac_secret="webhookSharedSecret")
    with httpx.Client() as client:
        HttpExecutor(client, Secrets(environ={}, store={"webhookSharedSecret": "k"}.get)).execute(_call(request))
        HttpExecutor(client, Secrets(environ={}, store={}.get)).execute(_call(request))
    signed, unsigned = _Recorder.requests
    expected = hmac.new(b"k", b'{"a":1}', hashlib.sha256).hexdigest()
    assert signed["headers"]["X-HMAC-Signature"] == expected
    assert "X-HMAC-Signature" not in unsigned["headers"]


def test_get_query_is_url_search_params_encoded(server: str) -> None:
    request = HttpRequest("GET", server + "/q", {}, query=(("name", "a b&c"), ("star", "*~")))
    with httpx.Client() as client:
        HttpExecutor(client, Secrets(environ={})).execute(_call(request))
    assert _Recorder.requests[0]["path"] == "/q?name=a+b%26c&star=*%7E"


def test_connection_failure_is_an_error_outcome() -> None:
    with httpx.Client() as client:
        outcome = HttpExecutor(client, Secrets(environ={}), timeout=2).execute(
            _call(HttpRequest("GET", "http://127.0.0.1:9/closed", {}))
        )
    assert outcome.status is None and outcome.error and outcome.error.startswith("fetch failed")


def test_non_json_response_is_reported(server: str) -> None:
    _Recorder.status = 500
    try:
        with httpx.Client() as client:
            outcome = HttpExecutor(client, Secrets(environ={})).execute(_call(HttpRequest("GET", server + "/e", {})))
    finally:
        _Recorder.status = 200
    assert (outcome.status, outcome.status_text, outcome.body_is_json) == (500, "Internal Server Error", True)


# DNS rebinding: the name resolves to a public address when the policy checks it, and to loopback when the
# request connects (here: the policy's resolver says public, the system's says 127.0.0.1 for `localhost`).
REBINDING = EgressPolicy(resolver=lambda host: ["93.184.216.34"])


def test_a_connection_that_reaches_a_private_address_is_refused_before_sending(server: str) -> None:
    url = server.replace("127.0.0.1", "localhost") + "/rebind"
    with httpx.Client() as client:
        attempt = HttpExecutor(client, Secrets(environ={}), egress=REBINDING).attempt(
            _call(HttpRequest("GET", url, {}))
        )
    assert attempt.failure is not None and attempt.failure.kind == "refused"  # not retried
    assert attempt.outcome.error and "non-public address (127.0.0.1)" in attempt.outcome.error
    assert _Recorder.requests == []  # nothing was sent


def test_an_allow_listed_host_may_connect_to_a_private_address(server: str) -> None:
    url = server.replace("127.0.0.1", "localhost") + "/allowed"
    policy = EgressPolicy(allowed_hosts=["localhost"], resolver=lambda host: ["10.0.0.5"])
    with httpx.Client() as client:
        outcome = HttpExecutor(client, Secrets(environ={}), egress=policy).execute(_call(HttpRequest("GET", url, {})))
    assert outcome.status == 200 and [r["path"] for r in _Recorder.requests] == ["/allowed"]


def test_a_webhook_to_a_rebinding_name_is_refused_before_sending(server: str) -> None:
    url = server.replace("127.0.0.1", "localhost") + "/hook"
    REBINDING.check(url)  # the name alone passes
    with httpx.Client() as client, pytest.raises(EgressRefused):
        WebhookSender(client).send(url, "msg_1", {"a": 1}, None, REBINDING.connect_guard(url))
    assert _Recorder.requests == []


def test_a_connection_kept_alive_for_an_allow_listed_host_is_not_reused_by_another_project(
    server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Project A allow-lists `localhost` (a private address); project B does not, and its resolver says the name
    is public (rebinding): B's request must not ride A's kept-alive connection to 127.0.0.1."""
    monkeypatch.setattr(_Recorder, "protocol_version", "HTTP/1.1")  # keep connections alive
    url = server.replace("127.0.0.1", "localhost") + "/pooled"
    a = EgressPolicy(allowed_hosts=["localhost"])
    with httpx.Client() as guarded, httpx.Client() as trusted:
        first = HttpExecutor(guarded, Secrets(environ={}), egress=a, trusted_client=trusted)
        assert first.execute(_call(HttpRequest("GET", url, {}))).status == 200
        second = HttpExecutor(guarded, Secrets(environ={}), egress=REBINDING, trusted_client=trusted)
        attempt = second.attempt(_call(HttpRequest("GET", url, {})))
    assert attempt.failure is not None and attempt.failure.kind == "refused"
    assert [r["path"] for r in _Recorder.requests] == ["/pooled"]  # only project A's request arrived


def test_an_unparsable_url_is_a_refused_outcome_not_an_exception() -> None:
    """`0177.0.0.1` (octal) is refused by httpx's URL parser while the request is built: the call must end in an
    error outcome the runtime's `errorAction` can take, not an exception the worker retries for ever."""
    request = HttpRequest("POST", "http://0177.0.0.1:3210/x", {}, body={"a": 1}, has_body=True)
    with httpx.Client() as client:
        attempt = HttpExecutor(client, Secrets(environ={})).attempt(_call(request))
    assert attempt.failure is not None and attempt.failure.kind == "refused"
    assert (
        attempt.outcome.error and "invalid request" in attempt.outcome.error and "0177.0.0.1" in attempt.outcome.error
    )


def test_a_name_that_does_not_resolve_is_retried_like_a_connection_error() -> None:
    def no_dns(host: str) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with httpx.Client() as client:
        attempt = HttpExecutor(client, Secrets(environ={}), egress=EgressPolicy(resolver=no_dns)).attempt(
            _call(HttpRequest("GET", "http://vendor.example/x", {}))
        )
    assert attempt.failure is not None and attempt.failure.kind == "connect"
    assert attempt.outcome.error and "cannot resolve vendor.example" in attempt.outcome.error
    assert isinstance(plugin_decision(1, 5, attempt.failure, Backoff(), 0.5), Retry)


def test_an_unexpected_error_while_sending_is_an_outcome_that_is_retried() -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        raise RuntimeError("transport bug")

    with httpx.Client(transport=httpx.MockTransport(broken)) as client:
        attempt = HttpExecutor(client, Secrets(environ={})).attempt(_call(HttpRequest("GET", "http://v.example/", {})))
    assert attempt.failure is not None and attempt.failure.kind == "error"
    assert attempt.outcome.error == "fetch failed: RuntimeError: transport bug"


def test_a_secret_store_that_cannot_be_read_is_not_the_requests_fault(server: str) -> None:
    """The store's failure (the database is down) propagates: the caller waits and tries again rather than
    failing the call; nothing is sent."""

    def down(name: str) -> str | None:
        raise ConnectionError("database unavailable")

    request = HttpRequest("GET", server + "/x", {"Authorization": "{secrets.KEY}"})
    with httpx.Client() as client, pytest.raises(SecretStoreFailed) as raised:
        HttpExecutor(client, Secrets(environ={}, store=down)).attempt(_call(request))
    assert isinstance(raised.value.__cause__, ConnectionError)
    assert _Recorder.requests == []


def test_every_request_carries_the_idempotency_key_unless_the_definition_sets_its_own(server: str) -> None:
    with httpx.Client() as client:
        executor = HttpExecutor(client, Secrets(environ={}))
        for _ in range(2):  # a retry carries the same key
            executor.attempt(_call(HttpRequest("GET", server + "/k", {})), idempotency_key="rt-1:e1")
        executor.attempt(_call(HttpRequest("GET", server + "/own", {"idempotency-key": "mine"})), idempotency_key="x")
    keys = [(r["path"], {k.lower(): v for k, v in r["headers"].items()}["idempotency-key"]) for r in _Recorder.requests]
    assert keys == [("/k", "rt-1:e1"), ("/k", "rt-1:e1"), ("/own", "mine")]


def test_a_webhook_carries_its_webhook_id_as_idempotency_key(server: str) -> None:
    with httpx.Client() as client:
        WebhookSender(client).send(server + "/hook", "msg_1", {"a": 1}, None)
    [sent] = _Recorder.requests
    assert sent["headers"]["Idempotency-Key"] == sent["headers"]["webhook-id"] == "msg_1"
