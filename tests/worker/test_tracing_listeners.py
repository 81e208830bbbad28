"""A tracing listener of the kind OpenTelemetry's and Sentry's SQLAlchemy integrations install, through a run, an
event and a plugin outcome the worker applies, on SQLite and PostgreSQL.

Such a listener keeps its span on the execution context in `before_cursor_execute` and closes it in
`after_cursor_execute`; a failed statement reaches `handle_error` with that context; a sqlcommenter-style listener
(`retval=True`) rewrites the statement, and the rewritten one is what runs. Every statement Arabesque sends,
prepared or not, must honour that contract.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from definitions import install, run_body, vendor_check
from receiver import Receiver, serve, wait_for
from sqlalchemy import Engine, event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import IntegrityError

from arabesque.app.workflows.queries import get_workflow
from arabesque.app.workflows.run_workflow import run_workflow
from arabesque.app.workflows.send_event import send_event
from arabesque.effects.retry import Backoff
from arabesque.store import Database
from arabesque.worker import Worker, WorkerSettings
from service_fixtures import Tenant

COMMENT = " /* traced */"


class Tracer:
    """Spans on execution contexts, as a tracing integration keeps them."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.opened = 0
        self.closed: list[str] = []
        self.failed: list[tuple[str | None, BaseException]] = []
        self.problems: list[str] = []

    def before(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, context: Any, _many: bool) -> Any:
        context._test_span = {"statement": statement}  # an AttributeError on None, as a real tracer's
        with self.lock:
            self.opened += 1
        return statement + COMMENT, parameters

    def after(self, _conn: Any, _cursor: Any, statement: str, _params: Any, context: Any, _many: bool) -> None:
        span = getattr(context, "_test_span", None)
        with self.lock:
            if span is None:
                self.problems.append(f"no span on the context of {statement!r}")
            elif not statement.endswith(COMMENT):
                self.problems.append(f"the rewritten statement did not run: {statement!r}")
            else:
                self.closed.append(span["statement"])

    def error(self, ctx: ExceptionContext) -> None:
        span = getattr(ctx.execution_context, "_test_span", None)
        with self.lock:
            self.failed.append((span["statement"] if span else None, ctx.original_exception))


@pytest.fixture
def tracer(db: Database) -> Iterator[Tracer]:
    tracer = Tracer()
    engine: Engine = db.engine
    event.listen(engine, "before_cursor_execute", tracer.before, retval=True)
    event.listen(engine, "after_cursor_execute", tracer.after)
    event.listen(engine, "handle_error", tracer.error)
    yield tracer
    event.remove(engine, "before_cursor_execute", tracer.before)
    event.remove(engine, "after_cursor_execute", tracer.after)
    event.remove(engine, "handle_error", tracer.error)


@pytest.fixture
def rx() -> Iterator[Receiver]:
    with serve() as receiver:
        yield receiver


def test_a_run_an_event_and_a_plugin_outcome_are_traced_statement_by_statement(
    db: Database, tenant: Tenant, rx: Receiver, tracer: Tracer
) -> None:
    rx.rule = lambda r, n: (200, {"score": 7}, {})
    install(db, tenant.project_id, vendor_check(rx.url + "/vendor"))
    rid = run_workflow(db, tenant.who, run_body("vendor_check", "e1"))["workflowRuntimeId"]
    note = {"context": {"note": "traced"}}
    assert send_event(db, tenant.who, rid, "UPDATE_CONTEXT", note)["state"] == "checking"
    worker = Worker(
        db, WorkerSettings(concurrency=2, lease=5.0, poll=0.5, backoff=Backoff(0.02, 0.1), allow_private=True)
    )
    worker.start()
    try:
        wf = wait_for(
            lambda: (w := get_workflow(db, tenant.who, rid))["status"] == "completed" and w, what="the outcome"
        )
    finally:
        worker.stop()
    assert wf["state"] == "approved" and wf["context"]["vendorResult"] == {"score": 7}
    assert wf["context"]["note"] == "traced"

    assert tracer.problems == []
    assert tracer.failed == []
    assert tracer.opened == len(tracer.closed)
    seen = " | ".join(tracer.closed)
    for statement in (
        "INSERT INTO workflow_runtime",  # the run
        "SELECT workflow_runtime.id",  # the event's lock (and the outcome's)
        "UPDATE workflow_runtime SET",  # the event's update (and the outcome's)
        "INSERT INTO runtime_event",
        "INSERT INTO outbox_effect",  # the plugin call
        "UPDATE outbox_effect SET",  # the worker's claim and its settlement
    ):
        assert statement in seen, statement


def test_a_failed_statement_reaches_handle_error_with_its_context(db: Database, tenant: Tenant, tracer: Tracer) -> None:
    install(db, tenant.project_id, vendor_check("http://127.0.0.1:9/vendor"))
    rid = run_workflow(db, tenant.who, run_body("vendor_check", "e1"))["workflowRuntimeId"]
    with pytest.raises(IntegrityError), db.transaction() as tx:
        rt = tx.runtimes.lock(tenant.project_id, rid)
        assert rt is not None
        tx.runtimes.add(dataclasses.replace(rt))  # a runtime with the id of one that exists
        tx.commit()
    [(statement, error)] = tracer.failed
    assert statement is not None and statement.startswith("INSERT INTO workflow_runtime")
    assert isinstance(error, db.engine.dialect.loaded_dbapi.IntegrityError)
    assert tracer.problems == []
    assert tracer.opened == len(tracer.closed) + 1
