"""What a collection-flow UI definition may contain: the element, widget, rule and action types the renderer
knows (collection-flow reference §3.5 to §3.7). Anything else is refused on upload, never skipped when shown."""

from __future__ import annotations

from typing import Final

__all__ = [
    "ACTION_TYPES",
    "FIELD_TYPES",
    "FIELD_WIDGETS",
    "LAYOUT_TYPES",
    "RULE_TYPES",
    "TEXT_TYPES",
    "UI_EVENTS",
]

# Elements that hold other elements or show fixed content (§3.5 top-level table).
LAYOUT_TYPES: Final = frozenset({"mainContainer", "container"})
TEXT_TYPES: Final = frozenset({"h1", "h2", "h3", "h4", "description"})
FORM_TYPE: Final = "json-form"
CONTENT_TYPES: Final = frozenset({"divider", "stepper", "submit-button", FORM_TYPE}) | TEXT_TYPES | LAYOUT_TYPES

# The `type` of a json-form child is documentation in Ballerine (the widget comes from the schema and
# `ui:field`); it is still checked so that a typo is reported rather than rendered as a plain text box.
FIELD_TYPES: Final = frozenset(
    {
        "json-form:text", "json-form:number", "json-form:currency", "json-form:date", "json-form:email",
        "json-form:phone", "json-form:dropdown", "json-form:select", "json-form:country-picker",
        "json-form:state-picker", "json-form:industry-picker", "json-form:nationality-picker",
        "json-form:checkbox-list", "json-form:radio", "json-form:multiselect", "json-form:tags",
        "json-form:textarea", "json-form:relationship-dropdown", "json-form:mcc-picker",
        "json-form:locale-picker", "json-form:file", "document", "checkbox", "authority-checkbox",
        "international-phone-number", "nationality-picker", "country-picker", "industry-picker",
        "checkbox-list", "currency", "dropdown", "select", "text", "date", "email", "phone",
    }
)  # fmt: skip

# `options.uiSchema["ui:field"]` values (§3.5 widget table), plus the currency input of later definitions.
FIELD_WIDGETS: Final = frozenset(
    {
        "DateInput", "PhoneInput", "AutocompleteInput", "CountryPicker", "StatePicker", "NationalityPicker",
        "IndustriesPicker", "LocalePicker", "MCCPicker", "CheckboxList", "Multiselect", "RadioInput",
        "TagsInput", "RelationshipDropdown", "DocumentInput", "FileInput", "CurrencyInput",
    }
)  # fmt: skip

RULE_TYPES: Final = frozenset({"json-logic", "jmespath", "json-schema", "destination-engine"})
ACTION_TYPES: Final = frozenset({"definitionEvent", "definitionPlugin", "api", "valueApply"})
UI_EVENTS: Final = frozenset({"onclick", "onchange"})  # compared case-insensitively, as the renderer does
HTTP_METHODS: Final = frozenset({"get", "post", "put", "patch", "delete"})
JSON_SCHEMA_FORMATS: Final = frozenset({"email", "uri", "date", "date-time"})
