"""Vendor callbacks (`POST /external/workflows/{id}/hook/{event}`): signed with `X-HMAC-Signature`, the hex
HMAC-SHA256 of the raw body keyed with the project secret `UNIFIED_API_SHARED_SECRET` (no API key)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Security
from fastapi.security import APIKeyHeader

from arabesque.api.deps import Db, Pages
from arabesque.api.responses import HookAnswer
from arabesque.api.schemas import error_responses
from arabesque.app.workflows.hook_response import MAX_DESTINATION_CHARS
from arabesque.app.workflows.vendor_hook import VendorCallback, receive_callback

router = APIRouter(prefix="/api/v1/external/workflows", tags=["workflows"])

# Documents the signature as the operation's security scheme (a client, or a fuzzer, then knows it is needed);
# it refuses nothing by itself: the use case checks it against the raw body.
_signature = APIKeyHeader(
    name="X-HMAC-Signature",
    scheme_name="hmacSignature",
    auto_error=False,
    description="Hex HMAC-SHA256 of the raw request body, keyed with the project secret `UNIFIED_API_SHARED_SECRET`",
)
Signature = Annotated[str | None, Security(_signature)]


async def _raw_body(request: Request) -> bytes:
    """The body as received (BodyLimit has bounded it): the signature is of these bytes, not of a re-encoding."""
    return await request.body()


async def _signatures(request: Request, _documented: Signature) -> list[str]:
    return request.headers.getlist("x-hmac-signature")


RawBody = Annotated[bytes, Depends(_raw_body)]
Signatures = Annotated[list[str], Depends(_signatures)]

_BODY = {
    "requestBody": {
        "required": False,
        "description": "The vendor's payload: a JSON object or array (an empty body is `{}`)",
        "content": {"application/json": {"schema": {"anyOf": [{"type": "object"}, {"type": "array"}]}}},
    }
}
_401: dict[int | str, dict[str, Any]] = {
    401: {
        **error_responses(401)[401],
        "description": "A missing, repeated or wrong `X-HMAC-Signature`; no `UNIFIED_API_SHARED_SECRET` in the "
        "runtime's project; or no such runtime (the same answer, so that nothing is learnt without the secret)",
    }
}


@router.post(
    "/{runtime_id}/hook/{event}",
    response_model=HookAnswer,
    responses=error_responses(400, 404, 409, 413, 503) | _401,
    openapi_extra=_BODY,
)
def hook(
    runtime_id: str,
    event: str,
    body: RawBody,
    signatures: Signatures,
    db: Db,
    files: Pages,
    resultDestination: Annotated[str | None, Query(max_length=MAX_DESTINATION_CHARS)] = None,
    processName: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    """Merge the vendor's result into the context at `resultDestination` (default `hookResponse`; normalised per
    `processName` as Ballerine does), then send `event`, in one transaction. The same body and event for the
    same runtime within 24 hours is answered as the first time, with no second effect."""
    callback = VendorCallback(runtime_id, event, body, signatures, resultDestination, processName)
    return receive_callback(db, callback, files)
