"""arabesque.engine.child_callback: the host's child → parent propagation (§3.7.3), fixture 56."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from arabesque.engine.child_callback import child_callback_actions
from arabesque.engine.transformers import TransformError
from matching import assert_matches, reference_cases


def _run(inp: dict[str, Any]) -> list[dict[str, Any]]:
    return child_callback_actions(
        parent_definition=inp["parentDefinition"],
        parent_runtime=inp["parentRuntime"],
        child_definition=inp["childDefinition"],
        child_runtime=inp["childRuntime"],
        child_runtime_state=inp["childRuntimeState"],
        is_final=inp["isFinal"],
    )


@pytest.mark.parametrize("case", reference_cases(56))
def test_reference_fixture_56(case: dict[str, Any]) -> None:
    before = copy.deepcopy(case["input"])
    assert_matches(case["expect"]["result"], _run(case["input"]))
    assert case["input"] == before


def _input(transformers: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "parentDefinition": {
            "config": {
                "childCallbackResults": [
                    {"definitionId": "kid", "transformers": transformers, "persistenceStates": ["done"]}
                ]
            }
        },
        "parentRuntime": {
            "id": "p",
            "projectId": "proj-1",
            "status": "active",
            "context": {"documents": [{"id": "d1"}]},
            "childWorkflowsRuntimeData": [
                {"id": "c1", "workflowDefinitionId": "kid", "status": "active", "tags": [], "state": "done",
                 "context": {"entity": {"id": "e1"}}},
                {"id": "c2", "workflowDefinitionId": "other", "status": "active", "tags": [], "state": "x",
                 "context": {"entity": {"id": "e2"}}},
            ],
        },
        "childDefinition": {"id": "kid"},
        "childRuntime": {"workflowDefinitionId": "kid"},
        "childRuntimeState": "done",
        "isFinal": False,
    }  # fmt: skip


def test_transformers_see_project_id_and_no_deliver_event_without_config() -> None:
    actions = _run(_input([{"transformer": "jmespath", "mapping": "{p: projectId, e: entity.id}"}]))
    assert actions == [
        {
            "event": "DEEP_MERGE_CONTEXT",
            "payload": {
                "arrayMergeOption": "by_id",
                "newContext": {
                    "documents": [{"id": "d1"}],
                    "childWorkflows": {
                        "kid": {
                            "c1": {"entityId": "e1", "status": "active", "tags": [], "state": "done",
                                   "result": {"p": "proj-1", "e": "e1"}}
                        }
                    },
                },
            },
        }
    ]  # fmt: skip


def test_unknown_transformer_is_an_error() -> None:
    with pytest.raises(TransformError, match="No transformer found for json-logic"):
        _run(_input([{"transformer": "json-logic", "mapping": {}}]))
