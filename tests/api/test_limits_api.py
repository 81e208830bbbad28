"""Bounded evaluation through the API (issue 9, findings 2 and 8): definitions, contexts and evaluations
over their limits are refused with a clear 400/413 naming the limit and where it was exceeded."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from starlette.testclient import TestClient

from arabesque.app.limits import ServiceLimits
from limits_fixtures import CATASTROPHIC, REDUCE_MERGE, definition_with_guard
from service_fixtures import SEED, Tenant

RUN = "/api/v1/external/workflows/run"
DEFINITIONS = "/api/v1/workflow-definition"
Limits = Callable[..., ServiceLimits]


def seed(**context: Any) -> dict[str, Any]:
    body = copy.deepcopy(SEED)
    body["context"].update(context)
    return body


def run(client: TestClient, tenant: Tenant, body: dict[str, Any]) -> str:
    answer = client.post(RUN, json=body, headers=tenant.headers)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["workflowRuntimeId"])


# --- definitions ----------------------------------------------------------------------------------------


def test_a_definition_with_too_many_states_is_413_naming_the_limit(client: TestClient, tenant: Tenant) -> None:
    states = {f"s{i}": {"on": {"NEXT": f"s{i + 1}"}} for i in range(1000)} | {"s1000": {"type": "final"}}
    record = {"name": "huge", "definition": {"id": "huge", "initial": "s0", "states": states}}
    answer = client.post(DEFINITIONS, json=record, headers=tenant.headers)
    assert answer.status_code == 413
    [error] = answer.json()["errors"]
    assert error["path"] == "definition.states"
    assert "1,001 states, over the limit of 1,000 (ARABESQUE_MAX_DEFINITION_STATES)" in error["message"]


def test_a_definition_over_the_byte_and_plugin_limits_lists_both(
    client: TestClient, tenant: Tenant, limits: Limits
) -> None:
    limits(max_definition_bytes=50_000, max_definition_plugins=10)
    plugin = {"name": "p", "url": "https://vendor.example/" + "x" * 5000, "stateNames": ["a"]}
    record = definition_with_guard("plugins", {"type": "jmespath", "options": {"rule": "`true`"}})
    record["extensions"] = {"apiPlugins": [{**plugin, "name": f"p{i}"} for i in range(11)]}
    answer = client.post(DEFINITIONS, json=record, headers=tenant.headers)
    assert answer.status_code == 413
    errors = {e["path"]: e["message"] for e in answer.json()["errors"]}
    assert "ARABESQUE_MAX_DEFINITION_BYTES" in errors[""]
    assert "11 plugins, over the limit of 10 (ARABESQUE_MAX_DEFINITION_PLUGINS)" in errors["extensions"]


# --- contexts -------------------------------------------------------------------------------------------


def test_a_run_context_over_the_limit_is_413(client: TestClient, tenant: Tenant, limits: Limits) -> None:
    limits(max_context_bytes=4_000)
    answer = client.post(RUN, json=seed(notes="x" * 5_000), headers=tenant.headers)
    assert answer.status_code == 413
    body = answer.json()
    assert body["errors"][0]["path"] == "context"
    assert "over the limit of 4,000 bytes (ARABESQUE_MAX_CONTEXT_BYTES)" in body["message"]


def test_repeated_merges_cannot_grow_the_context_past_the_limit(
    client: TestClient, tenant: Tenant, limits: Limits
) -> None:
    limits(max_context_bytes=20_000)
    rid = run(client, tenant, seed())
    merge = {"name": "DEEP_MERGE_CONTEXT", "payload": {"newContext": {"log": ["y" * 1_000]}}}
    statuses = [
        client.post(f"/api/v1/external/workflows/{rid}/event", json=merge, headers=tenant.headers).status_code
        for _ in range(30)
    ]
    assert statuses[:5] == [200] * 5 and statuses[-1] == 413
    context = client.get(f"/api/v1/external/workflows/{rid}/context", headers=tenant.headers).json()["context"]
    assert len(json.dumps(context, separators=(",", ":"))) <= 20_000


def test_a_patch_cannot_grow_the_context_past_the_limit(client: TestClient, tenant: Tenant, limits: Limits) -> None:
    limits(max_context_bytes=8_000)
    rid = run(client, tenant, seed())
    path = f"/api/v1/external/workflows/{rid}"
    assert client.patch(path, json={"context": {"a": "x" * 3_000}}, headers=tenant.headers).status_code == 200
    answer = client.patch(path, json={"context": {"b": "x" * 6_000}}, headers=tenant.headers)
    assert answer.status_code == 413 and "ARABESQUE_MAX_CONTEXT_BYTES" in answer.json()["message"]
    context = client.get(f"{path}/context", headers=tenant.headers).json()["context"]
    assert "b" not in context and context["a"] == "x" * 3_000


def test_an_event_payload_over_the_limit_is_413(client: TestClient, tenant: Tenant, limits: Limits) -> None:
    limits(max_context_bytes=8_000)
    rid = run(client, tenant, seed())
    body = {"name": "UPDATE_CONTEXT", "payload": {"context": {"blob": "x" * 9_000}}}
    answer = client.post(f"/api/v1/external/workflows/{rid}/event", json=body, headers=tenant.headers)
    assert answer.status_code == 413
    assert (
        answer.json()["errors"] == [{"path": "payload", "message": answer.json()["errors"][0]["message"]}]
        and "ARABESQUE_MAX_CONTEXT_BYTES" in answer.json()["errors"][0]["message"]
    )


def _nested(depth: int) -> str:
    """A JSON value `depth` objects deep, as text (deeper than `json.dumps` of a nested dict would print)."""
    return '{"a":' * depth + "1" + "}" * depth


def test_a_context_nested_past_the_depth_limit_is_400_on_run_patch_and_event(
    client: TestClient, tenant: Tenant
) -> None:
    # 900 levels parse, but copying and merging them recursed past Python's limit: a 500 before.
    rid = run(client, tenant, seed())
    deep = _nested(900)
    bodies = {
        RUN: json.dumps(seed()).replace('"documents": []', f'"documents": [], "deep": {deep}'),
        f"/api/v1/external/workflows/{rid}/event": f'{{"name": "UPDATE_CONTEXT", "payload": {{"context": {deep}}}}}',
    }
    for url, body in bodies.items():
        answer = client.post(url, content=body, headers={**tenant.headers, "content-type": "application/json"})
        assert answer.status_code == 400, (url, answer.text)
        assert "nested deeper than 200 levels (ARABESQUE_MAX_VALUE_DEPTH)" in answer.json()["errors"][0]["message"]
    patch = f'{{"context": {{"deep": {deep}}}}}'
    answer = client.patch(
        f"/api/v1/external/workflows/{rid}",
        content=patch,
        headers={**tenant.headers, "content-type": "application/json"},
    )
    assert answer.status_code == 400 and "ARABESQUE_MAX_VALUE_DEPTH" in answer.text


def test_a_definition_nested_past_the_depth_limit_is_400(client: TestClient, tenant: Tenant) -> None:
    record = definition_with_guard("deep", {"type": "jmespath", "options": {"rule": "`true`"}})
    text = json.dumps(record).replace('"definition": {', f'"meta": {_nested(300)}, "definition": {{', 1)
    answer = client.post(DEFINITIONS, content=text, headers={**tenant.headers, "content-type": "application/json"})
    assert answer.status_code == 400, answer.text
    assert "ARABESQUE_MAX_VALUE_DEPTH" in answer.json()["errors"][0]["message"]


# --- evaluations ----------------------------------------------------------------------------------------


def test_a_guard_over_the_evaluation_budget_is_400_naming_guard_and_limit(
    client: TestClient, tenant: Tenant, limits: Limits
) -> None:
    limits(steps=200_000, value_size=100_000)
    record = definition_with_guard("doubling", {"type": "json-logic", "options": {"rule": REDUCE_MERGE}})
    assert client.post(DEFINITIONS, json=record, headers=tenant.headers).status_code == 201
    body = {**seed(), "workflowId": "doubling"}
    body["context"]["entity"]["data"]["items"] = list(range(30))
    rid = run(client, tenant, body)
    answer = client.post(f"/api/v1/external/workflows/{rid}/event", json={"name": "GO"}, headers=tenant.headers)
    assert answer.status_code == 400
    [error] = answer.json()["errors"]
    assert error["path"] == "definition.states.a.on.GO[0].cond"
    assert "the limit is set by ARABESQUE_MAX_" in error["message"]
    assert answer.json()["message"].startswith("Evaluation budget exceeded at definition.states.a.on.GO[0].cond")
    state = client.get(f"/api/v1/external/workflows/{rid}", headers=tenant.headers).json()["state"]
    assert state == "a"


def test_a_catastrophic_context_schema_pattern_is_400_naming_the_pattern(
    client: TestClient, tenant: Tenant, limits: Limits
) -> None:
    limits(regex_seconds=0.2)
    schema = {"type": "object", "properties": {"entity": {"properties": {"id": {"pattern": CATASTROPHIC}}}}}
    record = definition_with_guard("pattern", {"type": "jmespath", "options": {"rule": "`true`"}}, schema)
    assert client.post(DEFINITIONS, json=record, headers=tenant.headers).status_code == 201
    body = {**seed(), "workflowId": "pattern"}
    body["context"]["entity"]["id"] = "a" * 40 + "!"
    answer = client.post(RUN, json=body, headers=tenant.headers)
    assert answer.status_code == 400
    [error] = answer.json()["errors"]
    assert error["path"] == "contextSchema.schema.properties.entity.properties.id.pattern"
    assert "did not finish matching within 0.2 s" in error["message"]
    assert "ARABESQUE_REGEX_TIME_LIMIT_SECONDS" in error["message"]


def test_context_schema_patterns_keep_ecmascript_semantics(client: TestClient, tenant: Tenant) -> None:
    schema = {"type": "object", "properties": {"entity": {"properties": {"id": {"pattern": "^[a-z0-9-]+$"}}}}}
    record = definition_with_guard("anchored", {"type": "jmespath", "options": {"rule": "`true`"}}, schema)
    assert client.post(DEFINITIONS, json=record, headers=tenant.headers).status_code == 201
    body = {**seed(), "workflowId": "anchored"}
    body["context"]["entity"]["id"] = "acme-1\n"  # `$` is the very end in ECMAScript
    answer = client.post(RUN, json=body, headers=tenant.headers)
    assert answer.status_code == 400 and answer.json()["errors"][0]["path"] == "context.entity.id"
