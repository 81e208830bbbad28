"""Storage: SQLAlchemy models, migrations, sessions; the unit of work of the use cases that change runtimes
(`Transaction`) with its repositories (`Runtimes`, `Entities`, `Subscriptions`); the outbox queue (`store.outbox`)
and what it holds, for the metrics (`store.outbox_stats`)."""

from arabesque.store.collection_flow import CollectionFlowToken, UiDefinition
from arabesque.store.db import (
    RETRY_AFTER_SECONDS,
    UNAVAILABLE_ERRORS,
    database_unavailable,
    make_engine,
    upgrade,
)
from arabesque.store.entities import Entities, EntityKind
from arabesque.store.models import (
    ApiKey,
    Base,
    Business,
    Customer,
    EndUser,
    EndUserBusiness,
    File,
    IdempotencyRecord,
    LoginCounter,
    OutboxEffect,
    Project,
    Queue,
    RuntimeEvent,
    User,
    UserProject,
    WebSession,
    WorkflowDefinition,
    WorkflowRuntime,
    utcnow,
)
from arabesque.store.prepared import Prepared, PreparedInsert, table
from arabesque.store.runtimes import Runtime, Runtimes
from arabesque.store.session import Database, for_update
from arabesque.store.transaction import Transaction
from arabesque.store.webhooks import (
    ProjectSecret,
    ProjectSetting,
    Subscriptions,
    WebhookAttempt,
    WebhookSubscription,
)

__all__ = [
    "RETRY_AFTER_SECONDS",
    "UNAVAILABLE_ERRORS",
    "ApiKey",
    "Base",
    "Business",
    "CollectionFlowToken",
    "Customer",
    "Database",
    "EndUser",
    "EndUserBusiness",
    "Entities",
    "EntityKind",
    "File",
    "IdempotencyRecord",
    "LoginCounter",
    "OutboxEffect",
    "Prepared",
    "PreparedInsert",
    "Project",
    "ProjectSecret",
    "ProjectSetting",
    "Queue",
    "Runtime",
    "RuntimeEvent",
    "Runtimes",
    "Subscriptions",
    "Transaction",
    "UiDefinition",
    "User",
    "UserProject",
    "WebSession",
    "WebhookAttempt",
    "WebhookSubscription",
    "WorkflowDefinition",
    "WorkflowRuntime",
    "database_unavailable",
    "for_update",
    "make_engine",
    "table",
    "upgrade",
    "utcnow",
]
