"""Fields of a page: where their values live, whether they show, what a submitted form writes, page errors.

A field is a child of a `json-form`; in an array form (`jsonFormDefinition.type: array`) each item of the
context array at the form's `valueDestination` gets its own copy of the fields, with the first `{INDEX}` of
their paths replaced and their name suffixed `[i]` (§3.5). Values are written with lodash `set` semantics:
an empty input removes the key, `0` and `false` are kept. Only the fields the page shows and enables are
written, so a submitted form cannot reach any other place of the context.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from arabesque.engine.ui_definition._paths import INDEX, PathError, delete_path, get_path, resolve_index, set_path
from arabesque.engine.ui_definition._rules import DOCUMENT_ERROR_PREFIX, rule_errors, rules_pass
from arabesque.engine.ui_definition._vocabulary import FORM_TYPE

__all__ = [
    "ADD_ITEM",
    "REMOVE_ITEM",
    "Field",
    "Form",
    "apply_input",
    "document_id",
    "field_errors",
    "forms_of",
    "is_enabled",
    "is_shown",
    "page_errors",
    "widget_of",
]

ADD_ITEM: Final = "__add"  # form input naming an array form: push its defaultValue
REMOVE_ITEM: Final = "__remove"  # "<form name>:<index>": remove that item
MAX_ITEMS: Final = 50  # owners, directors...: more is not a real company's form, and it bounds the work
MAX_VALUE_LENGTH: Final = 10_000


@dataclass(frozen=True)
class Field:
    """One input as shown: its element, the item index in an array form, its name and resolved path."""

    element: dict[str, Any]
    index: int | None
    name: str
    destination: str

    @property
    def options(self) -> dict[str, Any]:
        options = self.element.get("options")
        return options if isinstance(options, dict) else {}

    @property
    def widget(self) -> str:
        return widget_of(self.element)


@dataclass(frozen=True)
class Form:
    """A json-form of a page: the element, whether it is an array form, and its fields per item."""

    element: dict[str, Any]
    is_array: bool
    items: list[list[Field]]  # one list for an object form; one per array item

    @property
    def name(self) -> str:
        return str(self.element.get("name", ""))

    @property
    def destination(self) -> str:
        return str(self.element.get("valueDestination", ""))


def _options(element: dict[str, Any]) -> dict[str, Any]:
    options = element.get("options")
    return options if isinstance(options, dict) else {}


def widget_of(element: dict[str, Any]) -> str:
    """The widget a field renders as, from `ui:field` and its JSON-schema fragment (§3.5 widget table)."""
    options = _options(element)
    ui_schema = options.get("uiSchema") if isinstance(options.get("uiSchema"), dict) else {}
    field = ui_schema.get("ui:field") if isinstance(ui_schema, dict) else None
    by_widget = {
        "DateInput": "date", "PhoneInput": "phone", "AutocompleteInput": "select", "CountryPicker": "country",
        "StatePicker": "state", "NationalityPicker": "country", "IndustriesPicker": "industry",
        "LocalePicker": "select", "MCCPicker": "text", "CheckboxList": "checkbox-list", "Multiselect": "checkbox-list",
        "RadioInput": "radio", "TagsInput": "tags", "RelationshipDropdown": "select", "DocumentInput": "document",
        "FileInput": "document", "CurrencyInput": "currency",
    }  # fmt: skip
    if isinstance(field, str) and field in by_widget:
        return by_widget[field]
    schema = options.get("jsonFormDefinition") if isinstance(options.get("jsonFormDefinition"), dict) else {}
    kind = schema.get("type") if isinstance(schema, dict) else None
    element_type = str(element.get("type", ""))
    if "currency" in element_type:
        return "currency"
    if kind == "boolean":
        return "boolean"
    if kind in ("number", "integer"):
        return "number"
    if kind == "array":
        return "checkbox-list"
    if isinstance(schema, dict) and isinstance(schema.get("oneOf") or schema.get("enum"), list):
        return "select"
    if element_type in ("json-form:dropdown", "json-form:select", "dropdown", "select"):
        return "select"
    if element_type.endswith("industry-picker"):
        return "industry"
    if element_type.endswith("country-picker") or element_type.endswith("nationality-picker"):
        return "country"
    if element_type.endswith("email"):
        return "email"
    if element_type.endswith("date"):
        return "date"
    return "text"


def _walk(elements: Sequence[Any]) -> Iterator[dict[str, Any]]:
    for element in elements:
        if not isinstance(element, dict):
            continue
        yield element
        children = element.get("elements")
        if element.get("type") != FORM_TYPE and isinstance(children, list):
            yield from _walk(children)


def forms_of(elements: Sequence[Any], context: dict[str, Any]) -> list[Form]:
    """The json-forms among `elements` (any depth), each with its fields resolved against `context`."""
    forms: list[Form] = []
    for element in _walk(elements):
        if element.get("type") != FORM_TYPE:
            continue
        definition = _options(element).get("jsonFormDefinition")
        is_array = isinstance(definition, dict) and definition.get("type") == "array"
        children = [c for c in element.get("elements") or [] if isinstance(c, dict)]
        if is_array:
            items = get_path(context, str(element.get("valueDestination", "")))
            count = min(len(items), MAX_ITEMS) if isinstance(items, list) else 0
            per_item = [[_field(c, i) for c in children] for i in range(count)]
            forms.append(Form(element, True, per_item))
        else:
            forms.append(Form(element, False, [[_field(c, None) for c in children]]))
    return forms


def _field(element: dict[str, Any], index: int | None) -> Field:
    name = str(element.get("name", ""))
    destination = str(element.get("valueDestination", ""))
    if index is not None:
        name, destination = f"{name}[{index}]", resolve_index(destination, index)
    return Field(element, index, name, destination)


def document_id(field: Field) -> str:
    """The document's id in `context.documents`: `documentData.id`, `[{INDEX}]` written as `[index:i]`."""
    data = field.options.get("documentData")
    raw = str(data.get("id", "")) if isinstance(data, dict) else ""
    if field.index is not None:
        raw = raw.replace(f"[{INDEX}]", f"[index:{field.index}]")
    return raw


# --------------------------------------------------------------------------------------------------
# Writing a submitted form
# --------------------------------------------------------------------------------------------------


def _coerce(field: Field, values: list[str]) -> tuple[bool, Any]:
    """(present, value) for the field's submitted strings; `present` False removes the key."""
    widget = field.widget
    values = [v[:MAX_VALUE_LENGTH] for v in values]
    first = values[0].strip() if values else ""
    if widget == "boolean":  # an unticked box sends nothing: every visible, enabled field is written
        return True, any(v.strip() in ("true", "on", "1") for v in values)
    if widget == "checkbox-list":
        allowed = _choices(field)
        chosen = [v for v in values if v and (not allowed or v in allowed)]
        return bool(chosen), chosen
    if widget == "tags":
        tags = [t.strip() for t in first.split(",") if t.strip()]
        return bool(tags), tags
    if not first:
        return False, None
    if widget in ("number", "currency"):
        try:
            number = float(first.replace(",", "")) if widget == "currency" else float(first)
        except ValueError:
            return True, first  # kept as typed: the page's schema says what is wrong with it
        if not math.isfinite(number):
            return True, first
        return True, int(number) if number.is_integer() else number
    if widget == "date":
        return True, _date_value(field, first)
    return True, first


def _date_value(field: Field, text: str) -> str:
    """A date input's `YYYY-MM-DD` as Ballerine stores it: an ISO date-time unless `outputFormat` is set."""
    ui_schema = field.options.get("uiSchema")
    output = ui_schema.get("outputFormat") if isinstance(ui_schema, dict) else None
    if len(text) == 10 and text[4] == "-" and text[7] == "-" and not output:
        return f"{text}T00:00:00.000Z"
    return text


def _choices(field: Field) -> list[str]:
    ui_schema = field.options.get("uiSchema")
    options = ui_schema.get("options") if isinstance(ui_schema, dict) else None
    out: list[str] = []
    for option in options if isinstance(options, list) else []:
        if isinstance(option, dict):
            value = option.get("value", option.get("const"))
            if value is not None:
                out.append(str(value))
    return out


def is_shown(element: dict[str, Any], context: dict[str, Any], ui_state: Any, index: int | None = None) -> bool:
    """`visibleOn`: all its rules hold."""
    return rules_pass(element.get("visibleOn"), context, ui_state, index)


def is_enabled(element: dict[str, Any], context: dict[str, Any], ui_state: Any, index: int | None = None) -> bool:
    """`availableOn`: disabled as soon as one of its rules fails."""
    return rules_pass(element.get("availableOn"), context, ui_state, index)


def apply_input(
    elements: Sequence[Any],
    context: dict[str, Any],
    form: Mapping[str, Sequence[str]],
    ui_state: Any = None,
    *,
    disabled: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """A copy of `context` with the page's submitted values written (inputs are named by their resolved
    `valueDestination`), array items added or removed, and array-form bookkeeping (company info, automatic
    insertion) applied. Hidden, disabled and document fields are left as they are; other names are ignored."""
    out = copy.deepcopy(context)
    for page_form in forms_of(elements, context):
        if not is_shown(page_form.element, context, ui_state):
            continue
        for item in page_form.items:
            for field in item:
                if field.name in disabled or field.widget == "document" or not field.destination:
                    continue
                if not is_shown(field.element, context, ui_state, field.index):
                    continue
                if not is_enabled(field.element, context, ui_state, field.index):
                    continue
                present, value = _coerce(field, list(form.get(field.destination, [])))
                try:
                    if present:
                        set_path(out, field.destination, value)
                    else:
                        delete_path(out, field.destination)
                except PathError:
                    continue  # refused on upload; an older stored definition must not break the page
    _change_items(elements, out, form)
    return out


def _change_items(elements: Sequence[Any], context: dict[str, Any], form: Mapping[str, Sequence[str]]) -> None:
    add = set(form.get(ADD_ITEM, []))
    remove = set(form.get(REMOVE_ITEM, []))
    for page_form in forms_of(elements, context):
        if not page_form.is_array or not page_form.destination:
            continue
        items = get_path(context, page_form.destination)
        items = list(items) if isinstance(items, list) else []
        options = _options(page_form.element)
        anchor = _anchor_path(options)
        for i in _removed_indexes(remove, page_form.name):
            if i < len(items) and not (anchor and get_path(items[i], anchor)):
                del items[i]  # an automatically inserted item goes only when its removeWhen rules hold
        if page_form.name in add and len(items) < MAX_ITEMS and rules_pass(options.get("canAdd"), context):
            default = options.get("defaultValue")
            items.append(copy.deepcopy(default) if isinstance(default, dict) else {})
        items = _insertion(options, context, items)
        if items or get_path(context, page_form.destination) is not None:
            if not options.get("skipCompanyInfoInsertion"):
                _company_info(context, items)
            set_path(context, page_form.destination, items)


def _removed_indexes(remove: set[str], form_name: str) -> list[int]:
    """The item indexes of `form_name` among `"<form>:<index>"` inputs, highest first."""
    indexes = {
        int(index) for name, _, index in (r.rpartition(":") for r in remove) if name == form_name and index.isdigit()
    }
    return sorted(indexes, reverse=True)


def _anchor_path(options: dict[str, Any]) -> str | None:
    params = options.get("insertionParams")
    anchor = params.get("bindingAnchorDestination") if isinstance(params, dict) else None
    return anchor if isinstance(anchor, str) and anchor else None


def _insertion(options: dict[str, Any], context: dict[str, Any], items: list[Any]) -> list[Any]:
    """`insertionParams` (§3.5): prepend an anchored item built from the context when all `insertWhen` rules
    hold (an empty list never does) and none is there; drop anchored items when all `removeWhen` rules hold."""
    params = options.get("insertionParams")
    anchor = _anchor_path(options)
    if not isinstance(params, dict) or anchor is None:
        return items
    anchored = [i for i, item in enumerate(items) if isinstance(item, dict) and get_path(item, anchor)]
    remove_when = params.get("removeWhen")
    if anchored and isinstance(remove_when, list) and remove_when and rules_pass(remove_when, context):
        return [item for i, item in enumerate(items) if i not in anchored]
    insert_when = params.get("insertWhen")
    if anchored or not (isinstance(insert_when, list) and insert_when and rules_pass(insert_when, context)):
        return items
    item: dict[str, Any] = {}
    set_path(item, anchor, True)
    schema = params.get("schema")
    for target, source in schema.items() if isinstance(schema, dict) else []:
        sources = source if isinstance(source, list) else [source]
        values = [get_path(context, s) if _looks_like_path(s) else s for s in sources]
        present = [v for v in values if v is not None]
        if present:
            try:
                set_path(item, target, "".join(map(str, present)) if len(present) > 1 else present[0])
            except PathError:
                continue
    return [item, *items]


def _looks_like_path(value: Any) -> bool:
    return isinstance(value, str) and "." in value and " " not in value


def _company_info(context: dict[str, Any], items: list[Any]) -> None:
    entity = context.get("entity")
    data = entity.get("data") if isinstance(entity, dict) else None
    company = data.get("companyName") if isinstance(data, dict) else None
    flow = context.get("flowConfig")
    customer = flow.get("customerCompany") if isinstance(flow, dict) else None
    for item in items:
        if isinstance(item, dict):
            info = item.setdefault("additionalInfo", {})
            if isinstance(info, dict):
                if company is not None:
                    info["companyName"] = company
                if customer is not None:
                    info["customerCompany"] = customer


# --------------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------------


def page_errors(validation: Sequence[Any], context: dict[str, Any], ui_state: Any = None) -> dict[str, list[str]]:
    """The page's `pageValidation` errors by key: a context path (json-schema), `document-error-<id>`
    (destination-engine) or "" (a json-logic or jmespath rule that does not hold)."""
    errors: dict[str, list[str]] = {}
    for rule in validation:
        for key, message in rule_errors(rule, context, ui_state):
            messages = errors.setdefault(key, [])
            if message not in messages:
                messages.append(message)
    return errors


def field_errors(field: Field, errors: Mapping[str, list[str]]) -> list[str]:
    """The messages shown under `field`: those at its path, and for a document its document's."""
    messages = list(errors.get(field.destination, []))
    if field.widget == "document":
        messages += [m for m in errors.get(DOCUMENT_ERROR_PREFIX + document_id(field), []) if m not in messages]
    return messages
