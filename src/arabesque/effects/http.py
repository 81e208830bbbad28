"""Execute an `HttpCall` effect: resolve secrets, sign, send with httpx, report an `HttpOutcome`.

This is the only place plugin requests leave the process. Secret values are substituted here, at send
time, and appear in nothing the engine or the database keeps.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import quote_plus, urlencode

import httpx

from arabesque.effects.egress import EgressPolicy, EgressRefused
from arabesque.effects.retry import Failure
from arabesque.engine import HttpCall, HttpOutcome, HttpRequest

__all__ = [
    "DEFAULT_TIMEOUT",
    "Attempt",
    "HttpExecutor",
    "SecretMissing",
    "Secrets",
    "parse_retry_after",
    "resolve_secrets",
]

DEFAULT_TIMEOUT = 30.0
_SECRET = re.compile(r"\{(secrets?)\.([^{}]*)\}")


class SecretMissing(Exception):
    """A `{secrets.NAME}` placeholder names a secret the store does not have."""


@dataclass(frozen=True)
class Secrets:
    """Where placeholders come from: `{secret.NAME}` reads the environment (unset: empty, as in
    Ballerine); `{secrets.NAME}` reads the secret store, and a missing one (or no store) fails the
    request."""

    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    store: Callable[[str], str | None] | None = None

    def lookup(self, namespace: str, name: str) -> str:
        if namespace == "secret":
            return self.environ.get(name, "")
        if self.store is None:
            raise SecretMissing("No secret manager found.")
        value = self.store(name)
        if value is None:
            raise SecretMissing(f"Secret {name} not found")
        return value


def resolve_secrets(text: str, secrets: Secrets) -> str:
    return _SECRET.sub(lambda m: secrets.lookup(m.group(1), m.group(2)), text)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP date); None if absent/invalid."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass(frozen=True)
class Attempt:
    """One try at an `HttpCall`: the outcome to apply, and why it failed (None when it succeeded)."""

    outcome: HttpOutcome
    failure: Failure | None


class HttpExecutor:
    def __init__(
        self,
        client: httpx.Client,
        secrets: Secrets,
        timeout: float = DEFAULT_TIMEOUT,
        egress: EgressPolicy | None = None,
        trusted_client: httpx.Client | None = None,
    ) -> None:
        """`trusted_client`, when given, sends the requests `egress` lets reach any address (allow-listed hosts,
        private URLs allowed): then every connection `client` keeps alive reached a public address, and a
        request that must reach a public one never reuses a connection opened to a private one."""
        self.client, self.secrets, self.timeout, self.egress = client, secrets, timeout, egress
        self.trusted_client = trusted_client

    def execute(self, call: HttpCall) -> HttpOutcome:
        return self.attempt(call).outcome

    def attempt(self, call: HttpCall, timeout: float | None = None) -> Attempt:
        """Send the request once; classify a failure for the retry policy (a 2xx-3xx is no failure)."""
        try:
            request = self.build(call.request, timeout)
        except SecretMissing as exc:
            return Attempt(HttpOutcome(call.id, error=str(exc)), Failure("refused"))
        client = self.client
        if self.egress is not None:
            try:
                self.egress.check(str(request.url))
            except EgressRefused as exc:
                return Attempt(HttpOutcome(call.id, error=f"fetch failed: refused: {exc}"), Failure("refused"))
            guard = self.egress.connect_guard(str(request.url))
            if guard is not None:
                request.extensions["trace"] = guard
            elif self.trusted_client is not None:
                client = self.trusted_client
        try:
            response = client.send(request)
        except EgressRefused as exc:  # the connection reached a non-public address (DNS rebinding)
            return Attempt(HttpOutcome(call.id, error=f"fetch failed: refused: {exc}"), Failure("refused"))
        except httpx.TimeoutException as exc:
            outcome = HttpOutcome(call.id, error=f"fetch failed: {type(exc).__name__}: {exc}")
            return Attempt(outcome, Failure("timeout"))
        except httpx.HTTPError as exc:
            return Attempt(HttpOutcome(call.id, error=f"fetch failed: {type(exc).__name__}: {exc}"), Failure("connect"))
        try:
            body, is_json = response.json(), True
        except ValueError:
            body, is_json = None, False
        outcome = HttpOutcome(call.id, response.status_code, response.reason_phrase, body, is_json)
        if response.status_code >= 400:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            return Attempt(outcome, Failure("status", response.status_code, retry_after))
        return Attempt(outcome, None)

    def build(self, spec: HttpRequest, timeout: float | None = None) -> httpx.Request:
        url = resolve_secrets(spec.url, self.secrets)
        headers = {k: resolve_secrets(v, self.secrets) for k, v in spec.headers.items()}
        if spec.query is not None:
            pairs = [(k, resolve_secrets(v, self.secrets)) for k, v in spec.query]
            # URLSearchParams: spaces as '+', and '*' left as is.
            url += "?" + urlencode(pairs, quote_via=quote_plus, safe="*").replace("~", "%7E")
        content = None
        if spec.has_body:
            body = spec.body
            if isinstance(body, dict):
                body = {k: resolve_secrets(v, self.secrets) if isinstance(v, str) else v for k, v in body.items()}
            content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
            if spec.hmac_secret:
                self._sign(headers, content, spec.hmac_secret)
        limit = httpx.Timeout(timeout if timeout is not None else self.timeout)
        return self.client.build_request(spec.method, url, headers=headers, content=content, timeout=limit)

    def _sign(self, headers: dict[str, str], content: bytes, secret_name: str) -> None:
        try:
            key = self.secrets.lookup("secrets", secret_name)
        except SecretMissing:
            return  # signed only when the secret exists, as in Ballerine
        headers["X-HMAC-Signature"] = hmac.new(key.encode(), content, hashlib.sha256).hexdigest()
