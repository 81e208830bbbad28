"""Request dependencies: the database, the file directory and the authenticated principal."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import Depends, Header, Request

from arabesque.app.api_keys import authenticate
from arabesque.app.errors import Unauthorized
from arabesque.app.principal import ApiKeyCredentials, Principal
from arabesque.store import Database

__all__ = ["Caller", "Db", "FilesDir", "IdempotencyKey", "KeyCaller"]


# The dependencies that do no I/O are `async`: FastAPI runs a plain `def` dependency in the threadpool,
# one thread hop per dependency per request.
async def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def _files_dir(request: Request) -> Path:
    path: Path = request.app.state.files_dir
    return path


def _principal(request: Request, authorization: Annotated[str | None, Header()] = None) -> Principal:
    return authenticate(request.app.state.db, authorization)


async def _credentials(authorization: Annotated[str | None, Header()] = None) -> ApiKeyCredentials:
    """The header checked for shape only (401 as `authenticate` words it); the key itself is looked up by
    the use case, in its own transaction (run and event: one transaction and one connection per request)."""
    if not authorization:
        raise Unauthorized("Missing Authorization header")
    scheme, _, key = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise Unauthorized("Authorization must be 'Bearer <api key>'")
    return ApiKeyCredentials(key.strip())


Db = Annotated[Database, Depends(_db)]
FilesDir = Annotated[Path, Depends(_files_dir)]
Caller = Annotated[Principal, Depends(_principal)]
KeyCaller = Annotated[ApiKeyCredentials, Depends(_credentials)]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key")]
