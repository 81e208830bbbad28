"""A warning for a webhook URL that points at a private network: deliveries to it are refused unless the server
allows private URLs (`ARABESQUE_ALLOW_PRIVATE_URLS`), so the admin should know before waiting for failures.

From the URL alone (no DNS lookup on a page render): an IP literal that is not public, or a name that is
local by convention (`localhost`, `*.local`, `*.internal`, `*.localhost`, a bare host name).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

__all__ = ["private_url_warning"]

_LOCAL_SUFFIXES = (".local", ".internal", ".localhost", ".lan", ".home.arpa")


def private_url_warning(url: str) -> str:
    """A sentence naming why the URL looks private; "" when it does not."""
    try:
        host = (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""
    if not host:
        return ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host == "localhost" or host.endswith(_LOCAL_SUFFIXES) or "." not in host:
            return f"{host} is a local name: deliveries are refused unless the server allows private URLs."
        return ""
    if not address.is_global:
        return f"{host} is a private address: deliveries are refused unless the server allows private URLs."
    return ""
