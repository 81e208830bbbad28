"""Dispatch-event plugins (`extensions.dispatchEventPlugins`): notify the host's subscribers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from arabesque.engine.errors import StepFailed
from arabesque.engine.plugins.base import PluginError, Problems, StepScope, TransformChain, state_names_of
from arabesque.engine.types import Notification

__all__ = ["DispatchPlugin", "compile_dispatch_plugin"]


@dataclass(frozen=True)
class DispatchPlugin:
    name: str
    state_names: tuple[str, ...]
    event_name: str
    payload: dict[str, Any]
    transformers: TransformChain
    success_action: str | None
    error_action: str | None

    def run(self, scope: StepScope) -> None:
        # Dispatch plugins see the context itself (no runtime id or config), merged with their payload.
        try:
            payload = self.transformers.apply({**scope.context, **self.payload}, scope.env.now_ms, scope.meter)
        except PluginError as exc:
            raise StepFailed(f"dispatch event plugin {self.name}: {exc}") from exc
        state = self.state_names[0] if self.state_names else ""
        scope.emit(Notification(scope.new_effect_id(), self.name, self.event_name, payload, state))
        if self.success_action:
            scope.send(self.success_action)


def compile_dispatch_plugin(raw: dict[str, Any], path: str, problems: Problems) -> DispatchPlugin:
    event_name = raw.get("eventName")
    if not isinstance(event_name, str) or not event_name:
        problems.error(f"{path}.eventName", "required: the channel to notify")
    payload = raw.get("payload") or {}
    if not isinstance(payload, dict):
        problems.error(f"{path}.payload", "must be an object")
        payload = {}
    return DispatchPlugin(
        name=str(raw.get("name")),
        state_names=state_names_of(raw),
        event_name=str(event_name),
        payload=payload,
        transformers=TransformChain.compile(raw.get("transformers") or [], f"{path}.transformers", problems),
        success_action=raw.get("successAction") or None,
        error_action=raw.get("errorAction") or None,
    )
