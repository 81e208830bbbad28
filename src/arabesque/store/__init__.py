"""Storage: SQLAlchemy models, migrations, sessions."""

from arabesque.store.db import data_dir, database_url, make_engine, unavailable, upgrade
from arabesque.store.models import (
    ApiKey,
    Base,
    Business,
    Customer,
    EndUser,
    File,
    Filter,
    IdempotencyRecord,
    LoginFailure,
    OutboxEffect,
    Project,
    RuntimeEvent,
    User,
    UserProject,
    WorkflowDefinition,
    WorkflowRuntime,
    utcnow,
)
from arabesque.store.prepared import Prepared, PreparedInsert, table
from arabesque.store.session import Database, for_update
from arabesque.store.webhooks import ProjectSecret, ProjectSetting, WebhookAttempt, WebhookSubscription

__all__ = [
    "ApiKey",
    "Base",
    "Business",
    "Customer",
    "Database",
    "EndUser",
    "File",
    "Filter",
    "IdempotencyRecord",
    "LoginFailure",
    "OutboxEffect",
    "Prepared",
    "PreparedInsert",
    "Project",
    "ProjectSecret",
    "ProjectSetting",
    "RuntimeEvent",
    "User",
    "UserProject",
    "WebhookAttempt",
    "WebhookSubscription",
    "WorkflowDefinition",
    "WorkflowRuntime",
    "data_dir",
    "database_url",
    "for_update",
    "make_engine",
    "table",
    "unavailable",
    "upgrade",
    "utcnow",
]
