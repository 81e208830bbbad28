"""The SSRF guard: which hosts outbound plugin calls and webhooks may reach.

A target whose host resolves to a loopback, link-local, private, reserved or unspecified address is refused,
unless private targets are allowed for the whole server (`ARABESQUE_ALLOW_PRIVATE_URLS=true`) or the host is
on the project's allow-list. `check` resolves the name before the request; the request resolves it again when
it opens a connection, so `connect_guard` also checks the address each new connection actually reached, before
anything is sent: a name that resolves to a public address for the check and a private one for the connection
(DNS rebinding) is refused too. A name that does not resolve is not refused: DNS fails transiently too, so
`check` raises `Unresolved` and the caller retries it like a connection error (the next try resolves and checks
it again). Through a proxy the connection goes to the proxy, which is then the egress
control; the name is still checked.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

__all__ = ["EgressPolicy", "EgressRefused", "Unresolved"]

Resolver = Callable[[str], list[str]]


class EgressRefused(Exception):
    """The target is not allowed by the egress policy."""


class Unresolved(Exception):
    """The target's host name did not resolve (now): not a refusal, a failure to retry like a connection error."""


def _resolve(host: str) -> list[str]:
    return [str(info[4][0]) for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)]


@dataclass(frozen=True)
class EgressPolicy:
    allow_private: bool = False
    allowed_hosts: Collection[str] = ()
    resolver: Resolver = field(default=_resolve)

    def check(self, url: str) -> None:
        """Raise `EgressRefused` unless `url` may be requested; `Unresolved` if its host does not resolve."""
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").lower()
        except ValueError as exc:  # e.g. an unclosed IPv6 bracket
            raise EgressRefused(f"invalid URL: {exc}") from exc
        if parts.scheme not in ("http", "https"):
            raise EgressRefused(f"scheme {parts.scheme or '(none)'!r} is not allowed")
        if not host:
            raise EgressRefused("the URL has no host")
        if self._exempt(host):
            return
        try:
            addresses = self.resolver(host)
        except OSError as exc:
            raise Unresolved(f"cannot resolve {host}: {exc}") from exc
        for address in addresses:
            if not _public(address):
                raise EgressRefused(f"{host} resolves to a non-public address ({address}); not allowed")

    def _exempt(self, host: str) -> bool:
        """Whether `host` may reach any address: private URLs allowed, or the host on the allow-list."""
        return self.allow_private or host in {h.lower() for h in self.allowed_hosts}

    def connect_guard(self, url: str) -> Callable[[str, dict[str, Any]], None] | None:
        """An httpx `trace` extension for a request to `url` (after `check`): each new connection to the URL's
        host is refused (closed, `EgressRefused`) unless the address it reached is public. None when the
        policy allows the host whatever its address."""
        host = (urlsplit(url).hostname or "").lower()
        if self._exempt(host):
            return None
        dialled: list[str] = []

        def trace(event: str, info: dict[str, Any]) -> None:
            if event == "connection.connect_tcp.started":
                dialled[:] = [str(info.get("host") or "").lower().strip("[]")]
            elif event == "connection.connect_tcp.complete" and dialled == [host.strip("[]")]:
                stream = info["return_value"]
                peer = stream.get_extra_info("server_addr")
                address = str(peer[0]) if peer else ""
                if not address or not _public(address):
                    stream.close()
                    raise EgressRefused(f"{host} connected to a non-public address ({address}); not allowed")

        return trace


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return not (
        ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_reserved or ip.is_unspecified or ip.is_multicast
    )
