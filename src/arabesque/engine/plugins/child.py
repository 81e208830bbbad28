"""Child-workflow plugins (`extensions.childWorkflowPlugins`): ask the host to start a child."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from arabesque.engine.errors import StepFailed
from arabesque.engine.plugins.base import (
    PluginError,
    Problems,
    StepScope,
    TransformChain,
    invocation_context,
    state_names_of,
)
from arabesque.engine.types import ChildStart

__all__ = ["ChildPlugin", "compile_child_plugin"]


@dataclass(frozen=True)
class ChildPlugin:
    name: str
    state_names: tuple[str, ...]
    definition_id: str
    transformers: TransformChain
    init_event: str | None
    success_action: str | None
    error_action: str | None

    def run(self, scope: StepScope) -> None:
        self.start_child(scope, invocation_context(scope))
        # The start is a durable request to the host, which accepts it; the child runs on its own.
        if self.success_action:
            scope.send(self.success_action)

    def start_child(self, scope: StepScope, data: dict[str, Any]) -> None:
        """Emit the child start; the transformed context is what the child begins with."""
        try:
            context = self.transformers.apply(data, scope.env.now_ms, scope.meter)
        except PluginError as exc:
            raise StepFailed(f"child workflow plugin {self.name}: {exc}") from exc
        config = scope.env.config or {}
        child_config = {"language": config["language"]} if "language" in config else {}
        scope.emit(
            ChildStart(
                id=scope.new_effect_id(),
                plugin=self.name,
                parent_runtime_id=scope.env.runtime_id,
                definition_id=self.definition_id,
                context=context,
                init_event=self.init_event,
                config=child_config,
            )
        )


def compile_child_plugin(raw: dict[str, Any], path: str, problems: Problems) -> ChildPlugin:
    definition_id = raw.get("definitionId")
    if not isinstance(definition_id, str) or not definition_id:
        problems.error(f"{path}.definitionId", "required: the id of the child workflow definition")
    return ChildPlugin(
        name=str(raw.get("name")),
        state_names=state_names_of(raw),
        definition_id=str(definition_id),
        transformers=TransformChain.compile(raw.get("transformers") or [], f"{path}.transformers", problems),
        init_event=raw.get("initEvent") or None,
        success_action=raw.get("successAction") or None,
        error_action=raw.get("errorAction") or None,
    )
