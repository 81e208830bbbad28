"""`validate_ui_definition`: every problem of an uploaded UI definition, with its path.

Checked: the size and nesting of the whole value (before anything else, so hostile input costs bounded
work), pages (`type: page`, unique `stateName` and `number`), element types, field widgets, every rule
(type known, value parses for its engine), every `valueDestination` (a path inside the context that a form
may write), actions (type known, their parameters, the browser plugins and events they name), the browser
statechart, theme colours and logo, locales. Paths are dotted from the UI definition's root
(`uiSchema.elements[0].elements[1].type`).
"""

from __future__ import annotations

import re
from typing import Any, Final

from arabesque.engine.ui_definition._paths import PathError, parse_path
from arabesque.engine.ui_definition._rules import check_rule, check_rules
from arabesque.engine.ui_definition._vocabulary import (
    ACTION_TYPES,
    CONTENT_TYPES,
    FIELD_TYPES,
    FIELD_WIDGETS,
    FORM_TYPE,
    HTTP_METHODS,
    UI_EVENTS,
)

__all__ = ["MAX_DEPTH", "MAX_NODES", "MAX_PROBLEMS", "validate_ui_definition"]

Problem = tuple[str, str]
MAX_DEPTH: Final = 64  # a real definition nests about 15 deep (schemas included)
MAX_NODES: Final = 200_000  # the shipped KYB example has about 5,000 values
MAX_PROBLEMS: Final = 200
MAX_STRING: Final = 100_000
# Theme values end up in a style attribute: plain colour syntax only, nothing that closes the declaration.
_CSS_VALUE: Final = re.compile(r"[#%(),.\-\w\s/]{1,100}")
# An http(s) URL, an absolute path, or an image as a data URL (an <img> runs no script, even an SVG one).
_LOGO: Final = re.compile(r"(https://|http://|/|data:image/(png|jpeg|gif|webp|svg\+xml)[;,])[^\s\"'<>()\\]{1,20000}")
_LANGUAGE: Final = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})?")


def validate_ui_definition(value: object) -> list[tuple[str, str]]:
    """(path, message) for every problem of a UI definition record (`{uiSchema, definition?, theme?,
    locales?, uiOptions?}`); an empty list when it can be rendered."""
    too_big = _size_problem(value)
    if too_big:
        return [too_big]
    if not isinstance(value, dict):
        return [("", "a UI definition must be an object with uiSchema.elements")]
    checker = _Checker(value)
    checker.run()
    return checker.problems[:MAX_PROBLEMS]


def _size_problem(value: object) -> Problem | None:
    """Refuses a value too deep or too large before walking it for anything else (iteratively)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    nodes = 0
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            return ("", f"the UI definition has more than {MAX_NODES} values")
        if depth > MAX_DEPTH:
            return ("", f"the UI definition nests more than {MAX_DEPTH} levels deep")
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
        elif isinstance(node, str) and len(node) > MAX_STRING:
            return ("", f"the UI definition has a string longer than {MAX_STRING} characters")
    return None


class _Checker:
    def __init__(self, record: dict[str, Any]) -> None:
        self.record = record
        self.problems: list[Problem] = []
        statechart = record.get("definition")
        inner = statechart.get("definition") if isinstance(statechart, dict) else None
        self.states: dict[str, Any] = (
            inner["states"] if isinstance(inner, dict) and isinstance(inner.get("states"), dict) else {}
        )
        extensions = statechart.get("extensions") if isinstance(statechart, dict) else None
        plugins = extensions.get("apiPlugins") if isinstance(extensions, dict) else None
        self.plugins = {p.get("name") for p in plugins or [] if isinstance(p, dict)}

    def add(self, path: str, message: str) -> None:
        self.problems.append((path, message))

    def run(self) -> None:
        ui_schema = self.record.get("uiSchema")
        elements = ui_schema.get("elements") if isinstance(ui_schema, dict) else None
        if not isinstance(elements, list) or not elements:
            self.add("uiSchema.elements", "must be a non-empty list of pages")
        else:
            self.pages(elements)
        self.statechart(self.record.get("definition"))
        self.theme(self.record.get("theme"))
        self.locales(self.record.get("locales"))
        self.ui_options(self.record.get("uiOptions"))

    # --- pages and elements ------------------------------------------------------------------------

    def pages(self, pages: list[Any]) -> None:
        seen_states: set[str] = set()
        seen_numbers: set[int] = set()
        for i, page in enumerate(pages):
            at = f"uiSchema.elements[{i}]"
            if not isinstance(page, dict) or page.get("type") != "page":
                self.add(f"{at}.type", "a top-level element must be a page (type: page)")
                continue
            state, number = page.get("stateName"), page.get("number")
            if not isinstance(state, str) or not state:
                self.add(f"{at}.stateName", "must be a non-empty string")
            elif state in seen_states:
                self.add(f"{at}.stateName", f"{state!r} is used by an earlier page")
            else:
                seen_states.add(state)
                if self.states and state not in self.states:
                    self.add(f"{at}.stateName", f"{state!r} is not a state of the browser statechart")
            if not isinstance(number, int) or isinstance(number, bool) or number < 1:
                self.add(f"{at}.number", "must be a positive integer")
            elif number in seen_numbers:
                self.add(f"{at}.number", f"{number} is used by an earlier page")
            else:
                seen_numbers.add(number)
            if not isinstance(page.get("name"), str):
                self.add(f"{at}.name", "must be a string (the step label)")
            self.add_all(check_rules(page.get("pageValidation"), f"{at}.pageValidation"))
            names: set[str] = set()
            self.children(page.get("elements"), f"{at}.elements", names, in_array=False)
            self.actions(page.get("actions"), f"{at}.actions", names)

    def add_all(self, problems: list[Problem]) -> None:
        self.problems.extend(problems)

    def children(self, elements: Any, at: str, names: set[str], *, in_array: bool) -> None:
        if elements is None:
            return
        if not isinstance(elements, list):
            self.add(at, "must be a list of elements")
            return
        for i, element in enumerate(elements):
            self.element(element, f"{at}[{i}]", names, in_array=in_array)

    def element(self, element: Any, at: str, names: set[str], *, in_array: bool) -> None:
        if not isinstance(element, dict):
            self.add(at, "must be an object")
            return
        kind = element.get("type")
        if kind not in CONTENT_TYPES:
            self.add(f"{at}.type", f"unknown element type {kind!r}; known: {', '.join(sorted(CONTENT_TYPES))}")
            return
        self.name(element, at, names)
        self.common_rules(element, at)
        if kind == FORM_TYPE:
            self.form(element, at, names)
        elif "elements" in element:
            self.children(element.get("elements"), f"{at}.elements", names, in_array=in_array)
        options = element.get("options")
        if options is not None and not isinstance(options, dict):
            self.add(f"{at}.options", "must be an object")

    def name(self, element: dict[str, Any], at: str, names: set[str]) -> None:
        name = element.get("name")
        if name is None:
            return
        if not isinstance(name, str) or not name:
            self.add(f"{at}.name", "must be a non-empty string")
        elif name in names:
            self.add(f"{at}.name", f"{name!r} is used by another element of this page")
        else:
            names.add(name)

    def common_rules(self, element: dict[str, Any], at: str) -> None:
        for key in ("visibleOn", "availableOn", "requiredOn"):
            self.add_all(check_rules(element.get(key), f"{at}.{key}"))

    def destination(self, value: Any, at: str, *, in_array: bool) -> None:
        try:
            parse_path(value, allow_index=in_array)
        except PathError as exc:
            self.add(at, f"valueDestination {exc}")

    def form(self, form: dict[str, Any], at: str, names: set[str]) -> None:
        raw_options = form.get("options")
        options: dict[str, Any] = raw_options if isinstance(raw_options, dict) else {}
        definition = options.get("jsonFormDefinition")
        is_array = isinstance(definition, dict) and definition.get("type") == "array"
        if "valueDestination" in form or is_array:
            self.destination(form.get("valueDestination"), f"{at}.valueDestination", in_array=False)
        self.add_all(check_rules(options.get("canAdd"), f"{at}.options.canAdd", only=frozenset({"json-logic"})))
        insertion = options.get("insertionParams")
        if insertion is not None:
            self.insertion(insertion, f"{at}.options.insertionParams")
        fields = form.get("elements")
        if not isinstance(fields, list):
            self.add(f"{at}.elements", "a json-form must list its fields")
            return
        for i, field in enumerate(fields):
            self.field(field, f"{at}.elements[{i}]", names, in_array=is_array)

    def insertion(self, params: Any, at: str) -> None:
        if not isinstance(params, dict):
            self.add(at, "must be an object")
            return
        for key in ("insertWhen", "removeWhen"):
            self.add_all(check_rules(params.get(key), f"{at}.{key}"))
        for key in ("destination", "bindingAnchorDestination"):
            if key in params:
                try:
                    parse_path(params[key], allow_index=False, allow_server_owned=key != "destination")
                except PathError as exc:
                    self.add(f"{at}.{key}", f"path {exc}")

    def field(self, field: Any, at: str, names: set[str], *, in_array: bool) -> None:
        if not isinstance(field, dict):
            self.add(at, "must be an object")
            return
        kind = field.get("type")
        if kind not in FIELD_TYPES:
            self.add(f"{at}.type", f"unknown field type {kind!r}; known: {', '.join(sorted(FIELD_TYPES))}")
        self.name(field, at, names)
        self.common_rules(field, at)
        self.destination(field.get("valueDestination"), f"{at}.valueDestination", in_array=in_array)
        options = field.get("options", {})
        if not isinstance(options, dict):
            self.add(f"{at}.options", "must be an object")
            return
        ui_schema = options.get("uiSchema")
        widget = ui_schema.get("ui:field") if isinstance(ui_schema, dict) else None
        if widget is not None and widget not in FIELD_WIDGETS:
            self.add(
                f"{at}.options.uiSchema.ui:field",
                f"unknown widget {widget!r}; known: {', '.join(sorted(FIELD_WIDGETS))}",
            )
        schema = options.get("jsonFormDefinition")
        if schema is not None and not isinstance(schema, dict):
            self.add(f"{at}.options.jsonFormDefinition", "must be an object (a JSON-schema fragment)")
        if widget == "DocumentInput":
            self.document(options.get("documentData"), field.get("valueDestination"), f"{at}.options.documentData")
        if widget in ("CheckboxList", "AutocompleteInput") and isinstance(ui_schema, dict):
            choices = ui_schema.get("options")
            if choices is not None and not isinstance(choices, list):
                self.add(f"{at}.options.uiSchema.options", "must be a list of {title, value|const}")

    def document(self, data: Any, destination: Any, at: str) -> None:
        if not isinstance(data, dict):
            self.add(at, "a document field needs documentData {id, category, type}")
            return
        for key in ("id", "category", "type"):
            if not isinstance(data.get(key), str) or not data[key]:
                self.add(f"{at}.{key}", "must be a non-empty string")
        if isinstance(destination, str) and ".pages[" not in destination and not destination.startswith("pages["):
            self.add(
                at.rsplit(".options", 1)[0] + ".valueDestination",
                "a document field writes into <documents>[n].pages[n].<key>",
            )

    # --- actions -----------------------------------------------------------------------------------

    def actions(self, actions: Any, at: str, names: set[str]) -> None:
        if actions is None:
            return
        if not isinstance(actions, list):
            self.add(at, "must be a list of actions")
            return
        for i, action in enumerate(actions):
            self.action(action, f"{at}[{i}]", names)

    def action(self, action: Any, at: str, names: set[str]) -> None:
        if not isinstance(action, dict):
            self.add(at, "must be an object")
            return
        kind = action.get("type")
        if kind not in ACTION_TYPES:
            self.add(f"{at}.type", f"unknown action type {kind!r}; known: {', '.join(sorted(ACTION_TYPES))}")
            return
        params = action.get("params", {})
        if not isinstance(params, dict):
            self.add(f"{at}.params", "must be an object")
            params = {}
        if kind == "definitionEvent" and not isinstance(params.get("eventName"), str):
            self.add(f"{at}.params.eventName", "must be a string")
        elif kind == "definitionEvent" and self.states and not self.event_exists(params["eventName"]):
            self.add(f"{at}.params.eventName", f"no state of the browser statechart accepts {params['eventName']!r}")
        elif kind == "definitionPlugin" and params.get("pluginName") not in self.plugins:
            self.add(
                f"{at}.params.pluginName", f"{params.get('pluginName')!r} is not a plugin of the browser statechart"
            )
        elif kind == "api":
            if not isinstance(params.get("url"), str):
                self.add(f"{at}.params.url", "must be a string")
            if str(params.get("method", "get")).lower() not in HTTP_METHODS:
                self.add(f"{at}.params.method", f"must be one of {', '.join(sorted(HTTP_METHODS))}")
        elif kind == "valueApply":
            self.value_apply(params.get("values"), f"{at}.params.values")
        dispatch = action.get("dispatchOn")
        if dispatch is None:
            return
        if not isinstance(dispatch, dict):
            self.add(f"{at}.dispatchOn", "must be an object")
            return
        for j, ui_event in enumerate(dispatch.get("uiEvents") or []):
            where = f"{at}.dispatchOn.uiEvents[{j}]"
            if not isinstance(ui_event, dict) or str(ui_event.get("event", "")).lower() not in UI_EVENTS:
                self.add(f"{where}.event", "must be onClick or onChange")
            elif ui_event.get("uiElementName") not in names:
                self.add(
                    f"{where}.uiElementName", f"no element of this page is named {ui_event.get('uiElementName')!r}"
                )
        self.add_all(check_rules(dispatch.get("rules"), f"{at}.dispatchOn.rules"))

    def event_exists(self, event: str) -> bool:
        return any(
            isinstance(s, dict) and isinstance(s.get("on"), dict) and event in s["on"] for s in self.states.values()
        )

    def value_apply(self, values: Any, at: str) -> None:
        if not isinstance(values, list):
            self.add(at, "must be a list of {valueDestination, selector, rule}")
            return
        for i, item in enumerate(values):
            where = f"{at}[{i}]"
            if not isinstance(item, dict):
                self.add(where, "must be an object")
                continue
            self.destination(item.get("valueDestination"), f"{where}.valueDestination", in_array=False)
            selector = item.get("selector")
            if not isinstance(selector, dict) or selector.get("type") not in ("raw", "pick"):
                self.add(f"{where}.selector.type", "must be raw or pick")
            self.add_all(check_rules(item.get("rule"), f"{where}.rule"))

    # --- statechart, theme, locales ----------------------------------------------------------------

    def statechart(self, statechart: Any) -> None:
        if statechart is None:
            return
        inner = statechart.get("definition") if isinstance(statechart, dict) else None
        if not isinstance(inner, dict) or not isinstance(inner.get("states"), dict):
            self.add("definition.definition.states", "the browser statechart must have states")
            return
        if inner.get("initial") not in self.states:
            self.add("definition.definition.initial", "must name a state")
        for name, state in self.states.items():
            on = state.get("on", {}) if isinstance(state, dict) else None
            if not isinstance(on, dict):
                self.add(f"definition.definition.states.{name}.on", "must be an object")
                continue
            for event, target in on.items():
                target_name = target.get("target") if isinstance(target, dict) else target
                if target_name not in self.states:
                    self.add(f"definition.definition.states.{name}.on.{event}", "must be a state name or {target}")

    def theme(self, theme: Any) -> None:
        if theme is None:
            return
        if not isinstance(theme, dict):
            self.add("theme", "must be an object")
            return
        logo = theme.get("logo")
        if logo is not None and (not isinstance(logo, str) or not _LOGO.fullmatch(logo)):
            self.add("theme.logo", "must be an http(s) URL, an absolute path or a data:image URL")
        palette = theme.get("palette", {})
        for name, entry in palette.items() if isinstance(palette, dict) else []:
            for key, colour in entry.items() if isinstance(entry, dict) else []:
                if not isinstance(colour, str) or not _CSS_VALUE.fullmatch(colour):
                    self.add(f"theme.palette.{name}.{key}", "must be a CSS colour (letters, digits, # % ( ) , . -)")
        elements = theme.get("elements", {})
        self.css_values(elements, "theme.elements")

    def css_values(self, node: Any, at: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                self.css_values(value, f"{at}.{key}")
        elif not isinstance(node, str) or not _CSS_VALUE.fullmatch(node):
            self.add(at, "must be a CSS value (letters, digits, # % ( ) , . -)")

    def locales(self, locales: Any) -> None:
        if locales is None:
            return
        if not isinstance(locales, dict):
            self.add("locales", "must be an object of language → translations")
            return
        for language, resources in locales.items():
            if not _LANGUAGE.fullmatch(language):
                self.add(f"locales.{language}", "must be keyed by a language code such as en or de")
            elif not isinstance(resources, dict):
                self.add(f"locales.{language}", "must be an object of nested translation keys")

    def ui_options(self, options: Any) -> None:
        if options is None:
            return
        if not isinstance(options, dict):
            self.add("uiOptions", "must be an object")
            return
        redirects = options.get("redirectUrls", {})
        for key, url in redirects.items() if isinstance(redirects, dict) else []:
            if not isinstance(url, str) or not url.startswith(("https://", "http://")):
                self.add(f"uiOptions.redirectUrls.{key}", "must be an http(s) URL")


def check_single_rule(rule: object, path: str) -> list[Problem]:
    """One rule's problems (for callers that validate a rule outside a UI definition)."""
    return check_rule(rule, path)
