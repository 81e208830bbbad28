"""Response bodies of the JSON API (pydantic v2), so `/docs` shows every answer's shape.

The routes return the use cases' plain data; FastAPI checks it against these models and writes only the keys
the use case set (`response_model_exclude_unset`). Run and event answer through a `JSONResponse` (no check, no
encoder walk over a large context): their models only document them. JSON values a definition or a context
may hold anywhere are `Any`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

__all__ = [
    "Business",
    "BusinessInformation",
    "BusinessPage",
    "CreatedSubscription",
    "CurrentCustomer",
    "Definition",
    "DefinitionChange",
    "DefinitionPage",
    "DefinitionWithUi",
    "Delivery",
    "DeliveryAttempt",
    "DocumentsSchema",
    "EndUser",
    "EndUserPage",
    "EndUserWithBusiness",
    "EntityWorkflow",
    "Extensions",
    "FileMetadata",
    "Health",
    "HookAnswer",
    "JsonSchema",
    "PageMeta",
    "ProjectRef",
    "Redelivery",
    "RunResponse",
    "SecretName",
    "StoredFile",
    "Subscription",
    "Workflow",
    "WorkflowContext",
    "WorkflowPage",
    "WorkflowSummary",
]


class Health(BaseModel):
    status: Literal["ok"]


class PageMeta(BaseModel):
    total: int = Field(description="Every match, over all pages")
    pages: int


class RunResponse(BaseModel):
    workflowDefinitionId: str
    workflowRuntimeId: str
    ballerineEntityId: str
    entities: list[dict[str, Any]]


class HookAnswer(BaseModel):
    """A vendor callback taken: the runtime's state after its event (a replay gets the first answer again)."""

    workflowRuntimeId: str
    event: str
    state: str
    status: str


class WorkflowSummary(BaseModel):
    """A workflow runtime, as listed."""

    id: str
    projectId: str
    workflowDefinitionId: str
    workflowDefinitionName: str
    workflowDefinitionVersion: int
    state: str
    status: str = Field(description="active, completed or failed")
    tags: list[Any]
    context: dict[str, Any]
    config: dict[str, Any]
    businessId: str | None
    endUserId: str | None
    assigneeId: str | None
    assignedAt: str | None
    parentRuntimeDataId: str | None
    createdBy: str
    createdAt: str | None
    updatedAt: str | None
    resolvedAt: str | None


class Workflow(WorkflowSummary):
    """A workflow runtime, with the events it accepts now."""

    nextEvents: list[str] = Field(description="The events the current state accepts (none once it is finished)")


class WorkflowPage(BaseModel):
    results: list[WorkflowSummary]
    meta: PageMeta


class WorkflowContext(BaseModel):
    context: dict[str, Any]


class Definition(BaseModel):
    """A stored version of a workflow definition."""

    id: str
    name: str
    version: int
    displayName: str | None
    definitionType: str
    definition: dict[str, Any] = Field(description="The statechart: `initial`, `states`, ...")
    extensions: Any = Field(description="The plugins (apiPlugins, childWorkflowPlugins, ...), as stored")
    config: Any
    contextSchema: Any
    documentsSchema: Any
    isPublic: bool
    projectId: str | None = Field(description="None for a public definition")
    createdBy: str
    createdAt: str | None


class DefinitionPage(BaseModel):
    items: list[Definition]
    meta: PageMeta


class DefinitionWithUi(Definition):
    uiDefinitions: list[dict[str, Any]] = Field(description="Collection-flow screens (Ballerine's): none yet")


class DefinitionChange(BaseModel):
    """A change of a definition part, stored as a new version (running workflows keep theirs)."""

    count: int = Field(description="1: as Ballerine's `{count}` of rows changed")
    id: str = Field(description="The new version's id")
    name: str
    version: int


class Extensions(BaseModel):
    """A definition's plugins, as stored (every key kept)."""

    model_config = ConfigDict(extra="allow")
    apiPlugins: Any = None
    commonPlugins: Any = None
    childWorkflowPlugins: Any = None
    dispatchEventPlugins: Any = None


class JsonSchema(RootModel[dict[str, Any]]):
    """A JSON schema (`{}`: anything is valid)."""


class DocumentsSchema(RootModel[list[Any]]):
    """The document templates of a definition: `[{category, type, issuer, propertiesSchema, ...}]`."""


class _Entity(BaseModel):
    id: str
    projectId: str
    correlationId: str
    approvalState: str
    data: dict[str, Any]
    createdAt: str | None
    updatedAt: str | None


class Business(_Entity):
    companyName: str


class EndUser(_Entity):
    firstName: str
    lastName: str
    email: str | None


class BusinessPage(BaseModel):
    items: list[Business]
    meta: PageMeta


class EndUserPage(BaseModel):
    items: list[EndUser]
    meta: PageMeta


class EndUserWithBusiness(BaseModel):
    endUserId: str
    businessId: str


class EntityWorkflow(BaseModel):
    workflowRuntimeData: WorkflowSummary
    workflowDefinition: Definition


class BusinessInformation(BaseModel):
    """The registry's record of the company, as the registry sent it (Ballerine's usual fields below)."""

    model_config = ConfigDict(extra="allow")
    name: Any = None
    companyNumber: Any = None
    companyType: Any = None
    jurisdictionCode: Any = None
    incorporationDate: Any = None
    currentStatus: Any = None
    vat: Any = None


class StoredFile(BaseModel):
    id: str
    fileName: str
    mimeType: str
    size: int = Field(description="Bytes")


class FileMetadata(StoredFile):
    projectId: str
    sha256: str = Field(description="Of the file's bytes, hex")
    createdBy: str
    createdAt: str | None


class SecretName(BaseModel):
    """A project secret, named: its value is never returned."""

    name: str
    updatedAt: str | None


class ProjectRef(BaseModel):
    id: str
    name: str
    createdAt: str | None


class CurrentCustomer(BaseModel):
    """The customer of the calling API key, and the key's project."""

    id: str
    name: str
    displayName: str
    createdAt: str | None
    project: ProjectRef


class Subscription(BaseModel):
    id: str
    url: str
    events: list[str]
    description: str
    createdAt: str | None


class CreatedSubscription(Subscription):
    secret: str = Field(description="The signing secret (`whsec_...`, Standard Webhooks): shown this once")


class DeliveryAttempt(BaseModel):
    attempt: int
    statusCode: int | None = Field(description="The receiver's answer; None when there was none")
    error: str | None
    latencyMs: int
    at: str | None
    nextRetryAt: str | None


class Delivery(BaseModel):
    id: str
    eventName: str
    workflowRuntimeId: str
    status: str = Field(description="pending, running, done or dead")
    attempts: list[DeliveryAttempt]
    nextAttemptAt: str | None
    createdAt: str | None
    lastError: str | None


class Redelivery(BaseModel):
    id: str
    status: Literal["pending"]
