"""The functional core: `step(definition, snapshot, event, env) -> Step`.

A step takes an event to a resting state: it picks the first enabled transition candidate, follows
`always` transitions, runs the plugins of the state it entered (their callbacks cascade through further
states, depth first, as in Ballerine) and returns the new snapshot with the effects the host must perform.
It executes nothing and never mutates what it is given; when it raises, the input snapshot stands.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from arabesque.engine.budget import Meter
from arabesque.engine.definition import (
    BUILTIN_EVENTS,
    DEEP_MERGE_CONTEXT,
    MAX_ALWAYS_HOPS,
    UPDATE_CONTEXT,
    Candidate,
    Definition,
)
from arabesque.engine.errors import EventRejected, StepError, StepFailed
from arabesque.engine.merge import deep_merge_with_options
from arabesque.engine.plugins import ApiPlugin, EmailPlugin
from arabesque.engine.types import Effect, EmailCall, Env, Event, HttpCall, HttpOutcome, Snapshot, Status, Step

__all__ = ["apply_outcome", "next_events", "start", "step"]


def start(definition: Definition, context: dict[str, Any] | None = None, state: str | None = None) -> Snapshot:
    """A new instance at `state` (default: the initial state); an empty context takes the default one."""
    state = state or definition.initial
    if state not in definition.states:
        raise StepFailed(f'Unknown state "{state}": the definition has no such state')
    chosen = context if context else definition.default_context
    status: Status = "completed" if definition.is_final(state) else "active"
    return Snapshot(state=state, context=dict(chosen), status=status, tags=definition.tags_of(state))


def next_events(definition: Definition, snapshot: Snapshot) -> list[str]:
    """The events the current state accepts (guards aside); none in a final state."""
    node = definition.states.get(snapshot.state)
    return list(node.allowed) if node is not None else []


def step(definition: Definition, snapshot: Snapshot, event: Event, env: Env) -> Step:
    """Process one event and every plugin cascade it causes; raise `StepError` to refuse it."""
    run = _Run(definition, snapshot, env)
    run.send(event)
    return run.result()


def apply_outcome(definition: Definition, snapshot: Snapshot, outcome: HttpOutcome, env: Env) -> Step:
    """Apply the result of an `HttpCall` (or an `EmailCall`): persist it and send the plugin's callback event.

    An outcome whose effect is not pending (already applied, or never awaited) changes nothing and
    returns `duplicate=True`. A callback event the current state does not accept is reported in
    `Step.rejected`; the result is still persisted and the effect is no longer pending.
    """
    plugin_name = snapshot.pending.get(outcome.effect_id)
    if plugin_name is None:
        return Step(snapshot, duplicate=True)
    plugin = definition.plugins_by_name.get(plugin_name)
    run = _Run(definition, snapshot, env)
    del run.pending[outcome.effect_id]
    callback = plugin.record_outcome(run, outcome) if isinstance(plugin, ApiPlugin | EmailPlugin) else None
    if callback:
        try:
            with run.checkpoint():
                run.send(callback)
        except StepError as exc:
            return replace(run.result(), rejected=str(exc))
    return run.result()


class _Run:
    """One step in progress: the working state a cascade of events updates."""

    def __init__(self, definition: Definition, snapshot: Snapshot, env: Env) -> None:
        self.definition = definition
        self.env = env
        self.state = snapshot.state
        self.context: dict[str, Any] = snapshot.context
        self.status: Status = snapshot.status
        self.pending = dict(snapshot.pending)
        self.seq = snapshot.seq
        self.effects: list[Effect] = []
        self.transitions: list[tuple[str, str, str]] = []
        self.meter = Meter(env.limits, env.time_left)

    def new_effect_id(self) -> str:
        self.seq += 1
        return f"e{self.seq}"

    def emit(self, effect: Effect) -> None:
        self.effects.append(effect)
        if isinstance(effect, HttpCall | EmailCall) and effect.awaits_outcome:
            self.pending[effect.id] = effect.plugin

    def send(self, event_type: str | Event) -> None:
        event = event_type if isinstance(event_type, Event) else Event(event_type)
        definition = self.definition
        node = definition.states[self.state]
        if event.type not in node.allowed:
            raise EventRejected(event.type, self.state, list(node.allowed))
        candidate = self.select(node.on.get(event.type, ()), event)
        if candidate is None:
            candidate = self.select(definition.root_on.get(event.type, ()), event)
        before = self.state
        if candidate is not None:
            # A targetless candidate stays put: its actions are code-level, nothing to run here.
            target = candidate.target or before
        elif event.type in BUILTIN_EVENTS and event.type not in node.on and event.type not in definition.root_on:
            self.context = _builtin(event, self.context)
            target = before
        else:
            return  # no candidate passed its guard: no transition
        # As in xstate, `always` candidates are checked after every transition, an assignment included,
        # so a context update can complete a review state whose rules now pass.
        self.state = self.settle(target)
        if definition.states[self.state].final:
            self.status = "completed"
        self.transitions.append((event.type, before, self.state))
        if self.state == before:
            return
        for plugin in definition.states[self.state].plugins:
            plugin.run(self)

    def select(self, candidates: tuple[Candidate, ...], event: Event) -> Candidate | None:
        if not candidates:
            return None
        data = {**self.context, **event.payload} if event.payload else self.context
        for candidate in candidates:
            if candidate.forbidden:
                continue
            if candidate.guard is None or candidate.guard.passes(data, self.meter):
                return candidate
        return None

    def settle(self, state: str) -> str:
        """Follow `always` transitions to a resting state; their guards see the context only."""
        for _ in range(MAX_ALWAYS_HOPS):
            node = self.definition.states[state]
            taken = next(
                (c for c in node.always if c.target and (c.guard is None or c.guard.passes(self.context, self.meter))),
                None,
            )
            if taken is None or taken.target is None:
                return state
            state = taken.target
        raise StepFailed(f"always transitions did not settle after {MAX_ALWAYS_HOPS} hops (at state {state})")

    def checkpoint(self) -> _Checkpoint:
        return _Checkpoint(self)

    def result(self) -> Step:
        snapshot = Snapshot(
            state=self.state,
            context=self.context,
            status=self.status,
            tags=self.definition.tags_of(self.state),
            pending=self.pending,
            seq=self.seq,
        )
        return Step(snapshot, tuple(self.effects), tuple(self.transitions))


class _Checkpoint:
    """Restores a run if the block raises: a rejected callback leaves no half-applied cascade."""

    def __init__(self, run: _Run) -> None:
        self.run = run
        self.saved = (run.state, run.context, run.status, dict(run.pending), run.seq)
        self.marks = (len(run.effects), len(run.transitions))

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is not None:
            run = self.run
            run.state, run.context, run.status, run.pending, run.seq = self.saved
            del run.effects[self.marks[0] :]
            del run.transitions[self.marks[1] :]


def _builtin(event: Event, context: dict[str, Any]) -> dict[str, Any]:
    payload = event.payload or {}
    if event.type == UPDATE_CONTEXT:
        update = payload.get("context")
        if not isinstance(update, dict):
            raise StepFailed("UPDATE_CONTEXT needs payload.context, an object")
        return {**context, **update}
    assert event.type == DEEP_MERGE_CONTEXT
    new_context = payload.get("newContext")
    if not isinstance(new_context, dict):
        raise StepFailed("DEEP_MERGE_CONTEXT needs payload.newContext, an object")
    option = payload.get("arrayMergeOption") or "concat"
    merged = deep_merge_with_options(context, new_context, str(option))
    return merged if isinstance(merged, dict) else context
