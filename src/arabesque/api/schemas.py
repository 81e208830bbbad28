"""Request and response bodies of the JSON API (pydantic v2)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "MAX_LIMIT",
    "MAX_PAGE",
    "DecisionRequest",
    "EventRequest",
    "PatchWorkflowRequest",
    "RunRequest",
    "RunResponse",
    "UpgradeDefinitionRequest",
]

# Paging bounds of the list routes: the offset, (page - 1) x limit, stays below 10^8, well within what
# both databases take (a 64-bit OFFSET), and a request past it is a 400 naming `query.page`.
MAX_PAGE = 1_000_000
MAX_LIMIT = 100


class RunRequest(BaseModel):
    model_config = ConfigDict(extra="allow")
    workflowId: str = Field(min_length=1, description="A definition id or name; its latest version runs.")
    context: dict[str, Any] = Field(description="The initial context: entity, documents, ...")
    config: dict[str, Any] | None = Field(default=None, description="Merged over the definition's config.")


class RunResponse(BaseModel):
    workflowDefinitionId: str
    workflowRuntimeId: str
    ballerineEntityId: str
    entities: list[dict[str, Any]]


class EventRequest(BaseModel):
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
