"""Pages, navigation and progress (collection-flow reference §3.3, §3.4, §3.9).

Pages are the top-level `type: page` entries in array order. Navigation follows the browser statechart
(`definition.definition.states.<page>.on.NEXT` / `PREVIOUS`, a target string or `{target}`), falling back to
the array order when the statechart has no such transition. Progress lives where Ballerine keeps it, so a
back office built for Ballerine reads it: `context.flowConfig.stepsProgress.<stateName> = {number,
isCompleted}` and `context.flowConfig.appState` (the page the user is on, or `finish` once submitted).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from arabesque.engine.jmes import JmesError, search

__all__ = [
    "DEFAULT_FINISH_EVENT",
    "FINISHED",
    "Page",
    "event_target",
    "finish_event",
    "mark_completed",
    "next_state",
    "page_of",
    "pages_of",
    "previous_state",
    "set_app_state",
    "steps_progress",
]

FINISHED: Final = "finish"
DEFAULT_FINISH_EVENT: Final = "COLLECTION_FLOW_FINISHED"


@dataclass(frozen=True)
class Page:
    """One wizard step: its position (0-based `index`), `number`, `state_name`, label key and raw element."""

    index: int
    number: int
    state_name: str
    name: str
    element: dict[str, Any]

    @property
    def elements(self) -> list[Any]:
        children = self.element.get("elements")
        return children if isinstance(children, list) else []

    @property
    def actions(self) -> list[Any]:
        actions = self.element.get("actions")
        return actions if isinstance(actions, list) else []

    @property
    def validation(self) -> list[Any]:
        rules = self.element.get("pageValidation")
        return rules if isinstance(rules, list) else []


def pages_of(ui_definition: dict[str, Any]) -> list[Page]:
    """The pages in array order (the order of the stepper and of "Step n of N")."""
    ui_schema = ui_definition.get("uiSchema")
    elements = ui_schema.get("elements") if isinstance(ui_schema, dict) else None
    pages: list[Page] = []
    for element in elements if isinstance(elements, list) else []:
        if isinstance(element, dict) and element.get("type") == "page" and isinstance(element.get("stateName"), str):
            number = element.get("number")
            pages.append(
                Page(
                    index=len(pages),
                    number=number if isinstance(number, int) else len(pages) + 1,
                    state_name=element["stateName"],
                    name=str(element.get("name", element["stateName"])),
                    element=element,
                )
            )
    return pages


def page_of(pages: list[Page], state: object) -> Page | None:
    return next((p for p in pages if p.state_name == state), None)


def _states(ui_definition: dict[str, Any]) -> dict[str, Any]:
    statechart = ui_definition.get("definition")
    inner = statechart.get("definition") if isinstance(statechart, dict) else None
    states = inner.get("states") if isinstance(inner, dict) else None
    return states if isinstance(states, dict) else {}


def _target(ui_definition: dict[str, Any], state: str, event: str) -> str | None:
    node = _states(ui_definition).get(state)
    on = node.get("on") if isinstance(node, dict) else None
    target = on.get(event) if isinstance(on, dict) else None
    if isinstance(target, dict):
        target = target.get("target")
    return target if isinstance(target, str) else None


def _is_final(ui_definition: dict[str, Any], state: str) -> bool:
    node = _states(ui_definition).get(state)
    return state == FINISHED or (isinstance(node, dict) and node.get("type") == "final")


def event_target(ui_definition: dict[str, Any], state: str, event: str) -> str | None:
    """Where `event` goes from the page `state`: a page's state, `finish` for a final state, None when the
    statechart has no such transition (NEXT and PREVIOUS then follow the page order)."""
    if event == "NEXT":
        return next_state(ui_definition, state)
    if event == "PREVIOUS":
        return previous_state(ui_definition, state)
    target = _target(ui_definition, state, event)
    if target is None:
        return None
    return FINISHED if _is_final(ui_definition, target) else target


def next_state(ui_definition: dict[str, Any], state: str) -> str:
    """Where NEXT goes from the page `state`: another page's state, or `finish` after the last page."""
    pages = pages_of(ui_definition)
    target = _target(ui_definition, state, "NEXT")
    if target is not None:
        return FINISHED if _is_final(ui_definition, target) or page_of(pages, target) is None else target
    page = page_of(pages, state)
    if page is None or page.index + 1 >= len(pages):
        return FINISHED
    return pages[page.index + 1].state_name


def previous_state(ui_definition: dict[str, Any], state: str) -> str | None:
    """Where PREVIOUS goes from the page `state`; None on the first page."""
    pages = pages_of(ui_definition)
    target = _target(ui_definition, state, "PREVIOUS")
    if target is not None and page_of(pages, target) is not None:
        return target
    page = page_of(pages, state)
    if page is None or page.index == 0:
        return None
    return pages[page.index - 1].state_name


def steps_progress(ui_definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """What a new runtime's `flowConfig.stepsProgress` holds: every page, none completed (§1.6)."""
    return {p.state_name: {"number": p.number, "isCompleted": False} for p in pages_of(ui_definition)}


def _flow_config(context: dict[str, Any]) -> dict[str, Any]:
    config = context.get("flowConfig")
    if not isinstance(config, dict):
        config = {}
        context["flowConfig"] = config
    return config


def mark_completed(context: dict[str, Any], ui_definition: dict[str, Any], state: str) -> None:
    """`flowConfig.stepsProgress.<state>.isCompleted = true`, in place (the page was left forward, valid).

    Unlike Ballerine (§7 #8) the last page is marked too, so the back office's tracker ticks every step."""
    progress = _flow_config(context).get("stepsProgress")
    if not isinstance(progress, dict):
        progress = steps_progress(ui_definition)
        _flow_config(context)["stepsProgress"] = progress
    page = page_of(pages_of(ui_definition), state)
    entry = progress.get(state)
    if not isinstance(entry, dict):
        entry = {"number": page.number if page else len(progress) + 1, "isCompleted": False}
        progress[state] = entry
    entry["isCompleted"] = True


def set_app_state(context: dict[str, Any], state: str) -> None:
    """`flowConfig.appState = state`, in place: where the flow resumes next time."""
    _flow_config(context)["appState"] = state


def finish_event(ui_definition: dict[str, Any], context: dict[str, Any]) -> str:
    """The event the workflow receives on submit: the one the UI definition's finish-state plugin posts to
    `/collection-flow/send-event` (its request mapping's `eventName`), else `COLLECTION_FLOW_FINISHED`."""
    statechart = ui_definition.get("definition")
    extensions = statechart.get("extensions") if isinstance(statechart, dict) else None
    plugins = extensions.get("apiPlugins") if isinstance(extensions, dict) else None
    for plugin in plugins if isinstance(plugins, list) else []:
        if not isinstance(plugin, dict) or "send-event" not in str(plugin.get("url", "")):
            continue
        if not any(_is_final(ui_definition, s) for s in plugin.get("stateNames") or [] if isinstance(s, str)):
            continue
        request = plugin.get("request")
        transforms = request.get("transform") if isinstance(request, dict) else None
        for transform in transforms if isinstance(transforms, list) else []:
            mapping = transform.get("mapping") if isinstance(transform, dict) else None
            if not isinstance(mapping, str):
                continue
            try:
                body = search(mapping, context)
            except JmesError:
                continue
            if isinstance(body, dict) and isinstance(body.get("eventName"), str) and body["eventName"]:
                return str(body["eventName"])
    return DEFAULT_FINISH_EVENT
