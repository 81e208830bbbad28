"""The functional core: effects as data, outcomes applied once, refusals change nothing."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from arabesque.engine import (
    ChildStart,
    Env,
    Event,
    EventRejected,
    HttpCall,
    HttpOutcome,
    Notification,
    Snapshot,
    StepFailed,
    apply_outcome,
    load_definition,
    next_events,
    start,
    step,
)

ENV = Env(runtime_id="rt-1", config={"language": "de"}, now_ms=1_700_000_000_000)

KYB: dict[str, Any] = {
    "definitionType": "statechart-json",
    "definition": {
        "initial": "idle",
        "states": {
            "idle": {"tags": ["collection_flow"], "on": {"START": "enrich"}},
            "enrich": {"tags": ["data_enrichment"], "on": {"ENRICHED": "review", "ENRICH_FAILED": "review"}},
            "review": {
                "tags": ["manual_review"],
                "on": {"approve": "approved", "reject": "rejected", "ENRICHED": "review"},
            },
            "approved": {"tags": ["approved"], "type": "final"},
            "rejected": {"tags": ["rejected"], "type": "final"},
        },
    },
    "extensions": {
        "apiPlugins": [
            {
                "name": "registry",
                "url": "https://registry.test/companies/{entity.data.country}",
                "method": "POST",
                "stateNames": ["enrich"],
                "successAction": "ENRICHED",
                "errorAction": "ENRICH_FAILED",
                "headers": {"Authorization": "Bearer {secret.REGISTRY_TOKEN}"},
                "request": {"transform": [{"transformer": "jmespath", "mapping": "{number: entity.data.number}"}]},
            }
        ],
        "childWorkflowPlugins": [
            {
                "name": "ubo_kyc",
                "definitionId": "kyc",
                "stateNames": ["enrich"],
                "transformers": [{"transformer": "jmespath", "mapping": "{entity: entity}"}],
                "initEvent": "start",
            }
        ],
        "dispatchEventPlugins": [{"name": "tell", "eventName": "ENTITIES_UPDATE", "stateNames": ["enrich"]}],
    },
}
CONTEXT = {"entity": {"id": "b1", "data": {"country": "GB", "number": "0123"}}}


@pytest.fixture(scope="module")
def kyb():
    return load_definition(KYB)


def test_start_takes_initial_state_and_tags(kyb):
    snap = start(kyb, CONTEXT)
    assert (snap.state, snap.status, snap.tags, snap.pending, snap.seq) == (
        "idle",
        "active",
        ("collection_flow",),
        {},
        0,
    )


def test_step_returns_effects_as_data_in_reference_order(kyb):
    result = step(kyb, start(kyb, CONTEXT), Event("START"), ENV)
    assert result.snapshot.state == "enrich"
    assert [type(e) for e in result.effects] == [Notification, ChildStart, HttpCall]
    _notify, child, call = result.effects
    assert isinstance(call, HttpCall) and isinstance(child, ChildStart)
    assert call.request.url == "https://registry.test/companies/GB"
    assert call.request.headers["Authorization"] == "Bearer {secret.REGISTRY_TOKEN}"  # resolved at send time
    assert call.request.body == {"number": "0123"}
    assert child.to_json()["initOptions"] == {
        "context": {"entity": CONTEXT["entity"]},
        "event": "start",
        "config": {"language": "de"},
    }
    assert child.parent_runtime_id == "rt-1"
    assert result.snapshot.pending == {call.id: "registry"}
    assert len({e.id for e in result.effects}) == 3
    assert result.transitions == (("START", "idle", "enrich"),)


def test_effects_and_snapshots_round_trip_through_json(kyb):
    result = step(kyb, start(kyb, CONTEXT), Event("START"), ENV)
    for effect in result.effects:
        assert json.loads(json.dumps(effect.to_json())) == effect.to_json()
    restored = Snapshot.from_json(json.loads(json.dumps(result.snapshot.to_json())))
    assert restored == result.snapshot


def test_outcome_persists_and_sends_callback_once(kyb):
    entered = step(kyb, start(kyb, CONTEXT), Event("START"), ENV)
    call = next(e for e in entered.effects if isinstance(e, HttpCall))
    outcome = HttpOutcome(call.id, 200, "OK", {"name": "ACME"}, body_is_json=True)
    applied = apply_outcome(kyb, entered.snapshot, outcome, ENV)
    assert applied.snapshot.state == "review"
    assert applied.snapshot.context["pluginsOutput"] == {"registry": {"name": "ACME"}}
    assert applied.snapshot.pending == {}
    again = apply_outcome(kyb, applied.snapshot, outcome, ENV)
    assert again.duplicate and again.snapshot is applied.snapshot


def test_error_outcome_records_error_and_sends_error_action(kyb):
    entered = step(kyb, start(kyb, CONTEXT), Event("START"), ENV)
    call = next(e for e in entered.effects if isinstance(e, HttpCall))
    applied = apply_outcome(kyb, entered.snapshot, HttpOutcome(call.id, error="connection refused"), ENV)
    assert applied.snapshot.state == "review"
    assert applied.snapshot.context["pluginsOutput"]["registry"] == {
        "name": "registry",
        "error": "connection refused",
        "status": "ERROR",
    }


def test_outcome_whose_callback_the_state_no_longer_accepts_is_reported(kyb):
    entered = step(kyb, start(kyb, CONTEXT), Event("START"), ENV)
    call = next(e for e in entered.effects if isinstance(e, HttpCall))
    moved_on = Snapshot(**{**entered.snapshot.__dict__, "state": "approved", "status": "completed"})
    applied = apply_outcome(kyb, moved_on, HttpOutcome(call.id, 200, "OK", {"a": 1}, True), ENV)
    assert applied.rejected == 'Event ENRICHED is not allowed in the current state: "approved"'
    assert applied.snapshot.state == "approved"
    assert applied.snapshot.pending == {}
    assert applied.snapshot.context["pluginsOutput"] == {"registry": {"a": 1}}


def test_refused_step_leaves_the_snapshot_untouched(kyb):
    snap = start(kyb, copy.deepcopy(CONTEXT))
    before = copy.deepcopy(snap.to_json())
    with pytest.raises(EventRejected) as info:
        step(kyb, snap, Event("approve"), ENV)
    assert str(info.value) == 'Event approve is not allowed in the current state: "idle"'
    assert info.value.allowed == ["START", "UPDATE_CONTEXT", "DEEP_MERGE_CONTEXT"]
    assert snap.to_json() == before


def test_step_never_mutates_its_input(kyb):
    snap = start(kyb, copy.deepcopy(CONTEXT))
    before = copy.deepcopy(snap.to_json())
    merged = step(kyb, snap, Event("DEEP_MERGE_CONTEXT", {"newContext": {"entity": {"data": {"x": 1}}}}), ENV)
    assert merged.snapshot.context["entity"]["data"]["x"] == 1
    assert snap.to_json() == before


def test_final_state_accepts_nothing(kyb):
    snap = Snapshot(state="approved", context={}, status="completed")
    assert next_events(kyb, snap) == []
    for event in ("approve", "UPDATE_CONTEXT", "START"):
        with pytest.raises(EventRejected):
            step(kyb, snap, Event(event, {"context": {}}), ENV)


def test_start_from_unknown_state_is_refused(kyb):
    with pytest.raises(StepFailed):
        start(kyb, {}, "nowhere")


def test_update_context_without_payload_fails(kyb):
    with pytest.raises(StepFailed):
        step(kyb, start(kyb, CONTEXT), Event("UPDATE_CONTEXT"), ENV)


def test_always_loop_is_refused():
    loop = load_definition(
        {
            "definition": {
                "initial": "a",
                "states": {"a": {"on": {"GO": "b"}}, "b": {"always": "c"}, "c": {"always": "b"}},
            }
        }
    )
    with pytest.raises(StepFailed, match="did not settle"):
        step(loop, start(loop), Event("GO"), ENV)


def test_effect_ids_continue_across_steps(kyb):
    first = step(kyb, start(kyb, CONTEXT), Event("START"), ENV)
    snap = Snapshot(**{**first.snapshot.__dict__, "state": "idle"})
    second = step(kyb, snap, Event("START"), ENV)
    assert not {e.id for e in first.effects} & {e.id for e in second.effects}
