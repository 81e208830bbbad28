"""SQLAlchemy models: one table per record kind, every tenant row scoped by `project_id`.

JSON columns are JSONB on PostgreSQL and JSON text on SQLite. Timestamps are stored in UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "TRIGRAM_INDEXES",
    "ApiKey",
    "Base",
    "Business",
    "Customer",
    "EndUser",
    "EndUserBusiness",
    "File",
    "IdempotencyRecord",
    "LoginCounter",
    "OutboxEffect",
    "Project",
    "Queue",
    "RuntimeEvent",
    "User",
    "UserProject",
    "WebSession",
    "WorkflowDefinition",
    "WorkflowRuntime",
    "utcnow",
]

JSONType = JSON().with_variant(JSONB(), "postgresql")
BigId = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements INTEGER PRIMARY KEY only

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


TRIGRAM_INDEXES = ("ix_business_search_trgm", "ix_end_user_search_trgm", "ix_business_people_trgm")
"""GIN trigram indexes of the case search (migration 0003): PostgreSQL with `pg_trgm` only. They are declared
below so the schema comparison sees them on PostgreSQL; `ddl_if` keeps them out of `create_all` elsewhere,
and the comparison skips them where the migration does not create them (SQLite, no pg_trgm)."""


def _trigram(name: str, *items: Any) -> Index:
    """A GIN `gin_trgm_ops` index over columns and expressions, created on PostgreSQL only."""
    index = Index(name, *items, postgresql_using="gin", info={"trigram": True})
    index.ddl_if(dialect="postgresql")
    return index


def _phone(name: str, path: str) -> Index:
    """A btree over `(project_id, data #>> '{path}')` for the case search's phone prefix `LIKE` (migration 0004):
    PostgreSQL only, partial on the field being present."""
    field = text(f"(data #>> '{{{path}}}'::text[])")
    index = Index(
        name,
        "project_id",
        field,
        postgresql_ops={field.text: "text_pattern_ops"},
        postgresql_where=text(f"(data #>> '{{{path}}}'::text[]) IS NOT NULL"),
    )
    index.ddl_if(dialect="postgresql")
    return index


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSONType, list[Any]: JSONType, datetime: DateTime(timezone=True)}

    def __repr__(self) -> str:
        key = getattr(self, "id", None) or getattr(self, "pk", None)
        return f"<{type(self).__name__} {key}>"


class Customer(Base):
    __tablename__ = "customer"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Project(Base):
    __tablename__ = "project"
    __table_args__ = (UniqueConstraint("customer_id", "name"),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customer.id"))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKey(Base):
    """An API key: only its SHA-256 is stored; `prefix` identifies it in listings and audit records."""

    __tablename__ = "api_key"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("project.id"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    prefix: Mapped[str] = mapped_column(String(32))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class User(Base):
    """A person who signs in to Case Management. What they may do is per project: `UserProject`."""

    __tablename__ = "app_user"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    first_name: Mapped[str] = mapped_column(String(200), default="")
    last_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UserProject(Base):
    """A membership: the user's role (admin, reviewer, viewer) and status (active, disabled) in one project.
    An admin of a project changes only its memberships (migration 0006 moved both off the user row)."""

    __tablename__ = "user_project"
    user_id: Mapped[str] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("project.id"), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(16), default="viewer", server_default="viewer")
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active")


class WebSession(Base):
    """A signed-in Case Management session (`app/access/web_sessions.py`). The cookie carries a random token; only
    its SHA-256 is stored, so a copy of this table signs nobody in. Deleting the row ends the session."""

    __tablename__ = "web_session"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("app_user.id"), index=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("project.id"))  # the current project
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class LoginCounter(Base):
    """A sign-in throttle counter (`app/access/login.py`), one row per key, updated in the transaction that checks
    it: failures per client address (`c:...`) in the current window, and consecutive failures per email and
    client address (`p:...`) for the backoff. In the database, so every process counts the same attempts.
    Times are wall-clock epoch seconds; `updated_at` lets old rows be pruned by age."""

    __tablename__ = "login_counter"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    since: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float, index=True)


class WorkflowDefinition(Base):
    """A definition version: `id` is public and unique within a project; the engine loads `record`."""

    __tablename__ = "workflow_definition"
    __table_args__ = (
        UniqueConstraint("project_id", "id"),
        UniqueConstraint("project_id", "name", "version"),
        Index(None, "project_id", "name", "version"),
    )
    pk: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(200))
    project_id: Mapped[str | None] = mapped_column(ForeignKey("project.id"))
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1)
    display_name: Mapped[str | None] = mapped_column(String(200))
    definition_type: Mapped[str] = mapped_column(String(32), default="statechart-json")
    record: Mapped[dict[str, Any]]
    created_by: Mapped[str] = mapped_column(String(200), default="SYSTEM")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Business(Base):
    __tablename__ = "business"
    __table_args__ = (
        UniqueConstraint("project_id", "correlation_id"),
        _trigram("ix_business_search_trgm", "company_name", "correlation_id", text("(data ->> 'registrationNumber')")),
        _trigram(  # migration 0015: the representative's e-mail and the UBOs in the case search
            "ix_business_people_trgm",
            text("(data #>> '{additionalInfo,mainRepresentative,email}'::text[])"),
            text("(data #>> '{additionalInfo,ubos}'::text[])"),
        ),
        _phone("ix_business_phone", "phone"),
        _phone("ix_business_phone_number", "phoneNumber"),
        _phone("ix_business_representative_phone", "additionalInfo,mainRepresentative,phone"),
    )
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("project.id"), index=True)
    correlation_id: Mapped[str] = mapped_column(String(200))
    company_name: Mapped[str] = mapped_column(String(500), default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    approval_state: Mapped[str] = mapped_column(String(16), default="NEW")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class EndUser(Base):
    __tablename__ = "end_user"
    __table_args__ = (
        UniqueConstraint("project_id", "correlation_id"),
        _trigram("ix_end_user_search_trgm", "correlation_id", "email", text("((first_name || ' ') || last_name)")),
        _phone("ix_end_user_phone", "phone"),
        _phone("ix_end_user_phone_number", "phoneNumber"),
    )
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("project.id"), index=True)
    correlation_id: Mapped[str] = mapped_column(String(200))
    first_name: Mapped[str] = mapped_column(String(200), default="")
    last_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(320))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    approval_state: Mapped[str] = mapped_column(String(16), default="NEW")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class EndUserBusiness(Base):
    """An end user linked to a business (Ballerine's `EndUsersOnBusinesses`): a representative created with it by
    `POST /external/end-users/create-with-business`. Both rows are in the link's project."""

    __tablename__ = "end_user_business"
    __table_args__ = (Index(None, "business_id"),)
    end_user_id: Mapped[str] = mapped_column(ForeignKey("end_user.id"), primary_key=True)
    business_id: Mapped[str] = mapped_column(ForeignKey("business.id"), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("project.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WorkflowRuntime(Base):
    """A workflow instance (a case): the engine snapshot plus ownership, links and timestamps."""

    __tablename__ = "workflow_runtime"
    __table_args__ = (
        Index(None, "project_id", "status", "created_at"),
        Index(None, "business_id", "status"),
        Index(None, "end_user_id", "status"),
        Index(None, "assignee_id", "status"),
        Index(None, "definition_pk", "status"),
        Index(None, "parent_runtime_id"),
        # The case list (migration 0003): a queue's page in index order and its exact count, per entity type.
        Index(
            "ix_workflow_runtime_queue_business",
            "project_id", "status", "created_at", "id", "definition_name", "state", "assignee_id",
            postgresql_where=text("business_id IS NOT NULL"),
            sqlite_where=text("business_id IS NOT NULL"),
        ),
        Index(
            "ix_workflow_runtime_queue_end_user",
            "project_id", "status", "created_at", "id", "definition_name", "state", "assignee_id",
            postgresql_where=text("end_user_id IS NOT NULL"),
            sqlite_where=text("end_user_id IS NOT NULL"),
        ),
        Index(
            "ix_workflow_runtime_assignee_queue",
            "project_id", "assignee_id", "status", "created_at", "id", "definition_name",
            postgresql_where=text("assignee_id IS NOT NULL"),
            sqlite_where=text("assignee_id IS NOT NULL"),
        ),
        # The API's active-runtime lookup per entity and definition (run_workflow).
        Index(
            "ix_workflow_runtime_business_active",
            "business_id", "definition_name", "status", "created_at",
            postgresql_where=text("business_id IS NOT NULL"),
            sqlite_where=text("business_id IS NOT NULL"),
        ),
        Index(
            "ix_workflow_runtime_end_user_active",
            "end_user_id", "definition_name", "status", "created_at",
            postgresql_where=text("end_user_id IS NOT NULL"),
            sqlite_where=text("end_user_id IS NOT NULL"),
        ),
    )  # fmt: skip
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("project.id"))
    definition_pk: Mapped[int] = mapped_column(ForeignKey("workflow_definition.pk"))
    definition_id: Mapped[str] = mapped_column(String(200))
    definition_name: Mapped[str] = mapped_column(String(200))
    definition_version: Mapped[int] = mapped_column(Integer)
    business_id: Mapped[str | None] = mapped_column(ForeignKey("business.id"))
    end_user_id: Mapped[str | None] = mapped_column(ForeignKey("end_user.id"))
    assignee_id: Mapped[str | None] = mapped_column(ForeignKey("app_user.id"))
    assigned_at: Mapped[datetime | None]
    parent_runtime_id: Mapped[str | None] = mapped_column(ForeignKey("workflow_runtime.id"))
    state: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="active")
    context: Mapped[dict[str, Any]]
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    tags: Mapped[list[Any]] = mapped_column(default=list)
    pending: Mapped[dict[str, Any]] = mapped_column(default=dict)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    event_count: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(200), default="SYSTEM")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]


class RuntimeEvent(Base):
    """The audit log of a runtime: `seq` is 1, 2, 3... per runtime, so the log is linear by construction."""

    __tablename__ = "runtime_event"
    __table_args__ = (UniqueConstraint("runtime_id", "seq"), Index(None, "project_id", "created_at"))
    pk: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    runtime_id: Mapped[str] = mapped_column(ForeignKey("workflow_runtime.id"))
    project_id: Mapped[str] = mapped_column(ForeignKey("project.id"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))  # created | event | transition | decision | patch
    actor: Mapped[str] = mapped_column(String(200))
    event: Mapped[str | None] = mapped_column(String(200))
    from_state: Mapped[str | None] = mapped_column(String(200))
    to_state: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxEffect(Base):
    """An effect to execute after commit (HTTP plugin call, child workflow start, notification, webhook).

    `status`: pending -> running (claimed by `claimed_by` until `locked_until`, renewed by its heartbeat)
    -> done | dead. At most one row per `lock_key` is running (partial unique index).
    """

    __tablename__ = "outbox_effect"
    __table_args__ = (
        UniqueConstraint("runtime_id", "effect_id"),
        Index(None, "status", "available_at"),
        Index(None, "subscription_id", "created_at"),
        Index(None, "finished_at"),  # retention (migration 0008)
        Index(
            "uq_outbox_effect_running_lock_key",
            "lock_key",
            unique=True,
            postgresql_where=text("status = 'running'"),
            sqlite_where=text("status = 'running'"),
        ),
    )
    pk: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("project.id"))
    runtime_id: Mapped[str] = mapped_column(ForeignKey("workflow_runtime.id"))
    lock_key: Mapped[str] = mapped_column(String(64))
    effect_id: Mapped[str] = mapped_column(String(200))
    effect_type: Mapped[str] = mapped_column(String(16))
    plugin: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    locked_until: Mapped[datetime | None]
    max_attempts: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None]
    subscription_id: Mapped[str | None] = mapped_column(String(64))


class File(Base):
    __tablename__ = "file"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("project.id"), index=True)
    file_name: Mapped[str] = mapped_column(String(500))
    mime_type: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_path: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200), default="SYSTEM")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Queue(Base):
    """A case-management queue: an entity type and the definition names it shows (Ballerine calls it a filter)."""

    __tablename__ = "queue"
    __table_args__ = (UniqueConstraint("project_id", "name"),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("project.id"))
    name: Mapped[str] = mapped_column(String(200))
    entity: Mapped[str] = mapped_column(String(32))  # individuals | businesses
    definition_ids: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("project_id", "key"), Index(None, "created_at"))  # retention (0008)
    pk: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("project.id"))
    key: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
