"""The customer and project of the calling API key."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from arabesque.api.deps import Caller, Db
from arabesque.api.responses import CurrentCustomer
from arabesque.api.schemas import error_responses
from arabesque.app.customers.queries import current_customer

router = APIRouter(prefix="/api/v1/external/customers", tags=["customers"], responses=error_responses(400, 401, 503))


@router.get("/me", response_model=CurrentCustomer, responses=error_responses(404), response_model_exclude_unset=True)
def me(who: Caller, db: Db) -> dict[str, Any]:
    return current_customer(db, who)
