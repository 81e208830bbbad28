"""Use case: one case with everything its review page needs, read in one transaction, scoped to the project.

Plain data (`Case`): the runtime and its context, the definition (compiled), the project's members, the audit
log newest first, the outbox's effects with each webhook's last attempt, the child workflows, the path the
case took; and the rules that decide what the member may do to it (`permissions`, `next_events`, `reuploads`).
`web/case_view.py` shapes it for the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from arabesque.app.access.members import Member
from arabesque.app.cases.list_cases import sla_due
from arabesque.app.cases.reviewer_actions import approval_blockers, blocker_message, reviewer_events
from arabesque.app.definitions.lookup import compiled, definition_for
from arabesque.app.errors import NotFound
from arabesque.app.workflows.queries import runtime_in_project
from arabesque.app.workflows.runtime import snapshot_of
from arabesque.engine import Definition, next_events
from arabesque.store import (
    ApiKey,
    Business,
    Database,
    EndUser,
    OutboxEffect,
    RuntimeEvent,
    User,
    UserProject,
    WebhookAttempt,
    WorkflowDefinition,
    WorkflowRuntime,
)

__all__ = [
    "REVISION",
    "Case",
    "CaseEffect",
    "CaseEvent",
    "CaseMember",
    "CasePermissions",
    "ChildCase",
    "case_version",
    "get_case",
]

TIMELINE_LIMIT = 500
EFFECTS_LIMIT = 100
REVISION = "revision"


@dataclass(frozen=True)
class CaseMember:
    id: str
    email: str
    first_name: str
    last_name: str
    role: str
    status: str


@dataclass(frozen=True)
class CaseEvent:
    """An audit row of the case."""

    at: datetime
    seq: int
    kind: str
    actor: str
    event: str | None
    from_state: str | None
    to_state: str | None
    details: dict[str, Any]


@dataclass(frozen=True)
class CaseEffect:
    """An outbox row of the case, with a webhook delivery's last attempt (`attempted`)."""

    at: datetime
    effect_type: str
    plugin: str
    status: str
    attempts: int
    last_error: str | None
    url: str
    attempted: bool = False
    attempt_status: int | None = None
    attempt_error: str | None = None


@dataclass(frozen=True)
class ChildCase:
    id: str
    name: str
    workflow: str
    state: str
    status: str
    tags: list[str]
    documents: list[dict[str, Any]]
    next_events: list[str]
    entity: dict[str, Any] = field(default_factory=dict)  # the child's `context.entity` (its id: the UBO's)
    plugins_output: dict[str, Any] = field(default_factory=dict)  # its vendors' results (KYC, screening)
    aml: Any = None  # `context.aml`, Ballerine's screening block


@dataclass(frozen=True)
class CasePermissions:
    act: bool  # send events, decide and edit documents: the assignee or an admin, on an active case
    assign: bool
    note: bool
    is_assignee: bool


@dataclass(frozen=True)
class Case:
    id: str
    kind: str  # business | individual
    entity_name: str  # from the entity's row; "" when the runtime has none
    context: dict[str, Any]
    state: str
    status: str
    tags: list[str]
    created_at: datetime
    updated_at: datetime | None
    created_by: str  # an actor: `user:<email>`, `apiKey:...`
    assignee_id: str | None
    assigned_at: datetime | None
    due_at: datetime | None
    definition_id: str
    definition_name: str
    display_name: str
    definition_version: int
    documents_schema: Any
    definition: Definition
    members: list[CaseMember]
    events: list[CaseEvent]  # newest first, at most TIMELINE_LIMIT
    effects: list[CaseEffect]  # newest first, at most EFFECTS_LIMIT
    children: list[ChildCase]
    parent_id: str | None
    next_events: list[str]  # the events the member may send now
    path: list[tuple[str, str]]  # the transitions the case took, oldest first
    reuploads: list[dict[str, str]]  # `{id, event, name}`: the case and children "Ask for all re-uploads" sends to
    approve_blocked: str  # why approving is refused now (documents to decide first); "" when it is not
    api_keys: dict[str, str]  # the project's API keys' names by prefix, to name them in the trail
    permissions: CasePermissions
    version: str  # see `case_version`
    moves: list[tuple[str, str, str]] = field(default_factory=list)  # `(event, from, to)` of `path`, oldest first


def get_case(db: Database, member: Member, runtime_id: str) -> Case:
    with db.read() as s:
        rt = _case_row(s, member, runtime_id)
        row = s.get(WorkflowDefinition, rt.definition_pk)
        assert row is not None  # a foreign key
        defn = compiled(row)
        members = [
            CaseMember(*u)
            for u in s.execute(
                select(User.id, User.email, User.first_name, User.last_name, UserProject.role, UserProject.status)
                .join(UserProject, UserProject.user_id == User.id)
                .where(UserProject.project_id == member.project_id)
                .order_by(User.email)
            ).all()
        ]
        entity: Business | EndUser | None = None
        if rt.business_id:
            entity = s.get(Business, rt.business_id)
        elif rt.end_user_id:
            entity = s.get(EndUser, rt.end_user_id)
        events = [
            CaseEvent(e.created_at, e.seq, e.kind, e.actor, e.event, e.from_state, e.to_state, dict(e.details or {}))
            for e in s.scalars(
                select(RuntimeEvent)
                .where(RuntimeEvent.runtime_id == rt.id)
                .order_by(RuntimeEvent.seq.desc())
                .limit(TIMELINE_LIMIT)
            )
        ]
        effects = _effects(s, rt)
        children, reuploads = _children(s, member, rt)
        api_keys = {
            prefix: name
            for prefix, name in s.execute(
                select(ApiKey.prefix, ApiKey.name).where(ApiKey.project_id == member.project_id)
            ).all()
        }

    if isinstance(entity, Business):
        entity_name = entity.company_name
    elif isinstance(entity, EndUser):
        entity_name = f"{entity.first_name} {entity.last_name}".strip()
    else:
        entity_name = ""
    context = rt.context or {}
    path = [
        (e.from_state, e.to_state)
        for e in sorted(events, key=lambda e: e.seq)
        if e.from_state and e.to_state and e.from_state != e.to_state
    ]
    active = rt.status == "active" and not defn.is_final(rt.state)
    allowed = _reviewer_next(defn, rt) if active else []
    is_assignee = rt.assignee_id == member.user_id
    can_act = active and member.can_work and (member.is_admin or is_assignee)
    documents = [d for d in context.get("documents") or [] if isinstance(d, dict)]
    if REVISION in allowed and _wants_reupload(documents):
        reuploads.insert(0, {"id": rt.id, "event": REVISION, "name": entity_name or "this case"})
    return Case(
        id=rt.id,
        kind="business" if rt.business_id else "individual",
        entity_name=entity_name,
        context=context,
        state=rt.state,
        status=rt.status,
        tags=list(rt.tags or []),
        created_at=rt.created_at,
        updated_at=rt.updated_at,
        created_by=rt.created_by,
        assignee_id=rt.assignee_id,
        assigned_at=rt.assigned_at,
        due_at=sla_due(rt.created_at, rt.config or {}),
        definition_id=row.id,
        definition_name=row.name,
        display_name=row.display_name or row.name,
        definition_version=row.version,
        documents_schema=(row.record or {}).get("documentsSchema"),
        definition=defn,
        members=members,
        events=events,
        effects=effects,
        children=children,
        parent_id=rt.parent_runtime_id,
        next_events=allowed,
        path=path,
        moves=[
            (e.event or "", e.from_state, e.to_state)
            for e in sorted(events, key=lambda e: e.seq)
            if e.from_state and e.to_state and e.from_state != e.to_state
        ],
        reuploads=reuploads,
        approve_blocked=blocker_message(
            approval_blockers(context, [(c.name, {"documents": c.documents}) for c in children if c.status == "active"])
        ),
        api_keys=api_keys,
        permissions=CasePermissions(
            act=can_act, assign=active and member.can_work, note=member.can_work, is_assignee=is_assignee
        ),
        version=_version(rt),
    )


def _effects(s: Session, rt: WorkflowRuntime) -> list[CaseEffect]:
    rows = s.scalars(
        select(OutboxEffect)
        .where(OutboxEffect.runtime_id == rt.id)
        .order_by(OutboxEffect.pk.desc())
        .limit(EFFECTS_LIMIT)
    ).all()
    last_attempts: dict[int, WebhookAttempt] = {}
    webhook_pks = [e.pk for e in rows if e.effect_type == "webhook"]
    if webhook_pks:
        for attempt in s.scalars(
            select(WebhookAttempt).where(WebhookAttempt.outbox_pk.in_(webhook_pks)).order_by(WebhookAttempt.pk)
        ):
            last_attempts[attempt.outbox_pk] = attempt
    out = []
    for eff in rows:
        payload = eff.payload if isinstance(eff.payload, dict) else {}
        last = last_attempts.get(eff.pk)
        out.append(
            CaseEffect(
                at=eff.created_at,
                effect_type=eff.effect_type,
                plugin=eff.plugin,
                status=eff.status,
                attempts=eff.attempts,
                last_error=eff.last_error,
                url=str(payload.get("url") or ""),
                attempted=last is not None,
                attempt_status=last.status_code if last is not None else None,
                attempt_error=last.error if last is not None else None,
            )
        )
    return out


def _children(s: Session, member: Member, rt: WorkflowRuntime) -> tuple[list[ChildCase], list[dict[str, str]]]:
    """The child workflows, oldest first, and those that "Ask for all re-uploads" sends `revision` to."""
    children: list[ChildCase] = []
    reuploads: list[dict[str, str]] = []
    for child in s.scalars(
        select(WorkflowRuntime)
        .where(WorkflowRuntime.parent_runtime_id == rt.id, WorkflowRuntime.project_id == member.project_id)
        .order_by(WorkflowRuntime.created_at)
    ):
        data = ((child.context or {}).get("entity") or {}).get("data") or {}
        name = f"{data.get('firstName', '')} {data.get('lastName', '')}".strip() or data.get("companyName")
        docs = [d for d in (child.context or {}).get("documents") or [] if isinstance(d, dict)]
        child_events: list[str] = []
        if child.status == "active":
            child_defn = definition_for(s.connection(), child)
            if not child_defn.is_final(child.state):
                child_events = _reviewer_next(child_defn, child)
        if REVISION in child_events and _wants_reupload(docs):
            reuploads.append({"id": child.id, "event": REVISION, "name": name or child.id[:8]})
        children.append(
            ChildCase(
                id=child.id,
                name=name or child.id[:8],
                workflow=child.definition_name,
                state=child.state,
                status=child.status,
                tags=list(child.tags or []),
                documents=docs,
                next_events=child_events,
                entity=entity if isinstance(entity := (child.context or {}).get("entity"), dict) else {},
                plugins_output=plugins
                if isinstance(plugins := (child.context or {}).get("pluginsOutput"), dict)
                else {},
                aml=(child.context or {}).get("aml"),
            )
        )
    return children, reuploads


def _reviewer_next(defn: Definition, rt: WorkflowRuntime) -> list[str]:
    """The events the runtime's state accepts that a reviewer may send (`reviewer_actions.py`)."""
    mine = reviewer_events(defn)
    return [e for e in next_events(defn, snapshot_of(rt)) if e in mine]


def _wants_reupload(documents: list[dict[str, Any]]) -> bool:
    """Some document is marked "re-upload needed" (`decision.status == "revision"`)."""
    return any(isinstance(d.get("decision"), dict) and d["decision"].get("status") == REVISION for d in documents)


def _case_row(s: Session, member: Member, runtime_id: str) -> WorkflowRuntime:
    """The case, in the member's project; 404 otherwise (never another project's data)."""
    rt = runtime_in_project(s, member.project_id, runtime_id)
    if rt is None:
        raise NotFound(f"No case with id [{runtime_id}]")
    return rt


def _version(rt: WorkflowRuntime) -> str:
    return f"{rt.event_count}:{rt.updated_at.isoformat() if rt.updated_at else ''}"


def case_version(db: Database, member: Member, runtime_id: str) -> str:
    """A token that changes whenever the case changes (the open page polls it to refresh)."""
    with db.read() as s:
        rt = _case_row(s, member, runtime_id)
        return _version(rt)
