"""The address collection-flow links start with (`ARABESQUE_PUBLIC_URL`), installed once per process by the
command line (`set_public_url`), like the limits."""

from __future__ import annotations

from urllib.parse import quote

__all__ = ["collection_flow_url", "public_url", "set_public_url"]

_url = "http://127.0.0.1:3000"


def public_url() -> str:
    return _url


def set_public_url(url: str) -> None:
    global _url
    _url = url.rstrip("/")


def collection_flow_url(token: str | None = None) -> str:
    """`{public_url}/collection-flow`, with `?token=` when a token is given."""
    base = f"{_url}/collection-flow"
    return base if token is None else f"{base}?token={quote(token, safe='')}"
