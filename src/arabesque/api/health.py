"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from arabesque.api.deps import Db
from arabesque.api.errors import RETRY_AFTER_SECONDS, error_body
from arabesque.app.health import database_ready

router = APIRouter(prefix="/api/v1/_health", tags=["health"])


@router.get("/live")
def live() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/ready", responses={503: {"description": "The database is unreachable"}})
def ready(db: Db) -> JSONResponse:
    if database_ready(db):
        return JSONResponse({"status": "ok"})
    return JSONResponse(
        error_body(503, "Database unreachable"), status_code=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)}
    )
