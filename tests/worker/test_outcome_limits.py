"""A plugin outcome over a limit is applied as the plugin's error: the runtime takes errorAction, the effect
is settled (never left running or pending) and the reason names the limit (issue 9, findings 2 and 8)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from definitions import install, vendor_check
from sqlalchemy import select

from arabesque.app.limits import ServiceLimits
from arabesque.app.outcomes.apply_http_result import apply_http_result
from arabesque.app.workflows.run_workflow import run_workflow
from arabesque.engine import HttpOutcome
from arabesque.store import Database, OutboxEffect, WorkflowRuntime, outbox
from service_fixtures import Tenant

Limits = Callable[..., ServiceLimits]


def run_body(entity_id: str) -> dict[str, Any]:
    return {
        "workflowId": "vendor_check",
        "context": {"entity": {"type": "business", "id": entity_id, "data": {}}, "documents": []},
    }


def start_call(db: Database, tenant: Tenant, record: dict[str, Any]) -> tuple[str, outbox.ClaimedEffect]:
    install(db, tenant.project_id, record)
    rid = run_workflow(db, tenant.who, run_body("e1"))["workflowRuntimeId"]
    [effect] = outbox.claim(db, "w1", lease=30)
    return rid, effect


def runtime(db: Database, rid: str) -> WorkflowRuntime:
    with db.read() as s:
        row = s.get(WorkflowRuntime, rid)
        assert row is not None
        s.expunge(row)
        return row


def effect_status(db: Database, pk: int) -> str | None:
    with db.read() as s:
        return s.scalar(select(OutboxEffect.status).where(OutboxEffect.pk == pk))


def test_a_response_transform_over_the_budget_takes_the_error_action(
    db: Database, tenant: Tenant, limits: Limits
) -> None:
    limits(steps=200_000, value_size=100_000)
    record = vendor_check("http://127.0.0.1:9/vendor")
    doubling = {"reduce": [{"var": "items"}, {"merge": [{"var": "accumulator"}, {"var": "accumulator"}]}, [1]]}
    record["extensions"]["apiPlugins"][0]["response"] = {
        "transform": [{"transformer": "json-logic", "mapping": doubling}]
    }
    rid, effect = start_call(db, tenant, record)
    outcome = HttpOutcome(effect.effect_id, 200, "OK", {"items": list(range(30))}, True)
    assert apply_http_result(db, effect, outcome) == "applied"
    rt = runtime(db, rid)
    assert rt.state == "failed" and rt.pending == {}
    error = rt.context["pluginsOutput"]["vendor"]["error"]
    assert error.startswith("extensions.apiPlugins[0].response.transform[0]: the evaluation ")
    assert effect_status(db, effect.pk) == "done"


def test_a_response_too_large_for_the_context_takes_the_error_action(
    db: Database, tenant: Tenant, limits: Limits
) -> None:
    limits(max_context_bytes=20_000)
    rid, effect = start_call(db, tenant, vendor_check("http://127.0.0.1:9/vendor"))
    outcome = HttpOutcome(effect.effect_id, 200, "OK", {"report": "x" * 30_000}, True)
    assert apply_http_result(db, effect, outcome) == "applied"
    rt = runtime(db, rid)
    assert rt.state == "failed" and "vendorResult" not in rt.context
    error = rt.context["pluginsOutput"]["vendor"]["error"]
    assert "The plugin's result was not kept" in error and "ARABESQUE_MAX_CONTEXT_BYTES" in error
    assert effect_status(db, effect.pk) == "done"
