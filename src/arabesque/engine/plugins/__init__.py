"""Plugins: compile `extensions` once, and run them on entering their states.

Groups run in Ballerine's order on entering a state: dispatch-event, child-workflow, common, API.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from arabesque.engine.errors import Problem
from arabesque.engine.plugins.api import ApiPlugin, compile_api_plugin
from arabesque.engine.plugins.base import Plugin, PluginError, Problems, StepScope, state_names_of
from arabesque.engine.plugins.child import ChildPlugin, compile_child_plugin
from arabesque.engine.plugins.common import compile_common_plugin
from arabesque.engine.plugins.dispatch import compile_dispatch_plugin
from arabesque.engine.plugins.email import EmailPlugin, compile_email_plugin

__all__ = [
    "ApiPlugin",
    "CompiledExtensions",
    "EmailPlugin",
    "Plugin",
    "PluginError",
    "StepScope",
    "compile_extensions",
]

GROUPS = ("dispatchEventPlugins", "childWorkflowPlugins", "commonPlugins", "apiPlugins")
KNOWN_KEYS = frozenset(GROUPS) | {"statePlugins"}


@dataclass(frozen=True)
class CompiledExtensions:
    by_state: Mapping[str, tuple[Plugin, ...]] = field(default_factory=dict)
    by_name: Mapping[str, Plugin] = field(default_factory=dict)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def compile_extensions(extensions: Any, states: frozenset[str], accepted: frozenset[str]) -> CompiledExtensions:
    """Compile every plugin; `accepted` is every event some state (or the root) accepts."""
    problems = Problems()
    if extensions is None:
        return CompiledExtensions()
    if not isinstance(extensions, dict):
        problems.error("extensions", "must be an object")
        return CompiledExtensions(errors=problems.errors)
    for key in extensions:
        if key not in KNOWN_KEYS:
            problems.warn(f"extensions.{key}", "unknown extension key, ignored")
    raw_groups = {}
    for group in GROUPS:
        items = extensions.get(group) or []
        if not isinstance(items, list):
            problems.error(f"extensions.{group}", "must be an array")
            items = []
        raw_groups[group] = [(f"extensions.{group}[{i}]", raw) for i, raw in enumerate(items)]

    _check_names(raw_groups, problems)
    compiled: dict[str, list[Plugin]] = {group: [] for group in GROUPS}
    actions: dict[str, ApiPlugin | ChildPlugin] = {}
    # Common plugins name their action among the API and child plugins, so those compile first.
    for group in ("apiPlugins", "childWorkflowPlugins", "dispatchEventPlugins", "commonPlugins"):
        for path, raw in raw_groups[group]:
            if not isinstance(raw, dict):
                continue
            plugin: Plugin | None
            if group == "apiPlugins" and _is_email(raw):
                plugin = compile_email_plugin(raw, path, problems)
            elif group == "apiPlugins":
                plugin = compile_api_plugin(raw, path, problems)
            elif group == "childWorkflowPlugins":
                plugin = compile_child_plugin(raw, path, problems)
            elif group == "dispatchEventPlugins":
                plugin = compile_dispatch_plugin(raw, path, problems)
            else:
                plugin = compile_common_plugin(raw, path, problems, actions)
            if plugin is None:
                continue
            if isinstance(plugin, ApiPlugin | ChildPlugin):
                actions.setdefault(plugin.name, plugin)
            compiled[group].append(plugin)
            _check_states_and_callbacks(raw, path, states, accepted, problems)

    by_state: dict[str, list[Plugin]] = {}
    for group in GROUPS:
        for plugin in compiled[group]:
            for state in dict.fromkeys(plugin.state_names):
                by_state.setdefault(state, []).append(plugin)
    by_name = {p.name: p for group in GROUPS for p in compiled[group]}
    return CompiledExtensions(
        by_state={s: tuple(ps) for s, ps in by_state.items()},
        by_name=by_name,
        errors=problems.errors,
        warnings=problems.warnings,
    )


def _is_email(raw: dict[str, Any]) -> bool:
    """`template-email` always (its factory supplies the delivery); `email` unless it has a `url` of its own, in
    which case it stays the HTTP call it has always been here."""
    kind = raw.get("pluginKind")
    return kind == "template-email" or (kind == "email" and not raw.get("url"))


def _check_names(raw_groups: dict[str, list[tuple[str, Any]]], problems: Problems) -> None:
    seen: dict[str, str] = {}
    for group in GROUPS:
        for path, raw in raw_groups[group]:
            if not isinstance(raw, dict):
                problems.error(path, "a plugin must be an object")
                continue
            name = raw.get("name")
            if not isinstance(name, str) or not name:
                problems.error(f"{path}.name", "required: a unique plugin name")
            elif name in seen:
                problems.error(f"{path}.name", f'duplicate plugin name "{name}" (also at {seen[name]})')
            else:
                seen[name] = path
            state_names = raw.get("stateNames", [])
            if not isinstance(state_names, list) or not all(isinstance(s, str) for s in state_names):
                problems.error(f"{path}.stateNames", "must be an array of state names")


def _check_states_and_callbacks(
    raw: dict[str, Any], path: str, states: frozenset[str], accepted: frozenset[str], problems: Problems
) -> None:
    for i, state in enumerate(state_names_of(raw)):
        if state not in states:
            problems.warn(f"{path}.stateNames[{i}]", f'state "{state}" does not exist; the plugin never runs there')
    for key in ("successAction", "errorAction"):
        event = raw.get(key)
        if event and event not in accepted:
            problems.warn(f"{path}.{key}", f'no state accepts the event "{event}"')
