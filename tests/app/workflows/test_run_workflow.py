"""run_workflow pieces that the API tests do not pin down: schema error paths, idempotency expiry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft7Validator
from sqlalchemy import select, update

from arabesque.app.errors import InvalidInput
from arabesque.app.workflows._merge import merge_objects
from arabesque.app.workflows.run_workflow import context_errors, run_workflow
from arabesque.store import Business, Database, IdempotencyRecord, OutboxEffect, WorkflowRuntime, utcnow
from service_fixtures import SEED, Tenant


def test_context_errors_name_every_path() -> None:
    schema = {
        "type": "object",
        "required": ["a", "b"],
        "properties": {"c": {"type": "array", "items": {"type": "integer"}}, "d": {"type": "string"}},
    }
    errors = context_errors(schema, {"c": [1, "x", 3, "y"], "d": 5})
    assert [e["path"] for e in errors] == [
        "context.a",
        "context.b",
        "context.c.1",
        "context.c.3",
        "context.d",
    ]
    assert context_errors(None, {}) == [] and context_errors(schema, {"a": 1, "b": 2}) == []


# A context schema with most of what definitions use: types, required, enums, patterns, formats (not
# checked, as `jsonschema` without a format checker), bounds, nested arrays, additionalProperties, refs.
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["entity"],
    "definitions": {"doc": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}},
    "properties": {
        "entity": {
            "type": "object",
            "required": ["type", "id"],
            "properties": {
                "type": {"enum": ["business", "individual"]},
                "id": {"type": "string", "minLength": 1, "pattern": "^[a-z0-9-]+$"},
                "data": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "email": {"type": "string", "format": "email"},
                        "shares": {"type": "number", "minimum": 0, "maximum": 100},
                        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2, "uniqueItems": True},
                    },
                },
            },
        },
        "documents": {"type": "array", "items": {"$ref": "#/definitions/doc"}},
    },
}
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 200)
    | st.floats(allow_nan=False)
    | st.sampled_from(["", "a-1", "A", "x@y"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["type", "id", "data", "email", "shares", "tags", "x"]), inner, max_size=4)
    ),
    max_leaves=12,
)
CONTEXTS = st.fixed_dictionaries(
    {},
    optional={
        "entity": st.fixed_dictionaries(
            {},
            optional={
                "type": st.sampled_from(["business", "individual", "other"]) | JSON,
                "id": st.sampled_from(["acme-1", "", "Bad Id"]) | JSON,
                "data": JSON,
            },
        )
        | JSON,
        "documents": st.lists(st.fixed_dictionaries({}, optional={"id": JSON}) | JSON, max_size=3) | JSON,
    },
)


@settings(max_examples=300, deadline=None)
@given(CONTEXTS)
def test_the_fast_validity_check_agrees_with_jsonschema(context: dict[str, Any]) -> None:
    """A context is accepted exactly when `jsonschema` finds no error (the fast check only skips the
    error walk for valid contexts), and a refused one lists `jsonschema`'s errors."""
    expected = sorted(e.message for e in Draft7Validator(SCHEMA).iter_errors(context))
    assert sorted(e["message"] for e in context_errors(SCHEMA, context)) == expected


def test_a_schema_the_fast_check_cannot_compile_is_still_enforced() -> None:
    schema = {"type": "object", "properties": {"a": {"$ref": "https://example.invalid/a.json"}}, "required": ["b"]}
    assert [e["path"] for e in context_errors(schema, {})] == ["context.b"]


def test_merge_objects_merges_objects_and_replaces_the_rest() -> None:
    base = {"a": {"x": 1, "y": [1, 2]}, "b": 1}
    assert merge_objects(base, {"a": {"y": [3]}, "c": None}) == {"a": {"x": 1, "y": [3]}, "b": 1, "c": None}
    assert base == {"a": {"x": 1, "y": [1, 2]}, "b": 1}  # inputs untouched
    assert merge_objects(None, None) == {}


def test_an_idempotency_key_expires_after_24_hours(db: Database, tenant: Tenant) -> None:
    body = {**SEED, "config": {"allowMultipleActiveWorkflows": True}}
    first = run_workflow(db, tenant.who, body, "key")
    assert run_workflow(db, tenant.who, body, "key") == first
    with db.write() as s:
        s.execute(update(IdempotencyRecord).values(created_at=utcnow() - timedelta(hours=24, seconds=1)))
    again = run_workflow(db, tenant.who, body, "key")
    assert again["workflowRuntimeId"] != first["workflowRuntimeId"]
    with db.read() as s:
        assert len(s.scalars(select(WorkflowRuntime.id)).all()) == 2
        assert len(s.scalars(select(IdempotencyRecord.pk)).all()) == 1


def kyb_with_ubos(ubos: list[dict[str, str]]) -> dict[str, object]:
    return {
        "workflowId": "kyb_with_ubos_demo",
        "context": {
            "entity": {
                "type": "business",
                "id": f"kyb-{len(ubos)}",
                "data": {"companyName": "Parent Ltd", "additionalInfo": {"ubos": ubos}},
            }
        },
    }


def test_child_workflow_effects_go_to_the_outbox_in_the_same_transaction(db: Database, tenant: Tenant) -> None:
    ubos = [{"id": "ubo-1", "firstName": "A", "lastName": "One"}, {"id": "ubo-2", "firstName": "B", "lastName": "Two"}]
    out = run_workflow(db, tenant.who, kyb_with_ubos(ubos))
    with db.read() as s:
        rt = s.get(WorkflowRuntime, out["workflowRuntimeId"])
        assert rt is not None and rt.state == "pending_kyc_response_to_finish"
        effects = s.scalars(select(OutboxEffect).order_by(OutboxEffect.pk)).all()
    assert [(e.effect_type, e.plugin, e.status, e.lock_key) for e in effects] == [
        ("child", "ubo_kyc_child", "pending", rt.id),
        ("child", "ubo_kyc_child", "pending", rt.id),
    ]
    children = [e.payload["initOptions"]["context"]["entity"] for e in effects]
    assert [(c["id"], c["type"], c["data"]["firstName"]) for c in children] == [
        ("ubo-1", "individual", "A"),
        ("ubo-2", "individual", "B"),
    ]
    assert len({e.effect_id for e in effects}) == 2


def test_without_ubos_the_parent_goes_straight_to_review(db: Database, tenant: Tenant) -> None:
    out = run_workflow(db, tenant.who, kyb_with_ubos([]))
    with db.read() as s:
        rt = s.get(WorkflowRuntime, out["workflowRuntimeId"])
        assert rt is not None and rt.state == "manual_review"
        assert s.scalars(select(OutboxEffect)).all() == []


def test_a_refused_initial_event_rolls_everything_back(db: Database, tenant: Tenant) -> None:
    body = {**SEED, "config": {"initialEvent": "NOT_AN_EVENT"}}
    with pytest.raises(InvalidInput, match="NOT_AN_EVENT"):
        run_workflow(db, tenant.who, body)
    with db.read() as s:
        assert s.scalars(select(WorkflowRuntime)).all() == []
        assert s.scalars(select(Business)).all() == []  # the entity upsert was in the same transaction


def test_each_invalid_path_is_reported_once(db: Database, tenant: Tenant) -> None:
    body = {"workflowId": SEED["workflowId"], "context": {"entity": {"type": "business"}}}
    with pytest.raises(InvalidInput) as info:
        run_workflow(db, tenant.who, body)
    paths = [e["path"] for e in info.value.errors]
    assert "context.entity.id" in paths
    assert len(paths) == len(set(paths)), paths
