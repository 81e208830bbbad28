"""Request dependencies: the database, the file directory and the authenticated principal."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import Depends, Header, Request

from arabesque.app.api_keys import authenticate
from arabesque.app.principal import Principal
from arabesque.store import Database

__all__ = ["Caller", "Db", "FilesDir", "IdempotencyKey"]


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _files_dir(request: Request) -> Path:
    path: Path = request.app.state.files_dir
    return path


def _principal(request: Request, authorization: Annotated[str | None, Header()] = None) -> Principal:
    return authenticate(request.app.state.db, authorization)


Db = Annotated[Database, Depends(_db)]
FilesDir = Annotated[Path, Depends(_files_dir)]
Caller = Annotated[Principal, Depends(_principal)]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key")]
