"""Request and response models of the collection-flow routes (`collection_flow.py`, `collection_flow_links.py`)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from arabesque.app.collection_flow.tokens import MAX_EXPIRY_DAYS

__all__ = [
    "ActiveFlow",
    "CollectionFlowToken",
    "CollectionFlowUrl",
    "CreateTokenRequest",
    "FlowConfiguration",
    "FlowContext",
    "FlowCustomer",
    "FlowEndUserRequest",
    "FlowEventRequest",
    "FlowLanguageRequest",
    "FlowSyncContextRequest",
    "FlowSyncRequest",
]


class CreateTokenRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"workflowRuntimeDataId": "<runtime id>", "endUserId": "<end user id>"}]}
    )
    workflowRuntimeDataId: str = Field(min_length=1, max_length=64, description="A workflow of your project")
    endUserId: str = Field(min_length=1, max_length=64, description="An end user of your project: the token's holder")
    expiry: int | None = Field(
        default=None, ge=0, le=MAX_EXPIRY_DAYS, description="Days the token is valid; 0 or absent: 30"
    )


class CollectionFlowToken(BaseModel):
    token: str = Field(description="Shown once; only its hash is stored")


class CollectionFlowUrl(CollectionFlowToken):
    collectionFlowUrl: str = Field(description="`{ARABESQUE_PUBLIC_URL}/collection-flow?token=...`")


class FlowCustomer(BaseModel):
    """The customer whose project the link belongs to, as the pages show it."""

    id: str
    name: str
    displayName: str
    logoImageUri: str | None = None
    faviconImageUri: str | None = None
    websiteUrl: str | None = None
    language: str | None = None
    country: str | None = None
    createdAt: str | None = None


class FlowContext(BaseModel):
    context: dict[str, Any]
    state: str
    config: dict[str, Any]
    revision: dict[str, Any] = Field(
        description="`{isRevision, startPage, pages: [{stateName, number, documents: {<id>: <reason>}}]}`: the pages "
        "a reviewer's revision request re-opened"
    )


class ActiveFlow(BaseModel):
    result: dict[str, Any]


class FlowConfiguration(BaseModel):
    """The UI definition in the language asked for (Ballerine's `configuration/:language`)."""

    id: str = Field(description="The workflow definition's id")
    config: dict[str, Any] = Field(description="The workflow definition's config")
    uiOptions: dict[str, Any] | None = None
    uiSchema: dict[str, Any] = Field(description="`{elements: <pages, translated>, theme}`")
    definition: dict[str, Any] | None = Field(default=None, description="The browser statechart and its plugins")
    language: str = Field(description="The language served (English when the UI definition has no such locale)")
    languages: list[str] = Field(description="The languages the UI definition is written in")


class FlowLanguageRequest(BaseModel):
    language: str = Field(pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?$", description="e.g. `en`, `de`, `pt-BR`")


class FlowSyncRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"data": {"context": {"flowConfig": {}}}}]})
    data: dict[str, Any] = Field(
        min_length=1,
        description="`{context?, endUser?, business?}`: the context's `entity.data`, `documents` and `flowConfig` "
        "are written (other keys are kept as stored), the end user's and the business's fields",
    )


class FlowSyncContextRequest(BaseModel):
    context: dict[str, Any] = Field(
        description="Deep-merged (arrays of objects by `id`): `entity`, `documents`, `flowConfig`"
    )


class FlowEventRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"eventName": "COLLECTION_FLOW_FINISHED"}]})
    eventName: str = Field(min_length=1, max_length=200)


class FlowEndUserRequest(BaseModel):
    model_config = ConfigDict(extra="allow")
    firstName: str = Field(min_length=1, max_length=200)
    lastName: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=100)
    dateOfBirth: str | None = Field(default=None, max_length=40)
    avatarUrl: str | None = Field(default=None, max_length=2000)
    additionalInfo: dict[str, Any] | None = None
