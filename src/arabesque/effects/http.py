"""Execute an `HttpCall` effect: resolve secrets, sign, send with httpx, report an `HttpOutcome`.

This is the only place plugin requests leave the process. Secret values are substituted here, at send
time, and appear in nothing the engine or the database keeps.

Whatever goes wrong with a request is an `Attempt` with an error outcome, classified for the retry policy: a
request that cannot be built (an invalid URL such as `http://0177.0.0.1/`, a missing secret) or is refused by
the egress policy is `refused` (the same on every try); a name that does not resolve, a connection or transport
error is `connect`, a timeout `timeout`, anything else unexpected `error` (retried). Only a failure to read the
secret store (`SecretStoreFailed`) propagates: it is not the request's fault, the caller decides.
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

from arabesque.effects.egress import EgressPolicy, EgressRefused, Unresolved
from arabesque.effects.retry import Failure, FailureKind
from arabesque.engine import HttpCall, HttpOutcome, HttpRequest
from arabesque.observability.tracing import inject

__all__ = [
    "DEFAULT_TIMEOUT",
    "IDEMPOTENCY_KEY",
    "Attempt",
    "HttpExecutor",
    "SecretMissing",
    "SecretStoreFailed",
    "Secrets",
    "definition_environment",
    "describe",
    "parse_retry_after",
    "resolve_secrets",
]

DEFAULT_TIMEOUT = 30.0
IDEMPOTENCY_KEY = "Idempotency-Key"
_SECRET = re.compile(r"\{(secrets?)\.([^{}]*)\}")


class SecretMissing(Exception):
    """A `{secrets.NAME}` placeholder names a secret the store does not have."""


class SecretStoreFailed(Exception):
    """The secret store could not be read (its error is the `__cause__`): nothing was sent."""


def describe(exc: BaseException, limit: int = 500) -> str:
    """`Type: message` of an exception for an error outcome or `last_error`: first line, bounded, no NUL (which
    PostgreSQL text refuses)."""
    lines = str(exc).strip().splitlines()
    text = f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
    return text.replace("\x00", "")[:limit]


def definition_environment() -> dict[str, str]:
    """What `{secret.NAME}` reads: the process environment, as in Ballerine, less Arabesque's own settings
    (`ARABESQUE_*`: the master key, the database URL), which are not the definitions' to read or send."""
    return {k: v for k, v in os.environ.items() if not k.startswith("ARABESQUE_")}


@dataclass(frozen=True)
class Secrets:
    """Where placeholders come from: `{secret.NAME}` reads the environment (`definition_environment`; unset:
    empty, as in Ballerine); `{secrets.NAME}` reads the secret store, and a missing one (or no store) fails the
    request."""

    environ: Mapping[str, str] = field(default_factory=definition_environment)
    store: Callable[[str], str | None] | None = None

    def lookup(self, namespace: str, name: str) -> str:
        if namespace == "secret":
            return self.environ.get(name, "")
        if self.store is None:
            raise SecretMissing("No secret manager found.")
        try:
            value = self.store(name)
        except Exception as exc:
            raise SecretStoreFailed(f"the secret store could not be read: {describe(exc)}") from exc
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

    def attempt(self, call: HttpCall, timeout: float | None = None, idempotency_key: str | None = None) -> Attempt:
        """Send the request once; classify a failure for the retry policy (a 2xx-3xx is no failure).

        `idempotency_key` is sent as `Idempotency-Key` (unless the definition sets that header itself): the same
        on every retry of one effect, so a vendor can recognise a repeated call."""

        def failed(kind: FailureKind, error: str) -> Attempt:
            return Attempt(HttpOutcome(call.id, error=error), Failure(kind))

        try:
            request = self.build(call.request, timeout, idempotency_key)
        except SecretMissing as exc:
            return failed("refused", str(exc))
        except SecretStoreFailed:
            raise
        except Exception as exc:  # an invalid URL, header or body: the same on every try
            return failed("refused", f"fetch failed: invalid request: {describe(exc)}")
        client = self.client
        if self.egress is not None:
            try:
                self.egress.check(str(request.url))
            except EgressRefused as exc:
                return failed("refused", f"fetch failed: refused: {exc}")
            except Unresolved as exc:
                return failed("connect", f"fetch failed: {exc}")
            guard = self.egress.connect_guard(str(request.url))
            if guard is not None:
                request.extensions["trace"] = guard
            elif self.trusted_client is not None:
                client = self.trusted_client
        try:
            response = client.send(request)
        except EgressRefused as exc:  # the connection reached a non-public address (DNS rebinding)
            return failed("refused", f"fetch failed: refused: {exc}")
        except httpx.TimeoutException as exc:
            return failed("timeout", f"fetch failed: {describe(exc)}")
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            return failed("refused", f"fetch failed: invalid request: {describe(exc)}")
        except httpx.HTTPError as exc:
            return failed("connect", f"fetch failed: {describe(exc)}")
        except Exception as exc:
            return failed("error", f"fetch failed: {describe(exc)}")
        try:
            body, is_json = response.json(), True
        except Exception:  # not JSON (or JSON too deep to decode)
            body, is_json = None, False
        outcome = HttpOutcome(call.id, response.status_code, response.reason_phrase, body, is_json)
        if response.status_code >= 400:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            return Attempt(outcome, Failure("status", response.status_code, retry_after))
        return Attempt(outcome, None)

    def build(
        self, spec: HttpRequest, timeout: float | None = None, idempotency_key: str | None = None
    ) -> httpx.Request:
        url = resolve_secrets(spec.url, self.secrets)
        headers = {k: resolve_secrets(v, self.secrets) for k, v in spec.headers.items()}
        if idempotency_key and not any(k.lower() == IDEMPOTENCY_KEY.lower() for k in headers):
            headers[IDEMPOTENCY_KEY] = idempotency_key  # a definition's own key wins
        inject(headers)  # the attempt's `traceparent` when tracing is on (a definition's own wins)
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
