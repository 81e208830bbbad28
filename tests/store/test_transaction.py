"""The unit of work of the use cases that change runtimes (store/transaction.py) and its runtime repository
(store/runtimes.py), on SQLite and PostgreSQL: explicit commit, changed columns only, locks and the identity of
held runtimes, outbox rows and the wake-up of the workers, no session listeners."""

from __future__ import annotations

import dataclasses

from sqlalchemy import select
from sqlalchemy.orm import Session, SessionEvents

from arabesque.app.workflows.run_workflow import run_workflow
from arabesque.store import Database, OutboxEffect, Runtime, RuntimeEvent, WorkflowRuntime
from arabesque.store.wakeup import WAKE
from service_fixtures import SEED, Tenant, statements


def _run(db: Database, tenant: Tenant, entity_id: str = "e1") -> str:
    body = {**SEED, "context": {**SEED["context"], "entity": {**SEED["context"]["entity"], "id": entity_id}}}
    return str(run_workflow(db, tenant.who, body)["workflowRuntimeId"])


def _row(db: Database, runtime_id: str) -> WorkflowRuntime | None:
    with db.read() as s:
        return s.get(WorkflowRuntime, runtime_id)


def _audit(db: Database, runtime_id: str) -> list[str]:
    with db.read() as s:
        return list(s.scalars(select(RuntimeEvent.kind).where(RuntimeEvent.runtime_id == runtime_id)))


def test_leaving_without_commit_writes_nothing(db: Database, tenant: Tenant) -> None:
    rid = _run(db, tenant)
    before = _audit(db, rid)
    with db.transaction() as tx:
        rt = tx.runtimes.lock(tenant.project_id, rid)
        assert rt is not None
        rt.tags = ["changed"]
        tx.runtimes.audit(rt, "note", "test")
        tx.flush()  # written in the transaction, which is then left uncommitted
    row = _row(db, rid)
    assert row is not None and row.tags != ["changed"]
    assert _audit(db, rid) == before


def test_commit_updates_only_the_columns_that_changed(db: Database, tenant: Tenant) -> None:
    rid = _run(db, tenant)
    with db.transaction() as tx, statements(db) as seen:
        rt = tx.runtimes.lock(tenant.project_id, rid)
        assert rt is not None
        rt.tags = list(rt.tags)  # a new list, equal to the old one: not a change
        rt.assignee_id = None  # the value it had
        rt.state = "somewhere_else"
        tx.runtimes.audit(rt, "note", "test", details={"n": 1})
        tx.commit()
    [update] = [s for s in seen if s.startswith("UPDATE")]
    assignments = update.split(" SET ")[1].split(" WHERE ")[0].split(", ")
    assert [a.split("=")[0] for a in assignments] == ["state", "event_count"]  # the audit record counts
    assert len(seen) == 3, seen  # the lock, the update, the audit record
    row = _row(db, rid)
    assert row is not None and row.state == "somewhere_else" and _audit(db, rid)[-1] == "note"


def test_a_runtime_held_by_the_transaction_is_the_same_object_with_its_changes(db: Database, tenant: Tenant) -> None:
    rid = _run(db, tenant)
    with db.transaction() as tx, statements(db) as seen:
        first = tx.runtimes.lock(tenant.project_id, rid)
        assert first is not None
        first.state = "changed in memory"
        assert tx.runtimes.lock(tenant.project_id, rid) is first
        assert tx.runtimes.lock("another project", rid) is None
    assert len(seen) == 1, seen  # locked once


def test_a_child_is_locked_after_its_ancestors_root_first(db: Database, tenant: Tenant) -> None:
    root = _run(db, tenant, "root")
    with db.transaction() as tx:
        parent = tx.runtimes.lock(tenant.project_id, root)
        assert parent is not None
        child = dataclasses.replace(parent, id="child-1", parent_runtime_id=root, event_count=0)
        grandchild = dataclasses.replace(parent, id="grandchild-1", parent_runtime_id="child-1", event_count=0)
        tx.runtimes.add(child)
        tx.runtimes.add(grandchild)
        tx.commit()
    with db.transaction() as tx, statements(db) as seen:
        held = tx.runtimes.lock(tenant.project_id, "grandchild-1")
        assert held is not None and held.parent_runtime_id == "child-1"
        assert tx.runtimes.lock_parent(held) is tx.runtimes.lock(tenant.project_id, "child-1")
    locks = [s for s in seen if "FOR UPDATE" in s or (db.sqlite and s.startswith("SELECT workflow_runtime.id,"))]
    # the root-only lock finds nothing, then: the parent ids (read), the root, the child, the grandchild (locked)
    assert len(locks) == 4, seen


def test_outbox_rows_wake_the_workers_after_the_commit_and_notify_in_the_transaction(
    db: Database, tenant: Tenant
) -> None:
    rid = _run(db, tenant)
    with db.transaction() as tx:
        rt = tx.runtimes.lock(tenant.project_id, rid)
        assert rt is not None
        tx.runtimes.add_effect(rt, lock_key=rid, effect_id="e-1", effect_type="http", plugin="p", payload={})
        generation = WAKE.generation
        with statements(db) as seen:
            tx.flush()
        assert WAKE.generation == generation  # not before the commit
    assert WAKE.generation == generation  # nor after a rollback
    assert seen[-1] == "NOTIFY arabesque_outbox" if not db.sqlite else seen[-1].startswith("INSERT INTO outbox")

    with db.transaction() as tx, statements(db) as seen:
        rt = tx.runtimes.lock(tenant.project_id, rid)
        assert rt is not None
        tx.runtimes.add_effect(rt, lock_key=rid, effect_id="e-2", effect_type="http", plugin="p", payload={})
        assert tx.runtimes.children(rt, "any") == []  # a read that writes the pending rows first
        tx.commit()
    assert WAKE.generation > generation
    assert ("NOTIFY arabesque_outbox" in seen) != db.sqlite
    with db.read() as s:
        assert list(s.scalars(select(OutboxEffect.effect_id).where(OutboxEffect.runtime_id == rid))) == ["e-2"]


def test_no_listener_is_registered_on_every_session() -> None:
    session = Session()
    names = [name for name in dir(SessionEvents) if not name.startswith("_")]
    assert [name for name in names if getattr(session.dispatch, name, None)] == []


def test_runtime_fields_follow_the_table() -> None:
    assert [f.name for f in dataclasses.fields(Runtime)] == [c.key for c in WorkflowRuntime.__table__.c]
