"""Download one document page given by URL (`context.documents[].pages[].uri`), as `/run` and the PATCH context
path copy remote pages into storage.

Through the same egress policy as plugin calls (the SSRF guard: the name checked before the request, each new
connection's address checked before anything is sent), within a wall-clock time limit (httpx's timeouts are per
read: a server that drips a byte at a time would otherwise hold the caller as long as it likes), no redirects
followed (a redirect is a failure: its target would escape the check) and the body read no further than the size
limit. Every way the download can fail is a `FetchFailed` saying what happened, in words fit for the caller.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

from arabesque.effects.egress import EgressPolicy, EgressRefused, Unresolved
from arabesque.effects.http import describe

__all__ = ["DEFAULT_TIMEOUT", "FetchFailed", "Fetched", "fetch_document"]

DEFAULT_TIMEOUT = 10.0  # seconds: the caller waits for it, before its transaction opens


class FetchFailed(Exception):
    """The page could not be downloaded (refused, unreachable, not a 2xx, over the size limit)."""


@dataclass(frozen=True)
class Fetched:
    content: bytes
    content_type: str  # the media type the server declared ("" when none), parameters dropped


def fetch_document(url: str, egress: EgressPolicy, max_bytes: int, timeout: float = DEFAULT_TIMEOUT) -> Fetched:
    """The page's bytes; `FetchFailed` when they cannot be had within the policy, `timeout` seconds in all and the
    size."""
    deadline = time.monotonic() + timeout
    try:
        egress.check(url)
    except EgressRefused as exc:
        raise FetchFailed(f"refused: {exc}") from exc
    except Unresolved as exc:
        raise FetchFailed(str(exc)) from exc
    extensions: dict[str, Any] = {}
    guard = egress.connect_guard(url)
    if guard is not None:
        extensions["trace"] = guard
    try:
        with httpx.Client(follow_redirects=False, timeout=httpx.Timeout(timeout)) as client:
            request = client.build_request("GET", url, extensions=extensions)
            response = client.send(request, stream=True)
            try:
                status = response.status_code
                if not 200 <= status < 300:
                    raise FetchFailed(f"the server answered {status}")
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > max_bytes:
                    raise FetchFailed(f"the file is over {max_bytes:,} bytes")
                content = _read(response, max_bytes, deadline, timeout)
                content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
            finally:
                response.close()
    except FetchFailed:
        raise
    except EgressRefused as exc:  # the connection reached a non-public address (DNS rebinding)
        raise FetchFailed(f"refused: {exc}") from exc
    except httpx.TimeoutException as exc:
        raise FetchFailed(f"no answer within {timeout:g} s") from exc
    except Exception as exc:  # connection errors, a URL httpx cannot send
        raise FetchFailed(f"could not be reached: {describe(exc)}") from exc
    return Fetched(content, content_type)


def _read(response: httpx.Response, max_bytes: int, deadline: float, timeout: float) -> bytes:
    chunks, seen = [], 0
    for chunk in response.iter_bytes():
        if time.monotonic() > deadline:
            raise FetchFailed(f"not received within {timeout:g} s")
        seen += len(chunk)
        if seen > max_bytes:
            raise FetchFailed(f"the file is over {max_bytes:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
