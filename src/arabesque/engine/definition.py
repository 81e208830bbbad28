"""Load a workflow definition record: validate it, report every problem, compile it once.

A record is what Ballerine stores as a WorkflowDefinition: `definitionType`, `definition` (an xstate v4
statechart in JSON), `extensions` (plugins), `config`, `contextSchema`, `documentsSchema`; unknown keys are
kept in `record` as they are. Errors refuse the definition (`DefinitionError`); warnings are kept on
`Definition.warnings` because definitions Ballerine ships carry them and still run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from arabesque.engine.errors import DefinitionError, Problem
from arabesque.engine.guards import Guard, GuardSyntaxError, NamedGuard, compile_guard
from arabesque.engine.plugins import Plugin, compile_extensions

__all__ = ["BUILTIN_EVENTS", "Candidate", "Definition", "StateNode", "load_definition"]

UPDATE_CONTEXT = "UPDATE_CONTEXT"
DEEP_MERGE_CONTEXT = "DEEP_MERGE_CONTEXT"
BUILTIN_EVENTS = (UPDATE_CONTEXT, DEEP_MERGE_CONTEXT)
MAX_ALWAYS_HOPS = 64


@dataclass(frozen=True)
class Candidate:
    """One transition candidate: taken when its guard passes (or it has none)."""

    target: str | None
    guard: Guard | NamedGuard | None = None
    has_actions: bool = False

    @property
    def forbidden(self) -> bool:
        """No target and no actions: xstate leaves the event out of the allowed events."""
        return self.target is None and not self.has_actions


@dataclass(frozen=True)
class StateNode:
    name: str
    on: Mapping[str, tuple[Candidate, ...]]
    always: tuple[Candidate, ...] = ()
    final: bool = False
    tags: tuple[str, ...] = ()
    plugins: tuple[Plugin, ...] = ()  # run on entering the state, in the reference order
    allowed: tuple[str, ...] = ()  # the events this state accepts, guards aside


@dataclass(frozen=True)
class Definition:
    record: dict[str, Any]
    initial: str
    states: Mapping[str, StateNode]
    root_on: Mapping[str, tuple[Candidate, ...]]
    default_context: dict[str, Any]
    plugins_by_name: Mapping[str, Plugin]
    warnings: list[Problem] = field(default_factory=list)

    @property
    def id(self) -> str | None:
        value = self.record.get("id") or self.record.get("name")
        return str(value) if value is not None else None

    @property
    def config(self) -> dict[str, Any]:
        config = self.record.get("config")
        return config if isinstance(config, dict) else {}

    @property
    def context_schema(self) -> dict[str, Any] | None:
        wrapper = self.record.get("contextSchema")
        schema = wrapper.get("schema") if isinstance(wrapper, dict) else None
        return schema if isinstance(schema, dict) else None

    def is_final(self, state: str) -> bool:
        node = self.states.get(state)
        return node is not None and node.final

    def tags_of(self, state: str) -> tuple[str, ...]:
        node = self.states.get(state)
        return node.tags if node is not None else ()


def load_definition(record: Any) -> Definition:
    """Validate and compile a definition record; raise `DefinitionError` listing every problem."""
    loader = _Loader()
    definition = loader.load(record)
    if loader.errors or definition is None:
        raise DefinitionError(loader.errors)
    return definition


class _Loader:
    def __init__(self) -> None:
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []

    def error(self, path: str, message: str) -> None:
        self.errors.append(Problem(path, message))

    def load(self, record: Any) -> Definition | None:
        if not isinstance(record, dict):
            self.error("", "a definition record must be a JSON object")
            return None
        kind = record.get("definitionType", "statechart-json")
        if kind != "statechart-json":
            self.error("definitionType", f'unsupported definition type {kind!r}: only "statechart-json"')
        chart = record.get("definition")
        if not isinstance(chart, dict):
            self.error("definition", "required: the statechart (an object with initial and states)")
            return None
        raw_states = chart.get("states")
        if not isinstance(raw_states, dict) or not raw_states:
            self.error("definition.states", "required: an object with at least one state")
            return None
        names = frozenset(raw_states)
        initial = chart.get("initial")
        if not isinstance(initial, str) or not initial:
            self.error("definition.initial", "required: the name of the initial state")
        elif initial not in names:
            self.error("definition.initial", f'unknown state "{initial}"')
        default_context = chart.get("context", {})
        if not isinstance(default_context, dict):
            self.error("definition.context", "must be an object")
            default_context = {}

        root_on = self.transitions(chart.get("on"), "definition.on", names)
        nodes = {name: self.state(name, raw, f"definition.states.{name}", names) for name, raw in raw_states.items()}
        if isinstance(initial, str) and initial in nodes:
            for name in _unreachable(initial, nodes, root_on):
                self.warnings.append(Problem(f"definition.states.{name}", "unreachable from the initial state"))
        accepted = _accepted_events(nodes, root_on)
        extensions = record.get("extensions")
        plugins = compile_extensions(extensions, names, accepted)
        self.errors += plugins.errors
        self.warnings += plugins.warnings
        if self.errors:
            return None
        states = {
            name: StateNode(
                node.name,
                node.on,
                node.always,
                node.final,
                node.tags,
                plugins.by_state.get(name, ()),
                _allowed_events(node, root_on),
            )
            for name, node in nodes.items()
        }
        return Definition(
            record=record,
            initial=str(initial),
            states=states,
            root_on=root_on,
            default_context=default_context,
            plugins_by_name=plugins.by_name,
            warnings=self.warnings,
        )

    def state(self, name: str, raw: Any, path: str, names: frozenset[str]) -> StateNode:
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            self.error(path, "a state must be an object")
            return StateNode(name, {})
        if "states" in raw:
            self.error(f"{path}.states", "nested (compound) states are not supported")
        kind = raw.get("type")
        if kind not in (None, "final", "atomic"):
            self.error(f"{path}.type", f'unsupported state type {kind!r}: only "final"')
        tags = raw.get("tags", [])
        if isinstance(tags, str):
            tags = [tags]
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            self.error(f"{path}.tags", "must be an array of strings")
            tags = []
        always = raw.get("always")
        always_list = always if isinstance(always, list) else [] if always is None else [always]
        return StateNode(
            name=name,
            on=self.transitions(raw.get("on"), f"{path}.on", names),
            always=tuple(self.candidate(c, f"{path}.always[{i}]", names) for i, c in enumerate(always_list)),
            final=kind == "final",
            tags=tuple(tags),
        )

    def transitions(self, raw: Any, path: str, names: frozenset[str]) -> dict[str, tuple[Candidate, ...]]:
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            self.error(path, "must be an object of event names to transitions")
            return {}
        result = {}
        for event, value in raw.items():
            if isinstance(value, list):
                items = [(v, f"{path}.{event}[{i}]") for i, v in enumerate(value)]
            else:
                items = [(value, f"{path}.{event}")]
            result[event] = tuple(self.candidate(v, p, names) for v, p in items)
        return result

    def candidate(self, raw: Any, path: str, names: frozenset[str]) -> Candidate:
        if isinstance(raw, str):
            raw = {"target": raw}
        if not isinstance(raw, dict):
            self.error(path, "a transition is a state name or an object with target, cond, actions")
            return Candidate(None)
        target = raw.get("target")
        if isinstance(target, list) and len(target) == 1:
            target = target[0]
        if target is not None and not isinstance(target, str):
            self.error(f"{path}.target", "must be a state name")
            target = None
        if isinstance(target, str) and target not in names:
            self.error(f"{path}.target", f'unknown state "{target}"')
        guard = None
        if "cond" in raw or "guard" in raw:
            key = "cond" if "cond" in raw else "guard"
            try:
                guard = compile_guard(raw[key], f"{path}.{key}")
            except GuardSyntaxError as exc:
                self.error(f"{path}.{key}", str(exc))
            if isinstance(guard, NamedGuard):
                self.warnings.append(
                    Problem(f"{path}.{key}", f'named guard "{guard.name}" is not implemented; the transition fails')
                )
        actions = raw.get("actions")
        return Candidate(target, guard, bool(actions))


def _accepted_events(nodes: Mapping[str, StateNode], root_on: Mapping[str, tuple[Candidate, ...]]) -> frozenset[str]:
    events = set(root_on) | set(BUILTIN_EVENTS)
    for node in nodes.values():
        events.update(node.on)
    return frozenset(events)


def _allowed_events(node: StateNode, root_on: Mapping[str, tuple[Candidate, ...]]) -> tuple[str, ...]:
    """xstate's `nextEvents`: events with a usable candidate here or at the root, plus the built-ins.

    A final state accepts nothing (Ballerine restarts the machine instead; we refuse the event). A root
    `on` adds to the built-in context events rather than replacing them (Ballerine drops them).
    """
    if node.final:
        return ()
    events = [e for e, cands in node.on.items() if any(not c.forbidden for c in cands)]
    events += [e for e, cands in root_on.items() if any(not c.forbidden for c in cands)]
    events += [e for e in BUILTIN_EVENTS if e not in node.on and e not in root_on]
    return tuple(dict.fromkeys(events))


def _unreachable(
    initial: str, nodes: Mapping[str, StateNode], root_on: Mapping[str, tuple[Candidate, ...]]
) -> list[str]:
    """States no sequence of events leads to (guards aside): usually a typo in a target."""

    def targets(candidates: list[Candidate]) -> list[str]:
        return [c.target for c in candidates if c.target is not None and c.target in nodes]

    from_root = targets([c for cands in root_on.values() for c in cands])
    seen, todo = {initial, *from_root}, [initial, *from_root]
    while todo:
        node = nodes[todo.pop()]
        for target in targets([c for cands in node.on.values() for c in cands] + list(node.always)):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return [name for name in nodes if name not in seen]
