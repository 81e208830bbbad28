"""Use case: the case list of a queue: search, sort, filters and pages, all scoped to the project.

Everything the list shows comes from this one query; the total counts the same conditions (search and
state tags included). Tags are filtered through the states that carry them, so the filter is a plain
`state IN (...)` on an indexed column on every database. The search looks at the queue's entity type (the
business's name, correlation id, registration number, representative's e-mail and UBOs; the individual's
name, correlation id and email),
and a term shaped like a phone number also the start of the entity's phone fields (`PHONE_FIELDS`). The
default view is Ballerine's: assigned to me + unassigned, active (`assignee=any` shows everyone's).

Indexes (migration 0003): a page is read in `created_at DESC, id DESC` order from the queue index of the
entity type, and the exact total is an index-only count over the same index; the search is a semi-join on
the entity's GIN trigram index (PostgreSQL). A phone-shaped term adds a prefix `LIKE` on the phone fields,
UNIONed into the same semi-join, which reads migration 0004's partial btree index of each field
(PostgreSQL; the expressions here are written as the indexed ones). The "Due" sort computes each runtime's due
date from its own config (no index: it sorts the view's matches). `neighbours` gives the case page its
previous/next case in the same view.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, and_, func, literal_column, or_, select
from sqlalchemy.orm import Session

from arabesque.app.access.members import Member
from arabesque.app.cases.queues import get_queue
from arabesque.app.cases.sla import due_key, sla_due
from arabesque.store import Business, Database, EndUser, User, WorkflowDefinition, WorkflowRuntime

__all__ = [
    "ASSIGNEE_CHOICES",
    "BUSINESS_PEOPLE_FIELDS",
    "DEFAULT_ASSIGNEE",
    "PAGE_SIZE",
    "PHONE_FIELDS",
    "SORTS",
    "STATUSES",
    "CaseQuery",
    "list_cases",
    "neighbours",
    "sla_due",
]

PAGE_SIZE = 50
SORTS = ("created", "updated", "name", "due")
STATUSES = ("active", "completed", "failed")
ASSIGNEE_CHOICES = ("any", "me", "unassigned", "me_or_unassigned")
DEFAULT_ASSIGNEE = "me_or_unassigned"  # Ballerine's default view: assigned to me + unassigned, active (§2.4)


@dataclass(frozen=True)
class CaseQuery:
    """A view of a queue: the search, the sort, the filters and the page (`web/case_list.py` reads it from and
    writes it to the query string)."""

    search: str = ""
    sort: str = "created"
    direction: str = "desc"
    assignee: str = DEFAULT_ASSIGNEE  # any | me | unassigned | me_or_unassigned | <user id>
    statuses: tuple[str, ...] = ("active",)
    tags: tuple[str, ...] = ()
    page: int = 1


@dataclass
class _Plan:
    """A view's conditions and order, shared by the page, its count and the case page's next/previous."""

    conds: list[Any] = field(default_factory=list)
    joins_entity: bool = False
    order_col: Any = None
    direction: str = "desc"

    def joined(self, stmt: Any) -> Any:
        if self.joins_entity:
            stmt = stmt.outerjoin(Business, Business.id == WorkflowRuntime.business_id).outerjoin(
                EndUser, EndUser.id == WorkflowRuntime.end_user_id
            )
        return stmt


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _prefix(term: str) -> str:
    return f"{_escape_like(term)}%"


# Where Ballerine's search finds a phone number (§2.5: `entity.data.phone`), plus the business's own number and
# its main representative's, as this project's example schemas keep them. Migration 0004 indexes each one (keep
# the two in step).
PHONE_FIELDS = {
    "businesses": (("phone",), ("phoneNumber",), ("additionalInfo", "mainRepresentative", "phone")),
    "individuals": (("phone",), ("phoneNumber",)),
}
BUSINESS_PEOPLE_FIELDS = (("additionalInfo", "mainRepresentative", "email"), ("additionalInfo", "ubos"))
_PHONE = re.compile(r"\+?[0-9][0-9 ().-]{4,}")


def _phone_term(term: str) -> str | None:
    """The term as a phone-number prefix when it looks like one (digits and phone punctuation, 5+ digits)."""
    term = term.strip()
    if _PHONE.fullmatch(term) and sum(c.isdigit() for c in term) >= 5:
        return term
    return None


def _json_text(db: Database, column: Any, path: tuple[str, ...]) -> Any:
    """`column #>> '{path}'` (PostgreSQL) / `json_extract(column, '$.path')` (SQLite), as text."""
    if db.sqlite:
        return func.json_extract(column, "$." + ".".join(path)).cast(String())
    return column.op("#>>", return_type=String())(literal_column("'{" + ",".join(path) + "}'"))


def _search(db: Database, member: Member, entity: str, term: str) -> Any:
    """The runtimes whose entity (the queue's type) matches `term` anywhere in a searched field.

    A semi-join on the entity table, so that on PostgreSQL each `ILIKE '%term%'` can use the GIN trigram
    index of migration 0003 (the expressions here are written exactly as the indexed ones: literals, not
    bound parameters, which would not match an index expression).
    """
    like = f"%{_escape_like(term)}%"
    model: type[Business] | type[EndUser]
    if entity == "businesses":
        if db.sqlite:
            registration = Business.data["registrationNumber"].as_string()
        else:
            registration = Business.data.op("->>", return_type=String())(literal_column("'registrationNumber'"))
        model, link = Business, WorkflowRuntime.business_id
        fields = [Business.company_name, Business.correlation_id, registration]
        # The representative's e-mail and the UBOs (their names, as the JSON text of the list): migration 0015's
        # trigram index on PostgreSQL, written here exactly as indexed.
        fields += [_json_text(db, Business.data, path) for path in BUSINESS_PEOPLE_FIELDS]
    else:
        full_name = EndUser.first_name.concat(literal_column("' '")).concat(EndUser.last_name)
        model, link = EndUser, WorkflowRuntime.end_user_id
        fields = [EndUser.correlation_id, EndUser.email, full_name]
    in_project = model.project_id == member.project_id
    matches = select(model.id).where(in_project, or_(*(f.ilike(like, escape="\\") for f in fields)))
    phone = _phone_term(term)
    if phone is None:
        return link.in_(matches)
    prefixes = (_json_text(db, model.data, p).like(_prefix(phone), escape="\\") for p in PHONE_FIELDS[entity])
    return link.in_(matches.union(select(model.id).where(in_project, or_(*prefixes))))


def _search_page(
    s: Session, conds: list[Any], joined: Any, order_col: Any, direction: str, wanted: int
) -> tuple[list[str], int, int]:
    """A search's page of ids, its total and the page number, from one statement.

    Every match is collected first (few, through the trigram index) in a MATERIALIZED CTE, then counted and
    sorted there: left to itself, the planner walks the queue index in date order hoping to meet 50 matches
    early, and with a selective term reads the whole queue; and the search runs once, not once for the count
    and once for the page.
    """
    found = (
        joined(select(WorkflowRuntime.id.label("id"), order_col.label("k")).select_from(WorkflowRuntime))
        .where(*conds)
        .cte("found")
        .prefix_with("MATERIALIZED")
    )
    key = (found.c.k.asc() if direction == "asc" else found.c.k.desc()).nulls_last()  # as `_order`
    counted = select(func.count()).select_from(found).scalar_subquery()

    def page_of(page: int) -> list[Any]:
        stmt = select(found.c.id, counted).order_by(key, found.c.id.desc())
        return list(s.execute(stmt.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all())

    rows = page_of(wanted)
    if rows:
        return [r[0] for r in rows], int(rows[0][1]), wanted
    if wanted == 1:
        return [], 0, 1
    total = s.scalar(select(func.count()).select_from(found)) or 0  # past the last page: show the last one
    page = max(1, -(-total // PAGE_SIZE))
    return [r[0] for r in page_of(page)] if total else [], total, page


def _plan(db: Database, member: Member, queue: dict[str, Any], query: CaseQuery) -> _Plan:
    """The conditions and the order of `query` over `queue` (its filters, search and sort)."""
    tag_states = _tag_states(queue)
    plan = _Plan()
    plan.conds.append(WorkflowRuntime.project_id == member.project_id)
    plan.conds.append(WorkflowRuntime.definition_name.in_([d["name"] for d in queue["definitions"]]))
    if queue["entity"] == "businesses":
        plan.conds.append(WorkflowRuntime.business_id.is_not(None))
    else:
        plan.conds.append(WorkflowRuntime.end_user_id.is_not(None))
    if query.statuses:
        plan.conds.append(WorkflowRuntime.status.in_(query.statuses))
    if query.tags:
        states = set().union(*(tag_states.get(t, set()) for t in query.tags))
        plan.conds.append(WorkflowRuntime.state.in_(sorted(states)))
    if query.assignee == "me":
        plan.conds.append(WorkflowRuntime.assignee_id == member.user_id)
    elif query.assignee == "unassigned":
        plan.conds.append(WorkflowRuntime.assignee_id.is_(None))
    elif query.assignee == "me_or_unassigned":
        plan.conds.append(or_(WorkflowRuntime.assignee_id == member.user_id, WorkflowRuntime.assignee_id.is_(None)))
    elif query.assignee != "any":
        plan.conds.append(WorkflowRuntime.assignee_id == query.assignee)
    if query.search:
        plan.conds.append(_search(db, member, queue["entity"], query.search))
    individual_name = func.trim(func.coalesce(EndUser.first_name, "") + " " + func.coalesce(EndUser.last_name, ""))
    plan.joins_entity = query.sort == "name"
    plan.order_col = {
        "created": WorkflowRuntime.created_at,
        "updated": WorkflowRuntime.updated_at,
        "name": func.coalesce(Business.company_name, individual_name),
        # Each runtime's own `config.slaHours` (app/cases/sla.py); cases without an SLA come last.
        "due": due_key(db),
    }[query.sort]
    plan.direction = query.direction
    if query.sort == "due":
        plan.direction = "asc" if query.direction == "desc" else "desc"  # "desc" = most urgent first
    return plan


def _tag_states(queue: dict[str, Any]) -> dict[str, set[str]]:
    tag_states: dict[str, set[str]] = {}
    for d in queue["definitions"]:
        for state, tags in d["stateTags"].items():
            for tag in tags:
                tag_states.setdefault(tag, set()).add(state)
    return tag_states


def _order(plan: _Plan) -> list[Any]:
    col = plan.order_col
    key = col.asc() if plan.direction == "asc" else col.desc()
    if plan.order_col is not WorkflowRuntime.created_at and plan.order_col is not WorkflowRuntime.updated_at:
        key = key.nulls_last()  # no SLA (due) or no name: after the rest, whichever way
    return [key, WorkflowRuntime.id.desc()]


def list_cases(db: Database, member: Member, queue_id: str, query: CaseQuery) -> dict[str, Any]:
    """One page of the queue's cases, the total, the page count, and what the filters can offer."""
    queue = get_queue(db, member, queue_id)
    plan = _plan(db, member, queue, query)
    with db.read() as s:
        if query.search:
            ids, total, page = _search_page(s, plan.conds, plan.joined, plan.order_col, plan.direction, query.page)
        else:
            total = s.scalar(plan.joined(select(func.count()).select_from(WorkflowRuntime)).where(*plan.conds)) or 0
            page = min(query.page, max(1, -(-total // PAGE_SIZE)))
            ids_stmt = (
                plan.joined(select(WorkflowRuntime.id).select_from(WorkflowRuntime))
                .where(*plan.conds)
                .order_by(*_order(plan))
                .offset((page - 1) * PAGE_SIZE)
                .limit(PAGE_SIZE)
            )
            ids = list(s.scalars(ids_stmt).all())
        pages = max(1, -(-total // PAGE_SIZE))
        rows = s.execute(
            select(
                WorkflowRuntime.id,
                WorkflowRuntime.definition_name,
                WorkflowRuntime.definition_version,
                WorkflowRuntime.state,
                WorkflowRuntime.status,
                WorkflowRuntime.tags,
                WorkflowRuntime.config,
                WorkflowRuntime.created_at,
                WorkflowRuntime.updated_at,
                WorkflowRuntime.assignee_id,
                Business.company_name,
                Business.correlation_id,
                EndUser.first_name,
                EndUser.last_name,
                EndUser.correlation_id,
                User.email,
                User.first_name,
                User.last_name,
                WorkflowDefinition.display_name,
            )
            .select_from(WorkflowRuntime)
            .join(WorkflowDefinition, WorkflowDefinition.pk == WorkflowRuntime.definition_pk)
            .outerjoin(Business, Business.id == WorkflowRuntime.business_id)
            .outerjoin(EndUser, EndUser.id == WorkflowRuntime.end_user_id)
            .outerjoin(User, and_(User.id == WorkflowRuntime.assignee_id))
            .where(WorkflowRuntime.id.in_(ids))
        ).all()
    by_id = {r[0]: r for r in rows}
    items = []
    for rid in ids:
        r = by_id[rid]
        if r[10] is not None:
            name, correlation = r[10], r[11]
        else:
            name, correlation = f"{r[12] or ''} {r[13] or ''}".strip(), r[14]
        assignee = None
        if r[9]:
            assignee = {"id": r[9], "name": f"{r[16] or ''} {r[17] or ''}".strip() or r[15]}
        items.append(
            {
                "id": rid,
                "name": name or "N/A",
                "correlationId": correlation,
                "workflow": r[18] or r[1],  # the name of the case's own version, not the latest one's
                "version": r[2],
                "state": r[3],
                "status": r[4],
                "tags": list(r[5] or []),
                "createdAt": r[7],
                "updatedAt": r[8],
                "dueAt": sla_due(r[7], r[6] or {}),
                "assignee": assignee,
            }
        )
    return {
        "queue": queue,
        "items": items,
        "total": total,
        "page": page,
        "pages": pages,
        "tagOptions": sorted(_tag_states(queue)),
    }


def neighbours(db: Database, member: Member, queue_id: str, query: CaseQuery, case_id: str) -> dict[str, str | None]:
    """The cases before and after `case_id` in the view `query` of the queue (`{"previous", "next"}` ids).

    Keyset: one indexed seek each way from the case's own sort key, so it is bounded whatever the queue's size,
    and it works when the case has just left the view (decided, reassigned): "next" is the case that followed
    it. A case of another project or queue has no neighbours.
    """
    queue = get_queue(db, member, queue_id)
    plan = _plan(db, member, queue, query)
    with db.read() as s:
        here = s.execute(
            plan.joined(select(plan.order_col, WorkflowRuntime.id).select_from(WorkflowRuntime)).where(
                WorkflowRuntime.id == case_id, WorkflowRuntime.project_id == member.project_id
            )
        ).first()
        if here is None:
            return {"previous": None, "next": None}
        key, rid = here
        out: dict[str, str | None] = {}
        for name, forward in (("next", True), ("previous", False)):
            out[name] = s.scalar(
                plan.joined(select(WorkflowRuntime.id).select_from(WorkflowRuntime))
                .where(*plan.conds, _beyond(plan, key, rid, forward))
                .order_by(*(_order(plan) if forward else _reversed(plan)))
                .limit(1)
            )
    return out


def _beyond(plan: _Plan, key: Any, rid: str, forward: bool) -> Any:
    """Rows after (`forward`) or before the row `(key, rid)` in the plan's order (key, then id descending;
    NULL keys last)."""
    col, ident = plan.order_col, WorkflowRuntime.id
    later = (plan.direction == "asc") == forward  # the key grows in the walking direction
    if key is None:
        tie = ident < rid if forward else ident > rid
        return and_(col.is_(None), tie) if forward else or_(col.is_not(None), and_(col.is_(None), tie))
    step = col > key if later else col < key
    tie = and_(col == key, ident < rid if forward else ident > rid)
    if forward:
        return or_(step, tie, col.is_(None))
    return or_(step, tie)


def _reversed(plan: _Plan) -> list[Any]:
    col = plan.order_col
    key = col.desc() if plan.direction == "asc" else col.asc()
    if plan.order_col is not WorkflowRuntime.created_at and plan.order_col is not WorkflowRuntime.updated_at:
        key = key.nulls_first()
    return [key, WorkflowRuntime.id.asc()]
