"""The SSRF guard: which hosts outbound plugin calls and webhooks may reach.

A target whose host resolves to a loopback, link-local, private, reserved or unspecified address is refused,
unless private targets are allowed for the whole server (`ARABESQUE_ALLOW_PRIVATE_URLS=true`) or the host is
on the project's allow-list. The check resolves the name itself; the request then resolves it again, so a
name whose address changes between the two (DNS rebinding) is not covered: allow-list such hosts explicitly.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

__all__ = ["EgressPolicy", "EgressRefused", "allow_private_from_env"]

Resolver = Callable[[str], list[str]]


class EgressRefused(Exception):
    """The target is not allowed by the egress policy."""


def allow_private_from_env(environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    return env.get("ARABESQUE_ALLOW_PRIVATE_URLS", "").strip().lower() in ("1", "true", "yes")


def _resolve(host: str) -> list[str]:
    return [str(info[4][0]) for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)]


@dataclass(frozen=True)
class EgressPolicy:
    allow_private: bool = False
    allowed_hosts: Collection[str] = ()
    resolver: Resolver = field(default=_resolve)

    def check(self, url: str) -> None:
        """Raise `EgressRefused` unless `url` may be requested."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise EgressRefused(f"scheme {parts.scheme or '(none)'!r} is not allowed")
        host = (parts.hostname or "").lower()
        if not host:
            raise EgressRefused("the URL has no host")
        if self.allow_private or host in {h.lower() for h in self.allowed_hosts}:
            return
        try:
            addresses = self.resolver(host)
        except OSError as exc:
            raise EgressRefused(f"cannot resolve {host}: {exc}") from exc
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
            if (
                ip.is_loopback
                or ip.is_private
                or ip.is_link_local
                or ip.is_reserved
                or ip.is_unspecified
                or ip.is_multicast
            ):
                raise EgressRefused(f"{host} resolves to a non-public address ({ip}); not allowed")
