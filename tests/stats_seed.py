"""Seeded cases with known statistics, for the statistics API, the home page and the browser test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from arabesque.app.access.principal import Principal
from arabesque.app.workflows.run_workflow import run_workflow
from arabesque.app.workflows.send_event import send_event
from arabesque.store import Database, WorkflowRuntime


def _run(db: Database, who: Principal, workflow: str, cid: str, data: dict, config: dict | None = None) -> str:
    body: dict = {"workflowId": workflow, "context": {"entity": {"type": "business", "id": cid, "data": data},
                                                     "documents": []}}
    if config:
        body["config"] = config
    return run_workflow(db, who, body)["workflowRuntimeId"]


def seed_statistics(db: Database, project_id: str, reviewer_id: str | None = None) -> dict[str, str]:
    """Today: one approval, one rejection (a sanctioned country), one revision (no registration number);
    open: three in manual review (one assigned to `reviewer_id`, one overdue by its own SLA); resolved
    cases took 2 h and 4 h (median 3 h)."""
    who = Principal(project_id, "api-key:test")
    ids = {
        "approved": _run(db, who, "till_basic_kyb_demo", "s-1", {"companyName": "Yes Ltd", "country": "GB",
                                                                  "registrationNumber": "1"}),
        "rejected": _run(db, who, "till_basic_kyb_demo", "s-2", {"companyName": "No Ltd", "country": "IR",
                                                                  "registrationNumber": "2"}),
        "revision": _run(db, who, "till_basic_kyb_demo", "s-3", {"companyName": "Later Ltd", "country": "GB"}),
        "open": _run(db, who, "kyb_with_ubos_demo", "s-4", {"companyName": "Open Ltd"}),
        "assigned": _run(db, who, "kyb_with_ubos_demo", "s-5", {"companyName": "Mine Ltd"}),
        "late": _run(db, who, "kyb_with_ubos_demo", "s-6", {"companyName": "Late Ltd"}, {"slaHours": 1}),
    }
    send_event(db, who, ids["approved"], "approve")
    now = datetime.now(UTC)
    with db.write() as s:
        for key, hours in (("approved", 2), ("rejected", 4)):
            s.execute(update(WorkflowRuntime).where(WorkflowRuntime.id == ids[key])
                      .values(created_at=now - timedelta(hours=hours), resolved_at=now))
        s.execute(update(WorkflowRuntime).where(WorkflowRuntime.id == ids["late"])
                  .values(created_at=now - timedelta(hours=5)))
        if reviewer_id:
            s.execute(update(WorkflowRuntime).where(WorkflowRuntime.id.in_([ids["assigned"], ids["late"]]))
                      .values(assignee_id=reviewer_id))
    return ids
