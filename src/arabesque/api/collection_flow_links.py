"""Collection-flow links for a workflow, with an API key (`/api/v1/external/workflows/create-token` and
`/create-collection-flow-url`, reference §1.3b/c): the body shapes and answers of Ballerine, HTTP 200."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from arabesque.api.collection_flow_models import CollectionFlowToken, CollectionFlowUrl, CreateTokenRequest
from arabesque.api.deps import Db, KeyCaller
from arabesque.api.schemas import error_responses
from arabesque.app.collection_flow.create_token import create_collection_flow_token

router = APIRouter(
    prefix="/api/v1/external/workflows", tags=["collection flow"], responses=error_responses(400, 401, 503)
)


@router.post("/create-collection-flow-url", response_model=CollectionFlowUrl, responses=error_responses(404, 409, 413))
def create_url(body: CreateTokenRequest, who: KeyCaller, db: Db) -> dict[str, Any]:
    """A token for the workflow's end user and its link, `{ARABESQUE_PUBLIC_URL}/collection-flow?token=...`; 404
    for a workflow or end user outside your project, 409 for a finished workflow."""
    issued = create_collection_flow_token(db, who, body.workflowRuntimeDataId, body.endUserId, body.expiry)
    return {"token": issued.token, "collectionFlowUrl": issued.url}


@router.post("/create-token", response_model=CollectionFlowToken, responses=error_responses(404, 409, 413))
def create_token(body: CreateTokenRequest, who: KeyCaller, db: Db) -> dict[str, Any]:
    """A token for the workflow's end user (as `create-collection-flow-url`, without the link)."""
    issued = create_collection_flow_token(db, who, body.workflowRuntimeDataId, body.endUserId, body.expiry)
    return {"token": issued.token}
