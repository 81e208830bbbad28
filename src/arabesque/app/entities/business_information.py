"""Use case: a company's record from the registry vendor configured for the caller's project.

The registry is configured as Ballerine configures it in its environment, here per project: the project secret
`UNIFIED_API_URL` (the vendor gateway's base URL) and `UNIFIED_API_TOKEN` (its bearer token, optional). The
secrets are read in a short transaction of their own; the call is made after it, outside any transaction.
"""

from __future__ import annotations

from typing import Any

from arabesque.app.access.principal import Principal
from arabesque.app.access.projects import project_allowed_hosts
from arabesque.app.errors import NotConfigured, NotFound, UpstreamFailed
from arabesque.app.input_text import json_problems
from arabesque.app.secrets.project_secrets import project_secret
from arabesque.effects.egress import EgressPolicy
from arabesque.effects.registry import DEFAULT_TIMEOUT, CompanyNotFound, RegistryFailed, RegistryQuery, fetch_company
from arabesque.store import Database

__all__ = ["REGISTRY_TIMEOUT", "REGISTRY_TOKEN_SECRET", "REGISTRY_URL_SECRET", "business_information"]

REGISTRY_URL_SECRET = "UNIFIED_API_URL"
REGISTRY_TOKEN_SECRET = "UNIFIED_API_TOKEN"
REGISTRY_TIMEOUT = DEFAULT_TIMEOUT  # seconds


def business_information(
    db: Database,
    who: Principal,
    jurisdiction_code: str,
    registration_number: str,
    vendor: str,
    *,
    allow_private_urls: bool = False,
    timeout: float = REGISTRY_TIMEOUT,
) -> dict[str, Any]:
    """The registry's record; NotConfigured without a registry URL, NotFound when the registry has no such company,
    UpstreamFailed when it cannot be asked or answers anything but a company record. `allow_private_urls` lets the
    call reach private addresses (as `ARABESQUE_ALLOW_PRIVATE_URLS` does for plugins); the project's egress
    allow-list does so for its hosts."""
    base_url = project_secret(db, who.project_id, REGISTRY_URL_SECRET)
    if not base_url:
        raise NotConfigured(
            f"No company registry is configured for this project: set the project secret {REGISTRY_URL_SECRET} to the "
            f"registry gateway's base URL (and {REGISTRY_TOKEN_SECRET} to its token) with POST /api/v1/external/secrets"
        )
    token = project_secret(db, who.project_id, REGISTRY_TOKEN_SECRET)
    hosts = [] if allow_private_urls else project_allowed_hosts(db, who.project_id)
    egress = EgressPolicy(allow_private=allow_private_urls, allowed_hosts=hosts)
    try:
        query = RegistryQuery(jurisdiction_code, registration_number, vendor)
        record = fetch_company(base_url, token, query, egress, timeout)
    except CompanyNotFound as exc:
        raise NotFound(f"No company was found: {exc}") from exc
    except RegistryFailed as exc:
        raise UpstreamFailed(f"The company registry failed: {exc}") from exc
    if json_problems(record):  # text JSON cannot carry on (a lone surrogate) or that nothing should (NUL)
        raise UpstreamFailed("The company registry failed: its answer holds text that cannot be passed on")
    return record
