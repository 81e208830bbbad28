"""Request bodies of the JSON API (pydantic v2), the error shape, and the OpenAPI helpers the routers share
(response bodies: `responses.py`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field, JsonValue

__all__ = [
    "MAX_LIMIT",
    "MAX_PAGE",
    "DecisionRequest",
    "ErrorBody",
    "ErrorItem",
    "EventRequest",
    "PatchWorkflowRequest",
    "RegistryField",
    "RunRequest",
    "UpgradeDefinitionRequest",
    "error_responses",
    "links",
]

# Paging bounds of the list routes: the offset, (page - 1) x limit, stays below 10^8, well within what
# both databases take (a 64-bit OFFSET), and a request past it is a 400 naming `query.page`.
MAX_PAGE = 1_000_000
MAX_LIMIT = 100
# A company registry lookup's query parameter (registration number, country or jurisdiction, vendor).
RegistryField = Annotated[str, Query(min_length=1, max_length=200)]


class ErrorItem(BaseModel):
    path: str = Field(description="Where the problem is: `query.page`, `path.runtime_id`, `context.entity.id`...")
    message: str


class ErrorBody(BaseModel):
    """Every error answer of the API."""

    statusCode: int
    message: str
    errors: list[ErrorItem] | None = Field(default=None, description="Every problem, when there are several.")


_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before retrying", "schema": {"type": "integer"}}}
_MEANINGS = {
    400: "Invalid input: a malformed body, a value out of range, a NUL character or a lone surrogate; "
    "`errors` names the path of every problem",
    401: "Missing or malformed `Authorization` header; unknown, expired or revoked API key",
    403: "The caller may not do this (e.g. a collection-flow token sending a reviewer's event)",
    404: "No such resource in the caller's project",
    409: "The resource's state refuses the request (e.g. an event on a completed workflow), or a concurrent "
    "change won; retry",
    413: "The body (or the uploaded file) is over the limit",
    422: "The `Idempotency-Key` was already used with a different request",
    501: "The project lacks what this request needs (e.g. no company registry among its secrets)",
    502: "A service this request relies on failed (e.g. the company registry did not answer, or answered an error)",
    503: "The database is unavailable; retry after `Retry-After` seconds",
}


def links(status: int, field: str, param: str, *targets: tuple[str, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI links from the `status` response's `field` to the `param` of each (method, path) target: how a
    client (or a stateful fuzzer) goes from a created resource to the operations on it."""
    out: dict[str, Any] = {}
    for method, path in targets:
        name = f"{method.lower()}{path.rsplit('}', 1)[-1].replace('/', '_').replace('-', '_') or '_resource'}"
        ref = "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method.lower()
        out[name] = {"operationRef": ref, "parameters": {param: f"$response.body#/{field}"}}
    return {status: {"links": out}}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for these error statuses, each with the error shape as its model."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        out[status] = {"model": ErrorBody, "description": _MEANINGS[status]}
        if status == 503:
            out[status]["headers"] = _RETRY_AFTER
    return out


# The README's quickstart request (examples/requests/run-seed.json), over a definition `serve` loads on first
# start: the documented example runs for real (so do schemathesis's example-phase requests).
_RUN_EXAMPLE: dict[str, JsonValue] = {
    "workflowId": "till_basic_kyb_demo",
    "context": {
        "entity": {
            "type": "business",
            "id": "my-enduser-id111",
            "data": {
                "country": "US",
                "registrationNumber": "756OPOPOP08238",
                "companyName": "TILL COMPANY LIMITED",
                "additionalInfo": {
                    "mainRepresentative": {"email": "email@ballerine.com", "lastName": "Last", "firstName": "First"}
                },
            },
        },
        "documents": [],
    },
}


class RunRequest(BaseModel):
    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [_RUN_EXAMPLE]})
    workflowId: str = Field(min_length=1, description="A definition id or name; its latest version runs.")
    context: dict[str, Any] = Field(description="The initial context: entity, documents, ...")
    config: dict[str, Any] | None = Field(default=None, description="Merged over the definition's config.")


class EventRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "approve"}]})
    name: str = Field(min_length=1)
    payload: dict[str, Any] | None = None


class PatchWorkflowRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tags: list[str] | None = None
    assigneeId: str | None = None
    context: dict[str, Any] | None = None


class DecisionRequest(BaseModel):
    decision: Literal["approve", "reject", "revision"]
    reason: str | None = None
    comment: str | None = None


class UpgradeDefinitionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    definition: dict[str, Any] | None = None
    extensions: dict[str, Any] | None = None
    config: dict[str, Any] | None = None
    contextSchema: dict[str, Any] | None = None
    documentsSchema: list[Any] | None = None
    displayName: str | None = None
    uiDefinition: dict[str, Any] | None = Field(
        default=None, description="The collection flow's UI definition for the new version (else the latest's is kept)"
    )
