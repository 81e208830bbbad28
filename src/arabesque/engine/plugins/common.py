"""Common plugins (`extensions.commonPlugins`): iterative, transformer, riskRules, attach-ui-definition."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from arabesque.engine.errors import StepFailed
from arabesque.engine.js import js_spread
from arabesque.engine.plugins.api import ApiPlugin
from arabesque.engine.plugins.base import (
    PluginError,
    Problems,
    StepScope,
    TransformChain,
    invocation_context,
    state_names_of,
)
from arabesque.engine.plugins.child import ChildPlugin
from arabesque.engine.rulesets import risk_score
from arabesque.engine.types import HttpCall

__all__ = [
    "IterativePlugin",
    "RiskRulesPlugin",
    "TransformerPlugin",
    "UiDefinitionPlugin",
    "compile_common_plugin",
]

_RUNTIME_KEYS = ("workflowRuntimeConfig", "workflowRuntimeId")


@dataclass(frozen=True)
class IterativePlugin:
    """Runs its action plugin once per item of `iterateOn`, then sends successAction."""

    name: str
    state_names: tuple[str, ...]
    iterate_on: TransformChain
    action: ApiPlugin | ChildPlugin
    success_action: str | None

    def run(self, scope: StepScope) -> None:
        env = scope.env
        try:
            items = self.iterate_on.apply(invocation_context(scope), env.now_ms, scope.meter)
        except PluginError as exc:
            raise StepFailed(f"iterative plugin {self.name}: {exc}") from exc
        for item in items if isinstance(items, list) else ():
            data = {**js_spread(item), "workflowRuntimeConfig": env.config, "workflowRuntimeId": env.runtime_id}
            if isinstance(self.action, ChildPlugin):
                self.action.start_child(scope, data)
                continue
            # An API action's result is discarded, as in the reference: the call is fire-and-forget.
            try:
                request = self.action.build_request(data, env.now_ms, scope.meter)
            except PluginError:
                continue
            scope.emit(HttpCall(scope.new_effect_id(), self.action.name, request, awaits_outcome=False))
        if self.success_action:
            scope.send(self.success_action)


@dataclass(frozen=True)
class TransformerPlugin:
    """Applies `helpers` transformers to the context and keeps every edit, top-level ones included."""

    name: str
    state_names: tuple[str, ...]
    transformers: TransformChain
    unsupported: str | None = None  # a transformer Ballerine cannot run: the plugin fails when it runs, as there

    def run(self, scope: StepScope) -> None:
        if self.unsupported is not None:
            raise StepFailed(f"transformer plugin {self.name}: {self.unsupported}")
        try:
            result = self.transformers.apply(invocation_context(scope), scope.env.now_ms, scope.meter)
        except PluginError as exc:
            raise StepFailed(f"transformer plugin {self.name}: {exc}") from exc
        if not isinstance(result, dict):
            raise StepFailed(f"transformer plugin {self.name}: the result is not an object")
        scope.context = {k: v for k, v in result.items() if k not in _RUNTIME_KEYS}


@dataclass(frozen=True)
class RiskRulesPlugin:
    """Scores the context against inline `rules`; the result replaces `pluginsOutput.<name>`."""

    name: str
    state_names: tuple[str, ...]
    rules: list[dict[str, Any]] | None

    def run(self, scope: StepScope) -> None:
        if self.rules is None:
            output: dict[str, Any] = {
                "error": f"riskRules plugin {self.name} has no inline rules; rulesSource is not supported"
            }
        else:
            try:
                output = risk_score(self.rules, invocation_context(scope), scope.env.now_ms, scope.meter)
            except (ValueError, TypeError, KeyError) as exc:
                output = {"error": str(exc)}
        outputs = scope.context.get("pluginsOutput")
        outputs = dict(outputs) if isinstance(outputs, dict) else {}
        scope.context = {**scope.context, "pluginsOutput": {**outputs, self.name: output}}


@dataclass(frozen=True)
class UiDefinitionPlugin:
    """`attach-ui-definition` needs Ballerine's collection-flow tokens, which Arabesque does not issue."""

    name: str
    state_names: tuple[str, ...]
    error_action: str | None

    def run(self, scope: StepScope) -> None:
        outputs = scope.context.get("pluginsOutput")
        outputs = dict(outputs) if isinstance(outputs, dict) else {}
        error = {"error": "attach-ui-definition (collection-flow tokens) is not supported"}
        scope.context = {**scope.context, "pluginsOutput": {**outputs, self.name: error}}
        if self.error_action:
            scope.send(self.error_action)


CommonPlugin = IterativePlugin | TransformerPlugin | RiskRulesPlugin | UiDefinitionPlugin


def compile_common_plugin(
    raw: dict[str, Any], path: str, problems: Problems, actions: dict[str, ApiPlugin | ChildPlugin]
) -> CommonPlugin | None:
    kind = raw.get("pluginKind")
    name = str(raw.get("name"))
    states = state_names_of(raw)
    if kind == "transformer":
        # Ballerine loads a transformer plugin whatever its transformers and fails only on entering its state
        # (fixture 44): an unsupported transformer is a warning here, and the plugin's failure when it runs.
        found = Problems()
        chain = TransformChain.compile(
            raw.get("transformers") or [], f"{path}.transformers", found, frozenset({"helpers"})
        )
        unsupported = [p for p in found.errors if p.message.endswith("is not supported")]
        for problem in found.errors:
            report = problems.warn if problem in unsupported else problems.error
            report(
                problem.path, problem.message + ("; the plugin fails when it runs" if problem in unsupported else "")
            )
        reason = unsupported[0].message.rsplit(": ", 1)[-1] + "." if unsupported else None
        return TransformerPlugin(name, states, chain, reason)
    if kind == "riskRules":
        rules = raw.get("rules")
        if rules is not None and not (isinstance(rules, list) and all(isinstance(r, dict) for r in rules)):
            problems.error(f"{path}.rules", "must be an array of rule objects")
            rules = None
        return RiskRulesPlugin(name, states, rules)
    if kind == "attach-ui-definition":
        return UiDefinitionPlugin(name, states, raw.get("errorAction") or None)
    # Ballerine runs every other kind, a missing one included, as an iterative plugin.
    iterate_on = TransformChain.compile(raw.get("iterateOn") or [], f"{path}.iterateOn", problems)
    action_name = raw.get("actionPluginName")
    action = actions.get(action_name) if isinstance(action_name, str) else None
    if action is None:
        problems.error(
            f"{path}.actionPluginName",
            f"unknown action plugin {action_name!r}: it must name an apiPlugins or childWorkflowPlugins entry",
        )
        return None
    return IterativePlugin(name, states, iterate_on, action, raw.get("successAction") or None)
