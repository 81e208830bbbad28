"""Use case: the project's case statistics, for the home dashboard and `GET /api/v1/statistics`.

Every number is an aggregation in SQL over the project's rows (SQLite and PostgreSQL), bounded by the
window (`WINDOW_DAYS`) or by a GROUP BY over small domains (queues' definitions and states, reviewers); only
the grouped rows come back to Python, which names them:

- open cases (active runtimes) by queue and state, counted per (definition, entity type, state);
- cases decided per day: transitions in the window into a state tagged `approved`, `rejected` or
  `revision` (the definition's tags decide, so any definition's wording works), per UTC day;
- the median time from creation to resolution of the cases resolved in the window (one ordered seek);
- per reviewer: open assigned cases and how many of them are overdue; the unassigned count;
- overdue cases (`config.slaHours` passed, `app/cases/sla.py`): their number and the most overdue few.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, Float, and_, case, cast, func, literal_column, select
from sqlalchemy.orm import Session

from arabesque.app.cases.sla import due_key, overdue, sla_due
from arabesque.app.definitions.lookup import compiled
from arabesque.store import Business, Database, EndUser, Queue, RuntimeEvent, User, WorkflowDefinition, WorkflowRuntime

__all__ = ["DECISIONS", "OVERDUE_LISTED", "WINDOW_DAYS", "project_statistics"]

WINDOW_DAYS = 30
OVERDUE_LISTED = 10
DECISIONS = ("approved", "rejected", "revision")  # the state tags that count as a decision


def project_statistics(db: Database, project_id: str, now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    since = now - timedelta(days=WINDOW_DAYS)
    with db.read() as s:
        open_rows = s.execute(
            select(
                WorkflowRuntime.definition_name,
                WorkflowRuntime.business_id.is_not(None),
                WorkflowRuntime.state,
                func.count(),
            )
            .where(WorkflowRuntime.project_id == project_id, WorkflowRuntime.status == "active")
            .group_by(WorkflowRuntime.definition_name, WorkflowRuntime.business_id.is_not(None), WorkflowRuntime.state)
        ).all()
        queues = s.execute(
            select(Queue.id, Queue.name, Queue.entity, Queue.definition_ids)
            .where(Queue.project_id == project_id)
            .order_by(Queue.name)
        ).all()
        decided = _decided_per_day(db, s, project_id, since)
        median, resolved = _median_hours(db, s, project_id, since)
        workload, unassigned = _workload(db, s, project_id, now)
        late_total, late = _overdue(db, s, project_id, now)

    by_queue = []
    for qid, qname, entity, names in queues:
        states: dict[str, int] = {}
        for definition, is_business, state, count in open_rows:
            if definition in (names or []) and bool(is_business) == (entity == "businesses"):
                states[state] = states.get(state, 0) + int(count)
        by_queue.append(
            {
                "queueId": qid,
                "queue": qname,
                "total": sum(states.values()),
                "byState": [
                    {"state": k, "count": v} for k, v in sorted(states.items(), key=lambda kv: (-kv[1], kv[0]))
                ],
            }
        )
    by_state: dict[str, int] = {}
    for _, _, state, count in open_rows:
        by_state[state] = by_state.get(state, 0) + int(count)
    days = [(since + timedelta(days=i + 1)).date() for i in range(WINDOW_DAYS)]
    per_day = [{"date": d.isoformat(), **{k: decided.get((d, k), 0) for k in DECISIONS}} for d in days]
    return {
        "generatedAt": now,
        "windowDays": WINDOW_DAYS,
        "openCases": {
            "total": sum(by_state.values()),
            "byQueue": by_queue,
            "byState": [{"state": k, "count": v} for k, v in sorted(by_state.items(), key=lambda kv: (-kv[1], kv[0]))],
        },
        "decidedPerDay": per_day,
        "decided": {k: sum(int(row[k]) for row in per_day) for k in DECISIONS},  # type: ignore[call-overload]
        "medianHoursToDecision": median,
        "resolvedCases": resolved,
        "workload": workload,
        "unassigned": unassigned,
        "overdue": {"total": late_total, "cases": late},
    }


def _day(db: Database, column: Any) -> Any:
    if db.sqlite:
        return func.date(column)
    return cast(column.op("AT TIME ZONE")(literal_column("'UTC'")), Date)


def _decided_per_day(db: Database, s: Session, project_id: str, since: datetime) -> dict[tuple[date, str], int]:
    day = _day(db, RuntimeEvent.created_at)
    rows = s.execute(
        select(day, WorkflowRuntime.definition_pk, RuntimeEvent.to_state, func.count())
        .join(WorkflowRuntime, WorkflowRuntime.id == RuntimeEvent.runtime_id)
        .where(
            RuntimeEvent.project_id == project_id,
            RuntimeEvent.created_at >= since,
            RuntimeEvent.from_state.is_not(None),
            RuntimeEvent.to_state.is_not(None),
            RuntimeEvent.from_state != RuntimeEvent.to_state,
        )
        .group_by(day, WorkflowRuntime.definition_pk, RuntimeEvent.to_state)
    ).all()
    tags: dict[int, dict[str, tuple[str, ...]]] = {}
    for pk in {r[1] for r in rows}:
        row = s.get(WorkflowDefinition, pk)
        if row is not None:
            tags[pk] = {name: tuple(node.tags) for name, node in compiled(row).states.items()}
    out: dict[tuple[date, str], int] = {}
    for raw_day, pk, state, count in rows:
        d = raw_day if isinstance(raw_day, date) else date.fromisoformat(str(raw_day))
        kind = next((t for t in DECISIONS if t in tags.get(pk, {}).get(state, ())), None)
        if kind is not None:
            out[(d, kind)] = out.get((d, kind), 0) + int(count)
    return out


def _median_hours(db: Database, s: Session, project_id: str, since: datetime) -> tuple[float | None, int]:
    if db.sqlite:
        hours: Any = (func.julianday(WorkflowRuntime.resolved_at) - func.julianday(WorkflowRuntime.created_at)) * 24.0
    else:
        hours = func.extract("epoch", WorkflowRuntime.resolved_at - WorkflowRuntime.created_at) / 3600.0
    where = (WorkflowRuntime.project_id == project_id, WorkflowRuntime.resolved_at >= since)
    n = s.scalar(select(func.count()).select_from(WorkflowRuntime).where(*where)) or 0
    if not n:
        return None, 0
    ordered = select(cast(hours, Float)).where(*where).order_by(hours)
    middle = [float(v) for v in s.scalars(ordered.offset((n - 1) // 2).limit(2 - n % 2)).all()]
    return round(sum(middle) / len(middle), 2), n


def _workload(db: Database, s: Session, project_id: str, now: datetime) -> tuple[list[dict[str, Any]], int]:
    active = and_(WorkflowRuntime.project_id == project_id, WorkflowRuntime.status == "active")
    late = func.sum(case((overdue(db, now), 1), else_=0))
    rows = s.execute(
        select(WorkflowRuntime.assignee_id, User.email, User.first_name, User.last_name, func.count(), late)
        .outerjoin(User, User.id == WorkflowRuntime.assignee_id)
        .where(active)
        .group_by(WorkflowRuntime.assignee_id, User.email, User.first_name, User.last_name)
    ).all()
    workload, unassigned = [], 0
    for uid, email, first, last, count, late_count in rows:
        if uid is None:
            unassigned = int(count)
            continue
        name = f"{first or ''} {last or ''}".strip() or email or uid
        workload.append({"userId": uid, "name": name, "open": int(count), "overdue": int(late_count or 0)})
    workload.sort(key=lambda w: (-w["open"], w["name"]))
    return workload, unassigned


def _overdue(db: Database, s: Session, project_id: str, now: datetime) -> tuple[int, list[dict[str, Any]]]:
    where = (WorkflowRuntime.project_id == project_id, WorkflowRuntime.status == "active", overdue(db, now))
    total = s.scalar(select(func.count()).select_from(WorkflowRuntime).where(*where)) or 0
    rows = s.execute(
        select(
            WorkflowRuntime.id,
            WorkflowRuntime.created_at,
            WorkflowRuntime.config,
            WorkflowRuntime.assignee_id,
            Business.company_name,
            EndUser.first_name,
            EndUser.last_name,
        )
        .outerjoin(Business, Business.id == WorkflowRuntime.business_id)
        .outerjoin(EndUser, EndUser.id == WorkflowRuntime.end_user_id)
        .where(*where)
        .order_by(due_key(db).asc(), WorkflowRuntime.id)
        .limit(OVERDUE_LISTED)
    ).all()
    cases = []
    for rid, created, config, assignee, company, first, last in rows:
        name = company if company is not None else f"{first or ''} {last or ''}".strip()
        due = sla_due(created, config or {})
        cases.append({"id": rid, "name": name or "N/A", "dueAt": due, "assigneeId": assignee})
    return int(total), cases
