"""Storage: SQLAlchemy models, migrations, sessions; the outbox queue (`store.outbox`) and what it holds, for the
metrics (`store.outbox_stats`)."""

from arabesque.store.db import (
    RETRY_AFTER_SECONDS,
    UNAVAILABLE_ERRORS,
    database_unavailable,
    make_engine,
    upgrade,
)
from arabesque.store.models import (
    ApiKey,
    Base,
    Business,
    Customer,
    EndUser,
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
from arabesque.store.session import Database, for_update
from arabesque.store.webhooks import ProjectSecret, ProjectSetting, WebhookAttempt, WebhookSubscription

__all__ = [
    "RETRY_AFTER_SECONDS",
    "UNAVAILABLE_ERRORS",
    "ApiKey",
    "Base",
    "Business",
    "Customer",
    "Database",
    "EndUser",
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
    "RuntimeEvent",
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
