"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from arabesque.api.deps import Db
from arabesque.api.errors import RETRY_AFTER_SECONDS, error_body
from arabesque.api.responses import Health
from arabesque.api.schemas import error_responses
from arabesque.app.health import database_ready

router = APIRouter(prefix="/api/v1/_health", tags=["health"], responses=error_responses(400))


@router.get("/live", response_model=Health)
def live() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/ready", response_model=Health, responses=error_responses(503))
def ready(db: Db) -> JSONResponse:
    if database_ready(db):
        return JSONResponse({"status": "ok"})
    return JSONResponse(
        error_body(503, "Database unreachable"), status_code=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)}
    )
