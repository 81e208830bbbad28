"""The external workflow API: run, events, reads, PATCH, document decisions."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from arabesque.api.deps import Caller, Db, IdempotencyKey, KeyCaller, Pages
from arabesque.api.responses import RunResponse, Workflow, WorkflowContext, WorkflowPage
from arabesque.api.schemas import (
    MAX_LIMIT,
    MAX_PAGE,
    DecisionRequest,
    EventRequest,
    PatchWorkflowRequest,
    RunRequest,
    error_responses,
    links,
)
from arabesque.app.workflows.decide_document import decide_document
from arabesque.app.workflows.patch_workflow import patch_workflow
from arabesque.app.workflows.queries import get_context, get_workflow, list_workflows
from arabesque.app.workflows.run_workflow import run_workflow
from arabesque.app.workflows.send_event import send_event
from arabesque.observability.logs import annotate

router = APIRouter(prefix="/api/v1/external/workflows", tags=["workflows"], responses=error_responses(400, 401, 503))

OrderBy = Literal["createdAt", "updatedAt", "resolvedAt", "status", "state", "workflowDefinitionName"]


# run and event return a JSONResponse: FastAPI then skips its `jsonable_encoder` walk over the body (a
# runtime's context can be large) and the response-model check; `response_model` still documents it.
_TO_RUNTIME = links(
    200,
    "workflowRuntimeId",
    "runtime_id",
    ("GET", "/api/v1/external/workflows/{runtime_id}"),
    ("GET", "/api/v1/external/workflows/{runtime_id}/context"),
    ("POST", "/api/v1/external/workflows/{runtime_id}/event"),
    ("PATCH", "/api/v1/external/workflows/{runtime_id}"),
)


@router.post("/run", response_model=RunResponse, responses=error_responses(404, 413, 422) | _TO_RUNTIME)
def run(body: RunRequest, who: KeyCaller, db: Db, pages: Pages, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Document pages given by `uri` (`https://`, `data:<type>;base64,`) are copied into the file store first; a
    page that cannot be is a 400 naming `context.documents[i].pages[j].uri`, and then nothing is created."""
    result = run_workflow(db, who, body.model_dump(exclude_unset=True), idempotency_key, pages)
    annotate(runtime_id=result.get("workflowRuntimeId"))  # in the request's log line
    return JSONResponse(result)


@router.get("", response_model=WorkflowPage, response_model_exclude_unset=True)
def list_(
    who: Caller,
    db: Db,
    status: Annotated[list[Literal["active", "completed", "failed"]] | None, Query()] = None,
    workflowDefinitionId: str | None = None,
    entityId: str | None = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    orderBy: OrderBy = "createdAt",
    orderDirection: Literal["asc", "desc"] = "desc",
) -> dict[str, Any]:
    return list_workflows(
        db,
        who,
        statuses=list(status or []),
        definition=workflowDefinitionId,
        entity_id=entityId,
        page=page,
        limit=limit,
        order_by=orderBy,
        order_direction=orderDirection,
    )


@router.get("/{runtime_id}", response_model=Workflow, responses=error_responses(404), response_model_exclude_unset=True)
def get(runtime_id: str, who: Caller, db: Db) -> dict[str, Any]:
    return get_workflow(db, who, runtime_id)


@router.get(
    "/{runtime_id}/context",
    response_model=WorkflowContext,
    responses=error_responses(404),
    response_model_exclude_unset=True,
)
def context(runtime_id: str, who: Caller, db: Db) -> dict[str, Any]:
    return get_context(db, who, runtime_id)


@router.post("/{runtime_id}/event", response_model=Workflow, responses=error_responses(404, 409, 413, 422))
def event(
    runtime_id: str, body: EventRequest, who: KeyCaller, db: Db, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    return JSONResponse(send_event(db, who, runtime_id, body.name, body.payload, idempotency_key))


@router.post("/{runtime_id}/send-event", response_model=Workflow, responses=error_responses(404, 409, 413, 422))
def send_event_alias(
    runtime_id: str, body: EventRequest, who: KeyCaller, db: Db, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    return JSONResponse(send_event(db, who, runtime_id, body.name, body.payload, idempotency_key))


@router.patch(
    "/{runtime_id}",
    response_model=Workflow,
    responses=error_responses(404, 409, 413),
    response_model_exclude_unset=True,
)
def patch(runtime_id: str, body: PatchWorkflowRequest, who: Caller, db: Db, pages: Pages) -> dict[str, Any]:
    """`context` is merged in; its document pages given by `uri` are copied into the file store first, as on `/run`."""
    return patch_workflow(db, who, runtime_id, body.model_dump(exclude_unset=True), pages)


@router.patch(
    "/{runtime_id}/decision/{document_id}",
    response_model=Workflow,
    responses=error_responses(404, 409, 413),
    response_model_exclude_unset=True,
)
def decision(runtime_id: str, document_id: str, body: DecisionRequest, who: Caller, db: Db) -> dict[str, Any]:
    return decide_document(db, who, runtime_id, document_id, body.decision, body.reason, body.comment)
