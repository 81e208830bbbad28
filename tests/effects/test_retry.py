"""The retry policy (pure), Retry-After parsing, the SSRF guard and webhook signing."""

from __future__ import annotations

import hashlib
import hmac
import socket
from datetime import UTC, datetime
from typing import Any

import pytest
from standardwebhooks import Webhook

from arabesque.effects.egress import EgressPolicy, EgressRefused, Unresolved
from arabesque.effects.http import parse_retry_after
from arabesque.effects.retry import Backoff, Failure, GiveUp, Retry, backoff_delay, plugin_decision, webhook_decision
from arabesque.effects.webhook import encode_body, sign_headers

B = Backoff(base=1.0, cap=60.0)


def test_backoff_is_exponential_capped_and_jittered() -> None:
    assert [backoff_delay(a, B, 1.0) for a in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 8.0]
    assert backoff_delay(20, B, 1.0) == 60.0
    assert backoff_delay(3, B, 0.0) == 2.0  # jitter draws in [50 %, 100 %] of the step


@pytest.mark.parametrize(
    ("failure", "retried"),
    [
        (Failure("connect"), True),
        (Failure("timeout"), True),
        (Failure("status", 429), True),
        (Failure("status", 500), True),
        (Failure("status", 503), True),
        (Failure("status", 400), False),
        (Failure("status", 404), False),
        (Failure("status", 422), False),
        (Failure("refused"), False),
        (Failure("error"), True),
    ],
)
def test_which_plugin_failures_are_retried(failure: Failure, retried: bool) -> None:
    decision = plugin_decision(1, 5, failure, B, 0.5)
    assert isinstance(decision, Retry) is retried


def test_plugin_retries_stop_at_the_limit_and_honour_retry_after() -> None:
    assert isinstance(plugin_decision(4, 5, Failure("status", 500), B, 0.5), Retry)
    assert isinstance(plugin_decision(5, 5, Failure("status", 500), B, 0.5), GiveUp)
    decision = plugin_decision(1, 5, Failure("status", 429, retry_after=30.0), B, 0.5)
    assert decision == Retry(30.0)


def test_webhooks_retry_every_failure_for_a_day_then_dead_letter() -> None:
    wb = Backoff(base=5.0, cap=3600.0)
    assert isinstance(webhook_decision(1, 0.0, Failure("status", 400), wb, 0.5), Retry)
    assert isinstance(webhook_decision(30, 23 * 3600.0, Failure("connect"), wb, 0.5), Retry)
    assert isinstance(webhook_decision(31, 24 * 3600.0, Failure("connect"), wb, 0.5), GiveUp)
    assert isinstance(webhook_decision(1, 0.0, Failure("refused"), wb, 0.5), GiveUp)
    assert isinstance(webhook_decision(1, 0.0, Failure("error"), wb, 0.5), Retry)


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Thu, 01 Jan 2026 00:00:30 GMT", now) == 30.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None


def test_the_egress_guard_refuses_private_targets_unless_allowed() -> None:
    resolver = {"vendor.example": ["93.184.216.34"], "intranet.example": ["10.0.0.5"]}.__getitem__
    policy = EgressPolicy(resolver=resolver)
    policy.check("https://vendor.example/x")
    for url in ("http://127.0.0.1/x", "http://169.254.169.254/latest", "http://[::1]/", "http://intranet.example"):
        with pytest.raises(EgressRefused):
            EgressPolicy(resolver=lambda h: [h] if h[0].isdigit() or ":" in h else resolver(h)).check(url)
    with pytest.raises(EgressRefused):
        policy.check("file:///etc/passwd")
    EgressPolicy(allowed_hosts=["intranet.example"], resolver=resolver).check("http://intranet.example/")
    EgressPolicy(allow_private=True).check("http://127.0.0.1:9/")


def test_a_name_that_does_not_resolve_is_not_a_refusal_but_a_private_one_still_is() -> None:
    def no_dns(host: str) -> list[str]:
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    with pytest.raises(Unresolved, match=r"cannot resolve vendor\.example"):
        EgressPolicy(resolver=no_dns).check("https://vendor.example/x")
    with pytest.raises(EgressRefused, match="non-public"):
        EgressPolicy(resolver=lambda h: ["10.1.2.3"]).check("https://vendor.example/x")
    with pytest.raises(EgressRefused, match="invalid URL"):
        EgressPolicy(resolver=lambda h: ["93.184.216.34"]).check("http://[::1/x")


def test_webhook_signatures_verify_with_standardwebhooks_and_ballerines_hmac() -> None:
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    content = encode_body({"eventName": "workflow.completed", "name": "Zoë"})
    now = datetime.now(UTC).timestamp()
    headers = sign_headers("msg_1", content, secret, now)
    assert Webhook(secret).verify(content, headers)["name"] == "Zoë"
    assert headers["X-HMAC-Signature"] == hmac.new(secret.encode(), content, hashlib.sha256).hexdigest()
    assert sign_headers("msg_1", content, None, now)["X-HMAC-Signature"] == "UNSIGNED"
    # Ballerine's fixture: HMAC-SHA256("secret", '{"foo":"bar"}')
    assert sign_headers("m", encode_body({"foo": "bar"}), "secret", now)["X-HMAC-Signature"].startswith("3f3ab398")


class _Stream:
    def __init__(self, peer: tuple[str, int]) -> None:
        self.peer, self.closed = peer, False

    def get_extra_info(self, info: str) -> Any:
        return self.peer if info == "server_addr" else None

    def close(self) -> None:
        self.closed = True


def test_the_connect_guard_checks_the_address_each_connection_reached() -> None:
    guard = EgressPolicy(resolver=lambda host: ["93.184.216.34"]).connect_guard("https://vendor.example/x")
    assert guard is not None
    public, private = _Stream(("93.184.216.34", 443)), _Stream(("10.0.0.5", 443))
    guard("connection.connect_tcp.started", {"host": "vendor.example", "port": 443})
    guard("connection.connect_tcp.complete", {"return_value": public})
    guard("connection.connect_tcp.started", {"host": "vendor.example", "port": 443})
    with pytest.raises(EgressRefused, match=r"10\.0\.0\.5"):
        guard("connection.connect_tcp.complete", {"return_value": private})
    assert private.closed and not public.closed
    # through a proxy the connection goes to the proxy's host: the proxy is then the egress control
    guard("connection.connect_tcp.started", {"host": "proxy.internal", "port": 3128})
    guard("connection.connect_tcp.complete", {"return_value": _Stream(("10.0.0.9", 3128))})
    assert EgressPolicy(allowed_hosts=["vendor.example"]).connect_guard("https://vendor.example/") is None
    assert EgressPolicy(allow_private=True).connect_guard("https://vendor.example/") is None
