"""A company registry lookup through the unified-API vendor gateway, as Ballerine's `business-information` makes it:
`GET {base}/companies/{jurisdiction}/{registration number}?vendor=...` with `Authorization: Bearer {token}`.

Through the same egress policy as plugin calls (the SSRF guard: the name checked before the request, each new
connection's address checked before anything is sent), with an explicit timeout, no redirects followed and the
answer read up to a size limit. Every way the call can fail is a `RegistryFailed` saying what happened; a 404 from
the registry (no such company) is a `CompanyNotFound`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from arabesque.effects.egress import EgressPolicy, EgressRefused, Unresolved
from arabesque.effects.http import describe

__all__ = [
    "DEFAULT_TIMEOUT",
    "MAX_ANSWER_BYTES",
    "CompanyNotFound",
    "RegistryFailed",
    "RegistryQuery",
    "fetch_company",
]

DEFAULT_TIMEOUT = 10.0  # seconds: the caller waits for it, holding one of the API's threads
MAX_ANSWER_BYTES = 1024 * 1024  # a company record is a few kilobytes


class RegistryFailed(Exception):
    """The registry could not be asked, or did not answer with a company record."""


class CompanyNotFound(Exception):
    """The registry answered 404: it has no such company."""


@dataclass(frozen=True)
class RegistryQuery:
    jurisdiction_code: str
    registration_number: str
    vendor: str


def company_url(base_url: str, query: RegistryQuery) -> str:
    """The lookup's URL; each path segment percent-encoded, so a value cannot change the path."""
    segments = (quote(query.jurisdiction_code, safe=""), quote(query.registration_number, safe=""))
    return f"{base_url.rstrip('/')}/companies/{segments[0]}/{segments[1]}"


def fetch_company(
    base_url: str,
    token: str | None,
    query: RegistryQuery,
    egress: EgressPolicy,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = MAX_ANSWER_BYTES,
) -> dict[str, Any]:
    """The registry's record of the company (a JSON object, as the registry sent it)."""
    url = company_url(base_url.strip(), query)
    try:
        egress.check(url)
    except (EgressRefused, Unresolved) as exc:
        raise RegistryFailed(f"the registry URL is not reachable: {exc}") from exc
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    extensions: dict[str, Any] = {}
    guard = egress.connect_guard(url)
    if guard is not None:
        extensions["trace"] = guard
    try:
        with httpx.Client(follow_redirects=False, timeout=httpx.Timeout(timeout)) as client:
            request = client.build_request(
                "GET", url, params={"vendor": query.vendor}, headers=headers, extensions=extensions
            )
            response = client.send(request, stream=True)
            try:
                body = _read(response, max_bytes)
                status = response.status_code
            finally:
                response.close()
    except RegistryFailed:
        raise
    except EgressRefused as exc:  # the connection reached a non-public address (DNS rebinding)
        raise RegistryFailed(f"the registry URL is not reachable: {exc}") from exc
    except httpx.TimeoutException as exc:
        raise RegistryFailed(f"the registry did not answer within {timeout:g} s") from exc
    except Exception as exc:  # connection errors; a URL or a token httpx cannot send: the same on every try
        raise RegistryFailed(f"the registry could not be reached: {describe(exc)}") from exc
    if status == 404:
        raise CompanyNotFound(
            f"the registry has no company {query.registration_number!r} in {query.jurisdiction_code!r}"
        )
    if not 200 <= status < 300:
        raise RegistryFailed(f"the registry answered {status}")
    try:
        record = json.loads(body)
    except (ValueError, RecursionError) as exc:  # not JSON (or nested deeper than the parser goes)
        raise RegistryFailed("the registry's answer is not JSON") from exc
    if not isinstance(record, dict):
        raise RegistryFailed("the registry's answer is not a JSON object")
    return record


def _read(response: httpx.Response, max_bytes: int) -> bytes:
    chunks, seen = [], 0
    for chunk in response.iter_bytes():
        seen += len(chunk)
        if seen > max_bytes:
            raise RegistryFailed(f"the registry's answer is over {max_bytes:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
