"""Entities: a business or an end user, by id or by correlation id."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from arabesque.api.deps import Caller, Db
from arabesque.api.responses import Business, EndUser
from arabesque.api.schemas import error_responses
from arabesque.app.entities.queries import get_business, get_end_user

router = APIRouter(prefix="/api/v1/external", tags=["entities"], responses=error_responses(400, 401, 404, 503))


@router.get("/businesses/{key}", response_model=Business, response_model_exclude_unset=True)
def business(key: str, who: Caller, db: Db) -> dict[str, Any]:
    return get_business(db, who, key)


@router.get("/end-users/{key}", response_model=EndUser, response_model_exclude_unset=True)
def end_user(key: str, who: Caller, db: Db) -> dict[str, Any]:
    return get_end_user(db, who, key)
