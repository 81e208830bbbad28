"""Webhook subscriptions, their delivery log and redelivery."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from arabesque.api.deps import Caller, Db
from arabesque.api.responses import CreatedSubscription, Delivery, Redelivery, Subscription
from arabesque.api.schemas import error_responses, links
from arabesque.app.webhooks.subscriptions import (
    create_subscription,
    delete_subscription,
    list_deliveries,
    list_subscriptions,
    redeliver,
)

router = APIRouter(prefix="/api/v1/external", tags=["webhooks"], responses=error_responses(400, 401, 503))


class SubscriptionRequest(BaseModel):
    url: str = Field(min_length=1, max_length=2048, description="http(s) URL that receives the events")
    events: list[str] = Field(description="`workflow.created`, `workflow.state.changed`, ... or `*`")
    description: str = Field(default="", max_length=500)


_TO_SUBSCRIPTION = links(
    201,
    "id",
    "subscription_id",
    ("GET", "/api/v1/external/webhooks/{subscription_id}/deliveries"),
    ("DELETE", "/api/v1/external/webhooks/{subscription_id}"),
)


@router.post(
    "/webhooks",
    status_code=201,
    response_model=CreatedSubscription,
    responses=error_responses(413) | _TO_SUBSCRIPTION,
    response_model_exclude_unset=True,
)
def create(body: SubscriptionRequest, who: Caller, db: Db) -> dict[str, Any]:
    return create_subscription(db, who, body.url, body.events, body.description)


@router.get("/webhooks", response_model=list[Subscription], response_model_exclude_unset=True)
def list_(who: Caller, db: Db) -> list[dict[str, Any]]:
    return list_subscriptions(db, who)


@router.delete("/webhooks/{subscription_id}", status_code=204, responses=error_responses(404))
def delete(subscription_id: str, who: Caller, db: Db) -> Response:
    delete_subscription(db, who, subscription_id)
    return Response(status_code=204)


@router.get(
    "/webhooks/{subscription_id}/deliveries",
    response_model=list[Delivery],
    responses=error_responses(404),
    response_model_exclude_unset=True,
)
def deliveries(subscription_id: str, who: Caller, db: Db) -> list[dict[str, Any]]:
    return list_deliveries(db, who, subscription_id)


@router.post(
    "/webhooks/{subscription_id}/deliveries/{delivery_id}/redeliver",
    status_code=202,
    response_model=Redelivery,
    responses=error_responses(404),
    response_model_exclude_unset=True,
)
def redeliver_(subscription_id: str, delivery_id: str, who: Caller, db: Db) -> dict[str, Any]:
    return redeliver(db, who, subscription_id, delivery_id)
