"""Properties of `step` over random event sequences drawn from the example definitions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arabesque.engine import (
    Definition,
    Env,
    Event,
    EventRejected,
    HttpCall,
    HttpOutcome,
    Snapshot,
    StepError,
    apply_outcome,
    load_definition,
    next_events,
    start,
    step,
)
from paths import SCENARIOS

ENV = Env(runtime_id="rt", config={}, now_ms=0)


def _definitions() -> list[tuple[str, Definition, dict[str, Any]]]:
    found = []
    for path in sorted(Path(SCENARIOS).glob("*.json")):
        scenario = json.loads(path.read_text())
        found.append((path.stem, load_definition(scenario["definition"]), scenario.get("initialContext") or {}))
    return found


DEFINITIONS = _definitions()


def _events(definition: Definition) -> list[str]:
    names = {e for node in definition.states.values() for e in node.on} | set(definition.root_on)
    return sorted(names | {"NOT_AN_EVENT"})


def _drive(definition: Definition, snapshot: Snapshot, event: Event) -> Snapshot:
    """Step, then answer every awaited HTTP call with a fixed 200 response."""
    result = step(definition, snapshot, event, ENV)
    snapshot = result.snapshot
    calls = [e for e in result.effects if isinstance(e, HttpCall) and e.awaits_outcome]
    for call in calls:
        applied = apply_outcome(definition, snapshot, HttpOutcome(call.id, 200, "OK", {"ok": True}, True), ENV)
        snapshot = applied.snapshot
        calls += [e for e in applied.effects if isinstance(e, HttpCall) and e.awaits_outcome]
    return snapshot


@pytest.mark.parametrize(("name", "definition", "context"), DEFINITIONS, ids=[d[0] for d in DEFINITIONS])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_walks_keep_the_invariants(
    name: str, definition: Definition, context: dict[str, Any], data: Any
) -> None:
    snapshot = start(definition, context)
    events = _events(definition)
    for _ in range(data.draw(st.integers(0, 8))):
        event = Event(data.draw(st.sampled_from(events)))
        before = json.dumps(snapshot.to_json(), sort_keys=True)
        try:
            first = step(definition, snapshot, event, ENV)
        except StepError as exc:
            if definition.is_final(snapshot.state):
                assert isinstance(exc, EventRejected)
            # a refused step changes nothing
            assert json.dumps(snapshot.to_json(), sort_keys=True) == before
            continue
        assert not definition.is_final(snapshot.state), "a final state accepted an event"
        assert event.type in next_events(definition, snapshot)
        second = step(definition, snapshot, event, ENV)
        assert first == second, "step is not deterministic"
        for effect in first.effects:
            json.dumps(effect.to_json())
        snapshot = _drive(definition, snapshot, event) if first.effects else first.snapshot
        assert snapshot.state in definition.states
        assert Snapshot.from_json(json.loads(json.dumps(snapshot.to_json()))) == snapshot
        assert snapshot.tags == definition.tags_of(snapshot.state)
        if definition.is_final(snapshot.state):
            assert snapshot.status == "completed"
