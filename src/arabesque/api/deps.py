"""Request dependencies: the database, the file directory and the authenticated principal."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Header, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from arabesque.app.access.api_keys import authenticate
from arabesque.app.access.principal import ApiKeyCredentials, Principal, credentials
from arabesque.app.entities.business_information import REGISTRY_TIMEOUT
from arabesque.app.files.remote_pages import PAGE_TIMEOUT, PageSources
from arabesque.store import Database

__all__ = [
    "Caller",
    "Db",
    "FilesDir",
    "IdempotencyKey",
    "KeyCaller",
    "Outbound",
    "OutboundOptions",
    "Pages",
    "pages_for",
]


@dataclass(frozen=True)
class OutboundOptions:
    """How the API's own outbound calls (the company registry) are made: whether they may reach private addresses
    (as `ARABESQUE_ALLOW_PRIVATE_URLS` lets plugin calls), and how long one may take."""

    allow_private_urls: bool = False
    registry_timeout: float = REGISTRY_TIMEOUT
    page_timeout: float = PAGE_TIMEOUT  # one document page fetched for `/run` or PATCH


# The dependencies that do no I/O are `async`: FastAPI runs a plain `def` dependency in the threadpool,
# one thread hop per dependency per request.
async def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def _files_dir(request: Request) -> Path:
    path: Path = request.app.state.files_dir
    return path


# Documents the API key as the OpenAPI security scheme (clients and fuzzers then know every operation needs
# it); it never refuses by itself: the header is read whole below, so each 401 says what is wrong with it.
_bearer = HTTPBearer(auto_error=False, scheme_name="apiKey", description="An API key: `Authorization: Bearer arb_...`")
Bearer = Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)]


def _principal(request: Request, _documented: Bearer) -> Principal:
    return authenticate(request.app.state.db, request.headers.get("authorization"))


async def _credentials(request: Request, _documented: Bearer) -> ApiKeyCredentials:
    """The header checked for shape only; the key itself is looked up by the use case, in its own transaction
    (run and event: one transaction and one connection per request)."""
    return credentials(request.headers.get("authorization"))


async def _outbound(request: Request) -> OutboundOptions:
    options: OutboundOptions = request.app.state.outbound
    return options


def pages_for(files_dir: Path, outbound: OutboundOptions) -> PageSources:
    """Where `/run` and PATCH may copy document pages from: the same egress rule as the registry calls."""
    return PageSources(files_dir, allow_private_urls=outbound.allow_private_urls, timeout=outbound.page_timeout)


async def _pages(request: Request) -> PageSources:
    return pages_for(request.app.state.files_dir, request.app.state.outbound)


Db = Annotated[Database, Depends(_db)]
FilesDir = Annotated[Path, Depends(_files_dir)]
Caller = Annotated[Principal, Depends(_principal)]
KeyCaller = Annotated[ApiKeyCredentials, Depends(_credentials)]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key")]
Outbound = Annotated[OutboundOptions, Depends(_outbound)]
Pages = Annotated[PageSources, Depends(_pages)]
