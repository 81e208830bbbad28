"""The collection-flow API (`/api/v1/collection-flow/...`, reference §2): for clients that bring their own end-user
front end. Every route takes the flow's token (`Authorization: Bearer <token>`) and reaches only its runtime; an
invalid, expired or revoked token is a 401 with no data. The use cases are `app/collection_flow/`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Security, UploadFile
from fastapi.params import File as FileParam
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from arabesque.api.collection_flow_models import (
    ActiveFlow,
    FlowConfiguration,
    FlowContext,
    FlowCustomer,
    FlowEndUserRequest,
    FlowEventRequest,
    FlowLanguageRequest,
    FlowSyncContextRequest,
    FlowSyncRequest,
)
from arabesque.api.deps import Db, FilesDir, Outbound
from arabesque.api.files import read_upload
from arabesque.api.responses import BusinessInformation, EndUser, FileMetadata, StoredFile, Workflow
from arabesque.api.schemas import RegistryField, error_responses
from arabesque.app.access.principal import Principal
from arabesque.app.collection_flow.access import ACTOR, resolve_token, token_of_header
from arabesque.app.collection_flow.end_user import update_flow_end_user
from arabesque.app.collection_flow.events import resubmit, send_flow_event
from arabesque.app.collection_flow.files import flow_file_metadata, upload_flow_file
from arabesque.app.collection_flow.queries import (
    flow_active,
    flow_configuration,
    flow_context,
    flow_customer,
    flow_user,
)
from arabesque.app.collection_flow.sync import set_language, sync_flow, sync_flow_context
from arabesque.app.entities.business_information import business_information

router = APIRouter(prefix="/api/v1/collection-flow", tags=["collection flow"], responses=error_responses(400, 401, 503))

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="collectionFlowToken",
    description="The token of a collection-flow link: `Authorization: Bearer <token>`",
)


async def _token(
    request: Request, _documented: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)]
) -> str:
    """The raw token of the header (checked by each use case, in its own transaction)."""
    return token_of_header(request.headers.get("authorization"))


Token = Annotated[str, Depends(_token)]
_WRITE = error_responses(403, 404, 409, 413)


@router.get("/customer", response_model=FlowCustomer, responses=error_responses(404))
def customer(token: Token, db: Db) -> dict[str, Any]:
    return flow_customer(db, token)


@router.get("/user", response_model=EndUser, responses=error_responses(404))
def user(token: Token, db: Db) -> dict[str, Any]:
    return flow_user(db, token)


@router.get("/active-flow", response_model=ActiveFlow, responses=error_responses(404))
def active_flow(token: Token, db: Db) -> dict[str, Any]:
    return flow_active(db, token)


@router.get("/context", response_model=FlowContext, responses=error_responses(404))
def context(token: Token, db: Db) -> dict[str, Any]:
    return flow_context(db, token)


@router.get(
    "/configuration/{language}",
    response_model=FlowConfiguration,
    responses=error_responses(404),
    response_model_exclude_none=True,
)
def configuration(
    language: Annotated[str, Path(pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?$")], token: Token, db: Db
) -> dict[str, Any]:
    return flow_configuration(db, token, language)


@router.put("/language", response_model=Workflow, responses=_WRITE)
def language(body: FlowLanguageRequest, token: Token, db: Db) -> JSONResponse:
    return JSONResponse(set_language(db, token, body.language))


@router.put("/sync", response_model=Workflow, responses=_WRITE)
def sync(body: FlowSyncRequest, token: Token, db: Db) -> JSONResponse:
    return JSONResponse(sync_flow(db, token, body.data))


@router.patch("/sync/context", response_model=Workflow, responses=_WRITE)
def sync_context(body: FlowSyncContextRequest, token: Token, db: Db) -> JSONResponse:
    return JSONResponse(sync_flow_context(db, token, body.context))


@router.post("/send-event", status_code=201, response_model=Workflow, responses=_WRITE)
def send_event(body: FlowEventRequest, token: Token, db: Db) -> JSONResponse:
    """Only the events the flow's UI definition sends (e.g. `COLLECTION_FLOW_FINISHED`); a reviewer's decision
    (`approve`, `reject`, `revision`...) is a 403."""
    return JSONResponse(send_flow_event(db, token, body.eventName), status_code=201)


@router.post("/resubmit", status_code=201, response_model=Workflow, responses=_WRITE)
def resubmit_(token: Token, db: Db) -> JSONResponse:
    """`RESUBMITTED`: the end user has answered a revision request; the workflow goes back to review."""
    return JSONResponse(resubmit(db, token), status_code=201)


@router.post("/end-user", status_code=201, response_model=EndUser, responses=error_responses(404, 409, 413))
def end_user(body: FlowEndUserRequest, token: Token, db: Db) -> dict[str, Any]:
    return update_flow_end_user(db, token, body.model_dump(exclude_unset=True))


@router.get(
    "/business/business-information",
    response_model=BusinessInformation,
    responses=error_responses(404, 501, 502),
    response_model_exclude_unset=True,
)
def business(
    token: Token,
    db: Db,
    outbound: Outbound,
    registrationNumber: RegistryField,
    countryCode: RegistryField,
    state: Annotated[str | None, Query(max_length=50)] = None,
    vendor: RegistryField = "open-corporates",
) -> dict[str, Any]:
    """The company's record from the project's registry gateway (as `/external/businesses/business-information`)."""
    access = resolve_token(db, token)
    jurisdiction = f"{countryCode}-{state}" if state else countryCode
    return business_information(
        db,
        Principal(access.project_id, ACTOR),
        jurisdiction,
        registrationNumber,
        vendor,
        allow_private_urls=outbound.allow_private_urls,
        timeout=outbound.registry_timeout,
    )


@router.post(
    "/files",
    status_code=201,
    response_model=StoredFile,
    responses=error_responses(413),
    response_model_exclude_unset=True,
)
def upload(file: Annotated[UploadFile, FileParam()], token: Token, db: Db, files_dir: FilesDir) -> dict[str, Any]:
    """A document file for the flow's runtime (the limits and types of `/external/storage`); the name is reduced to
    a plain label. The context is not changed: the client refers to the file's `id` in its documents and syncs."""
    name, mime_type, content = read_upload(file)
    return upload_flow_file(db, files_dir, token, name, mime_type, content)


@router.get("/files/{file_id}", response_model=FileMetadata, responses=error_responses(404))
def file_metadata(file_id: str, token: Token, db: Db) -> dict[str, Any]:
    """A file the flow uploaded, or one its runtime's documents refer to; any other is a 404."""
    return flow_file_metadata(db, token, file_id)
