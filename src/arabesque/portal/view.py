"""The view model of a page: the UI definition's element tree turned into plain nodes the template draws.

Nothing here reads the database: `build_page` takes the flow as loaded (`flow.py`) and the page's context
(stored, or as just submitted when the page is shown again with its errors) and decides, with the engine's
rules, what each element shows: labels, values, choices, required marks, disabled fields, errors.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from arabesque.engine.ui_definition import (
    DOCUMENT_ERROR_PREFIX,
    Field,
    Form,
    Page,
    document_file,
    document_id,
    field_errors,
    forms_of,
    get_path,
    is_enabled,
    is_shown,
    rules_pass,
)
from arabesque.portal.texts import countries, industries, states, text

__all__ = ["FieldView", "PageView", "build_page", "safe_description"]


@dataclass
class FieldView:
    id: str
    name: str  # the element's name (`name[i]` in an array item): what an upload names
    input_name: str  # the resolved valueDestination: what the form posts
    widget: str
    label: str
    hint: str
    description: str
    value: Any
    values: list[str]
    choices: list[tuple[str, str]]
    required: bool
    disabled: bool
    errors: list[str]
    file_name: str | None = None
    warning: str | None = None  # the reviewer's reason, for a document to replace


@dataclass
class ItemView:
    title: str
    index: int | None
    fields: list[FieldView]
    removable: bool


@dataclass
class PageView:
    nodes: list[dict[str, Any]]
    unplaced_errors: list[str]  # errors no field of the page shows (a rule about the page as a whole)
    uploads: list[FieldView] = field(default_factory=list)


_ALLOWED_TAGS = re.compile(r"&lt;(/?)(b|bold|i|em|strong|p|br|ul|ol|li|small)\s*/?&gt;", re.IGNORECASE)


def safe_description(raw: object) -> str:
    """`descriptionRaw` as HTML: everything escaped, then a few harmless formatting tags (without attributes)
    given back; the shipped texts' `<bold>` becomes `<strong>`."""
    escaped = html.escape(str(raw or ""), quote=True)
    return _ALLOWED_TAGS.sub(
        lambda m: f"<{m.group(1)}{'strong' if m.group(2).lower() == 'bold' else m.group(2).lower()}>", escaped
    )


def _dom_id(path: str) -> str:
    return "f-" + re.sub(r"[^A-Za-z0-9_-]+", "-", path).strip("-")


class _Builder:
    def __init__(
        self,
        page: Page,
        context: dict[str, Any],
        errors: dict[str, list[str]],
        language: str,
        *,
        ui_state: dict[str, Any],
        warnings: dict[str, str],
        revision: bool,
    ) -> None:
        self.page, self.context, self.errors, self.language = page, context, errors, language
        self.ui_state, self.warnings, self.revision = ui_state, warnings, revision
        self.placed: set[str] = set()
        self.uploads: list[FieldView] = []
        self.forms = {id(f.element): f for f in forms_of(page.elements, context)}

    def nodes(self, elements: list[Any]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for element in elements:
            if isinstance(element, dict):
                node = self.node(element)
                if node is not None:
                    out.append(node)
        return out

    def node(self, element: dict[str, Any]) -> dict[str, Any] | None:
        kind = element.get("type")
        options = element.get("options") if isinstance(element.get("options"), dict) else {}
        assert isinstance(options, dict)
        if kind in ("mainContainer", "container"):
            align = options.get("align") if options.get("align") in ("left", "right") else None
            return {"kind": "container", "align": align, "children": self.nodes(element.get("elements") or [])}
        if kind in ("h1", "h2", "h3", "h4"):
            return {"kind": kind, "text": str(options.get("text", ""))}
        if kind == "description":
            return {"kind": "description", "html": safe_description(options.get("descriptionRaw", options.get("text")))}
        if kind == "divider":
            return {"kind": "divider"}
        if kind == "submit-button":
            return {"kind": "submit", "name": str(element.get("name", "submit")), "text": str(options.get("text", ""))}
        if kind == "json-form":
            form = self.forms.get(id(element))
            if form is None or not is_shown(element, self.context, self.ui_state):
                return None
            return self.form(form, options)
        return None  # `stepper`: the page's own step list is always shown

    def form(self, form: Form, options: dict[str, Any]) -> dict[str, Any]:
        definition = options.get("jsonFormDefinition") if isinstance(options.get("jsonFormDefinition"), dict) else {}
        assert isinstance(definition, dict)
        required = set(definition.get("required") or [])
        ui_schema = options.get("uiSchema") if isinstance(options.get("uiSchema"), dict) else {}
        assert isinstance(ui_schema, dict)
        disabled_names = self.inserted_disabled(form, options)
        items: list[ItemView] = []
        for i, fields in enumerate(form.items):
            index = i if form.is_array else None
            title = str(ui_schema.get("titleTemplate") or definition.get("title") or "")
            title = title.replace("{{INDEX}}", str(i + 1)) if form.is_array else ""
            views = [self.field(f, required, disabled_names) for f in fields]
            anchored = form.is_array and _is_anchored(self.context, form, i, options)
            items.append(ItemView(title, index, [v for v in views if v is not None], form.is_array and not anchored))
        self.placed.add(form.destination)
        return {
            "kind": "form",
            "name": form.name,
            "is_array": form.is_array,
            "description": safe_description(options.get("description", "")),
            "items": items,
            "can_add": form.is_array and not self.revision and rules_pass(options.get("canAdd"), self.context),
            "add_text": str(ui_schema.get("addText") or text(self.language, "add")),
            "errors": self.errors.get(form.destination, []) if form.destination else [],
        }

    def inserted_disabled(self, form: Form, options: dict[str, Any]) -> set[str]:
        params = options.get("insertionParams")
        if not form.is_array or not isinstance(params, dict):
            return set()
        out: set[str] = set()
        for rule in params.get("disableElements") or []:
            at = rule.get("atIndex") if isinstance(rule, dict) else None
            if isinstance(at, int) and _is_anchored(self.context, form, at, options):
                out.add(f"{rule.get('elementName')}[{at}]")
        return out

    def field(self, f: Field, required: set[str], disabled_names: set[str]) -> FieldView | None:
        element = f.element
        if not is_shown(element, self.context, self.ui_state, f.index):
            return None
        options = f.options
        ui_schema = options.get("uiSchema") if isinstance(options.get("uiSchema"), dict) else {}
        assert isinstance(ui_schema, dict)
        widget = f.widget
        value = get_path(self.context, f.destination) if f.destination else None
        warning = self.warnings.get(document_id(f)) if widget == "document" else None
        disabled = (
            f.name in disabled_names
            or not is_enabled(element, self.context, self.ui_state, f.index)
            or (self.revision and warning is None)
        )
        plain_name = str(element.get("name", ""))
        is_required = plain_name in required or (
            isinstance(element.get("requiredOn"), list)
            and rules_pass(element["requiredOn"], self.context, self.ui_state, f.index)
        )
        errors = field_errors(f, self.errors)
        self.placed.add(f.destination)
        if widget == "document":
            self.placed.add(DOCUMENT_ERROR_PREFIX + document_id(f))
        view = FieldView(
            id=_dom_id(f.destination or f.name),
            name=f.name,
            input_name=f.destination,
            widget=widget,
            label=str(options.get("label") or options.get("title") or ""),
            hint=str(options.get("hint") or ui_schema.get("ui:placeholder") or ""),
            description=safe_description(options.get("description") or ""),
            value=_shown_value(widget, value),
            values=[str(v) for v in value] if isinstance(value, list) else [],
            choices=self.choices(f, widget, ui_schema),
            required=is_required,
            disabled=disabled,
            errors=errors,
            warning=warning,
        )
        if widget == "document":
            attached = document_file(self.context, f)
            view.file_name = str(attached.get("fileName") or "") if attached else None
            self.uploads.append(view)
        return view

    def choices(self, f: Field, widget: str, ui_schema: dict[str, Any]) -> list[tuple[str, str]]:
        if widget == "country":
            return countries(self.language)
        if widget == "industry":
            return industries(self.language)
        if widget == "state":
            country = get_path(self.context, str(f.options.get("countryCodePath", "")) or "entity.data.country")
            return states(country, self.language) if isinstance(country, str) else []
        listed = ui_schema.get("options")
        if isinstance(listed, list):
            return [
                (str(o.get("value", o.get("const", ""))), str(o.get("title", o.get("value", o.get("const", "")))))
                for o in listed
                if isinstance(o, dict)
            ]
        schema = f.options.get("jsonFormDefinition")
        if isinstance(schema, dict):
            one_of = (
                schema.get("oneOf") or (schema.get("items") or {}).get("oneOf")
                if isinstance(schema.get("items") or {}, dict)
                else None
            )
            if isinstance(one_of, list):
                return [
                    (str(o.get("const", "")), str(o.get("title", o.get("const", ""))))
                    for o in one_of
                    if isinstance(o, dict)
                ]
            enum = schema.get("enum") or (
                (schema.get("items") or {}).get("enum") if isinstance(schema.get("items"), dict) else None
            )
            if isinstance(enum, list):
                return [(str(v), str(v)) for v in enum]
        return []


def _is_anchored(context: dict[str, Any], form: Form, index: int, options: dict[str, Any]) -> bool:
    params = options.get("insertionParams")
    anchor = params.get("bindingAnchorDestination") if isinstance(params, dict) else None
    items = get_path(context, form.destination)
    if not isinstance(anchor, str) or not isinstance(items, list) or index >= len(items):
        return False
    return bool(get_path(items[index], anchor)) if isinstance(items[index], dict) else False


def _shown_value(widget: str, value: Any) -> Any:
    if value is None:
        return "" if widget != "boolean" else False
    if widget == "date" and isinstance(value, str) and len(value) >= 10:
        return value[:10]  # the date input shows YYYY-MM-DD of the stored ISO date-time
    if widget in ("checkbox-list", "tags") and isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return value
    return value if isinstance(value, str | int | float) else ""


def build_page(
    page: Page,
    context: dict[str, Any],
    errors: dict[str, list[str]],
    language: str,
    *,
    ui_state: dict[str, Any],
    warnings: dict[str, str],
    revision: bool,
) -> PageView:
    """The page's nodes, with `errors` placed under their fields and the rest listed for the page."""
    builder = _Builder(page, context, errors, language, ui_state=ui_state, warnings=warnings, revision=revision)
    nodes = builder.nodes(page.elements)
    unplaced = [m for key, messages in errors.items() if key not in builder.placed for m in messages]
    return PageView(nodes, list(dict.fromkeys(unplaced)), builder.uploads)
