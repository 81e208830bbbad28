"""The host's child → parent result propagation (`persistChildWorkflowToParent`, spec §3.7.3), pure.

After every event processed on a child runtime, the host looks up the parent definition's
`config.childCallbackResults` entries for the child's definition. For each entry whose `persistenceStates`
contain the child's new state (or when that state is final) it rebuilds
`parent.context.childWorkflows[<childDefinitionId>] = {<childRuntimeId>: {entityId, status, tags, state,
result}}` for every child of that definition (`result` = the entry's transformers applied to the child
context plus the parent's `projectId`), which replaces the previous map, and sends the whole parent context
as `DEEP_MERGE_CONTEXT` with `arrayMergeOption: "by_id"`. If the entry has a `deliverEvent`, the parent is
not `completed` and the child state is in `persistenceStates` (finality alone is not enough), the
`deliverEvent` is sent next.

`child_callback_actions` returns that ordered list of host actions; the caller applies them to the parent.
"""

from __future__ import annotations

from typing import Any

from arabesque.engine.budget import Meter
from arabesque.engine.transformers import TransformError, compile_transformers

__all__ = ["child_callback_actions"]

_ALLOWED = frozenset({"jmespath", "helper"})


def _transformers(items: Any) -> Any:
    if isinstance(items, list):
        for item in items:
            kind = item.get("transformer") if isinstance(item, dict) else None
            if kind not in _ALLOWED:
                raise TransformError(f"No transformer found for {kind}")
    return compile_transformers(items if isinstance(items, list) else [], allowed=_ALLOWED)


def child_callback_actions(
    *,
    parent_definition: dict[str, Any],
    parent_runtime: dict[str, Any],
    child_definition: dict[str, Any],
    child_runtime: dict[str, Any],
    child_runtime_state: str,
    is_final: bool,
    now_ms: int = 0,
    meter: Meter | None = None,
) -> list[dict[str, Any]]:
    """The host actions for the parent, in order: `{"event": "DEEP_MERGE_CONTEXT", "payload": {...}}` and/or
    `{"event": <deliverEvent>}`.

    `parent_runtime` is `{id, projectId, status, context, childWorkflowsRuntimeData: [{id,
    workflowDefinitionId, status, tags, state, context}]}` (the children as re-read by the host);
    `child_definition` needs `id`; `child_runtime` is the child that changed (kept for the host's
    signature; its row is among `childWorkflowsRuntimeData`). Transformer failures raise `TransformError`,
    transformers that go over the meter's limits (default: `Limits()`) `BudgetExceeded`.
    """
    meter = Meter() if meter is None else meter
    config = parent_definition.get("config") if isinstance(parent_definition.get("config"), dict) else {}
    entries = config.get("childCallbackResults") if isinstance(config, dict) else None
    definition_id = child_definition.get("id", child_runtime.get("workflowDefinitionId"))
    actions: list[dict[str, Any]] = []
    context = parent_runtime.get("context") if isinstance(parent_runtime.get("context"), dict) else {}
    assert isinstance(context, dict)
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or entry.get("definitionId") != definition_id:
            continue
        states = entry.get("persistenceStates") if isinstance(entry.get("persistenceStates"), list) else []
        assert isinstance(states, list)
        in_states = child_runtime_state in states
        if not (in_states or is_final):
            continue
        transformers = _transformers(entry.get("transformers"))
        children: dict[str, Any] = {}
        for child in parent_runtime.get("childWorkflowsRuntimeData") or []:
            if not isinstance(child, dict) or child.get("workflowDefinitionId") != definition_id:
                continue
            child_context = child.get("context") if isinstance(child.get("context"), dict) else {}
            assert isinstance(child_context, dict)
            entity = child_context.get("entity")
            result = transformers.apply({**child_context, "projectId": parent_runtime.get("projectId")}, now_ms, meter)
            meter.begin().check(result)
            children[str(child.get("id"))] = {
                "entityId": entity.get("id") if isinstance(entity, dict) else None,
                "status": child.get("status"),
                "tags": child.get("tags"),
                "state": child.get("state"),
                "result": result,
            }
        child_workflows = context.get("childWorkflows") if isinstance(context.get("childWorkflows"), dict) else {}
        assert isinstance(child_workflows, dict)
        context = {**context, "childWorkflows": {**child_workflows, definition_id: children}}
        actions.append({"event": "DEEP_MERGE_CONTEXT", "payload": {"newContext": context, "arrayMergeOption": "by_id"}})
        deliver = entry.get("deliverEvent")
        if deliver and parent_runtime.get("status") != "completed" and in_states:
            actions.append({"event": deliver})
    return actions
