"""`attach-ui-definition`: the engine asks for a token as data (a `FlowTokenRequest`, pending like an HTTP call) and
the host's answer, through `apply_outcome`, is merged into `metadata` (successAction) or kept as the plugin's error
(errorAction). Pure: nothing is issued here."""

from __future__ import annotations

from typing import Any

import pytest

from arabesque.engine import (
    DefinitionError,
    Env,
    Event,
    FlowTokenRequest,
    HttpOutcome,
    apply_outcome,
    load_definition,
    start,
    step,
)

ENV = Env(runtime_id="rt-1", now_ms=1_700_000_000_000)
RECORD: dict[str, Any] = {
    "definition": {
        "initial": "idle",
        "states": {
            "idle": {"on": {"START": "attaching"}},
            "attaching": {"on": {"ATTACHED": "collecting", "NOT_ATTACHED": "failed"}},
            "collecting": {},
            "failed": {"type": "final"},
        },
    },
    "extensions": {
        "commonPlugins": [
            {
                "pluginKind": "attach-ui-definition",
                "name": "attach",
                "stateNames": ["attaching"],
                "uiDefinitionId": "kyb-flow",
                "successAction": "ATTACHED",
                "errorAction": "NOT_ATTACHED",
            }
        ]
    },
}


def _asked() -> tuple[Any, Any, FlowTokenRequest]:
    defn = load_definition(RECORD)
    result = step(defn, start(defn, {"metadata": {"customerId": "c1"}}), Event("START"), ENV)
    assert result.snapshot.state == "attaching"
    (effect,) = result.effects
    assert isinstance(effect, FlowTokenRequest)
    assert effect.to_json() == {"type": "flow-token", "id": effect.id, "plugin": "attach", "uiDefinitionId": "kyb-flow"}
    assert result.snapshot.pending == {effect.id: "attach"}
    return defn, result.snapshot, effect


def test_the_answer_is_merged_into_metadata_and_sends_success() -> None:
    defn, snap, effect = _asked()
    body = {"collectionFlowUrl": "https://x/collection-flow", "customerName": "Acme"}
    done = apply_outcome(defn, snap, HttpOutcome(effect.id, status=200, body=body, body_is_json=True), ENV)
    assert done.snapshot.state == "collecting" and done.snapshot.pending == {}
    assert done.snapshot.context["metadata"] == {"customerId": "c1", **body}
    again = apply_outcome(defn, done.snapshot, HttpOutcome(effect.id, status=200, body=body, body_is_json=True), ENV)
    assert again.duplicate


def test_an_error_is_the_plugins_and_sends_error() -> None:
    defn, snap, effect = _asked()
    done = apply_outcome(defn, snap, HttpOutcome(effect.id, error="No UI definition [kyb-flow]"), ENV)
    assert done.snapshot.state == "failed"
    assert done.snapshot.context["pluginsOutput"] == {"attach": {"error": "No UI definition [kyb-flow]"}}


def test_the_ui_definition_is_required() -> None:
    record = {**RECORD, "extensions": {"commonPlugins": [{"pluginKind": "attach-ui-definition", "name": "a"}]}}
    with pytest.raises(DefinitionError) as info:
        load_definition(record)
    assert [p.path for p in info.value.problems if "uiDefinitionId" in p.path]
