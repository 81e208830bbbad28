"""Deliver one webhook: sign it (Standard Webhooks and Ballerine's `X-HMAC-Signature`), POST it, report.

Standard Webhooks: `webhook-id` (stable across retries of one delivery), `webhook-timestamp` (the time of
this attempt) and `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed with the
base64-decoded part of a `whsec_...` secret. Ballerine: `X-HMAC-Signature: hex HMAC-SHA256(secret, body)`
keyed with the secret string as is (`UNSIGNED` when there is no secret). `Idempotency-Key` repeats `webhook-id`
for receivers that deduplicate on that header.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from standardwebhooks import Webhook

from arabesque.effects.http import IDEMPOTENCY_KEY, describe, parse_retry_after
from arabesque.observability.tracing import inject

__all__ = ["Delivery", "WebhookSender", "encode_body", "sign_headers"]


def encode_body(body: Any) -> bytes:
    """The exact bytes sent and signed: compact JSON, non-ASCII kept (as JavaScript's JSON.stringify)."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def sign_headers(webhook_id: str, content: bytes, secret: str | None, now: float) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(now)),
        IDEMPOTENCY_KEY: webhook_id,
    }
    if not secret:
        headers["X-HMAC-Signature"] = "UNSIGNED"
        return headers
    text = content.decode()
    if secret.startswith("whsec_"):
        headers["webhook-signature"] = Webhook(secret).sign(webhook_id, datetime.fromtimestamp(now, UTC), text)
    headers["X-HMAC-Signature"] = hmac.new(secret.encode(), content, hashlib.sha256).hexdigest()
    return headers


@dataclass(frozen=True)
class Delivery:
    status_code: int | None
    error: str | None
    latency_ms: int
    retry_after: float | None = None
    timed_out: bool = False
    invalid: bool = False  # the request cannot be made (an invalid URL): the same on every try

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class WebhookSender:
    def __init__(self, client: httpx.Client, timeout: float = 30.0, trusted_client: httpx.Client | None = None) -> None:
        """`trusted_client`, when given, sends the deliveries without a connect guard (see `HttpExecutor`)."""
        self.client, self.timeout, self.trusted_client = client, timeout, trusted_client

    def send(
        self, url: str, webhook_id: str, body: Any, secret: str | None, trace: Callable[..., None] | None = None
    ) -> Delivery:
        """One signed POST; `trace` is an httpx trace extension (the egress policy's `connect_guard`), whose
        `EgressRefused` propagates."""
        content = encode_body(body)
        headers = sign_headers(webhook_id, content, secret, time.time())
        inject(headers)  # the attempt's `traceparent` when tracing is on (not signed: a receiver may ignore it)
        started = time.perf_counter()
        extensions = {"trace": trace} if trace is not None else None
        client = self.client if trace is not None or self.trusted_client is None else self.trusted_client
        try:
            response = client.post(url, content=content, headers=headers, timeout=self.timeout, extensions=extensions)
        except httpx.TimeoutException as exc:
            return Delivery(None, f"timeout: {type(exc).__name__}", _ms(started), timed_out=True)
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            return Delivery(None, f"invalid request: {describe(exc)}", _ms(started), invalid=True)
        except httpx.HTTPError as exc:
            return Delivery(None, describe(exc), _ms(started))
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return Delivery(response.status_code, None, _ms(started), retry_after)


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
