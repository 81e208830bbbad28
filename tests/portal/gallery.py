"""A workflow definition whose UI definition uses every element type, widget, rule type and action type the
renderer knows (the demo uses only some), for the page tests."""

from __future__ import annotations

from typing import Any

G = "entity.data.gallery"


def _field(name: str, kind: str, dest: str, label: str, **options: Any) -> dict[str, Any]:
    return {"name": name, "type": kind, "valueDestination": f"{G}.{dest}", "options": {"label": label, **options}}


def _string(**extra: Any) -> dict[str, Any]:
    return {"jsonFormDefinition": {"type": "string", **extra}}


FIELDS: list[dict[str, Any]] = [
    _field("text", "json-form:text", "text", "Plain text", **_string()),
    _field("number", "json-form:number", "employees", "Employees", jsonFormDefinition={"type": "number"}),
    _field("currency", "json-form:currency", "turnover", "Annual turnover (EUR)", **_string()),
    _field("date", "json-form:date", "founded", "Founded", uiSchema={"ui:field": "DateInput"}, **_string()),
    _field("phone", "international-phone-number", "phone", "Phone", uiSchema={"ui:field": "PhoneInput"}, **_string()),
    _field("email", "json-form:email", "email", "E-mail", **_string(format="email")),
    _field(
        "select",
        "json-form:select",
        "size",
        "Company size",
        jsonFormDefinition={
            "type": "string",
            "oneOf": [{"const": "small", "title": "Small"}, {"const": "large", "title": "Large"}],
        },
    ),
    _field(
        "dropdown",
        "json-form:dropdown",
        "legalForm",
        "Legal form",
        uiSchema={
            "ui:field": "AutocompleteInput",
            "options": [{"title": "GmbH", "const": "gmbh"}, {"title": "AG", "const": "ag"}],
        },
        **_string(),
    ),
    _field(
        "country", "json-form:country-picker", "country", "Country", uiSchema={"ui:field": "CountryPicker"}, **_string()
    ),
    _field(
        "state",
        "json-form:state-picker",
        "state",
        "State",
        uiSchema={"ui:field": "StatePicker"},
        countryCodePath=f"{G}.country",
        **_string(),
    ),
    _field(
        "nationality",
        "nationality-picker",
        "nationality",
        "Nationality",
        uiSchema={"ui:field": "NationalityPicker"},
        **_string(),
    ),
    _field(
        "industry",
        "json-form:industry-picker",
        "industry",
        "Industry",
        uiSchema={"ui:field": "IndustriesPicker"},
        **_string(),
    ),
    _field(
        "channels",
        "json-form:checkbox-list",
        "channels",
        "Sales channels",
        uiSchema={
            "ui:field": "CheckboxList",
            "options": [{"title": "Online", "value": "online"}, {"title": "Shop", "value": "shop"}],
        },
        jsonFormDefinition={"type": "array"},
    ),
    _field(
        "radio",
        "json-form:radio",
        "risk",
        "Risk appetite",
        uiSchema={"ui:field": "RadioInput"},
        jsonFormDefinition={
            "type": "string",
            "oneOf": [{"const": "low", "title": "Low"}, {"const": "high", "title": "High"}],
        },
    ),
    _field(
        "tags",
        "json-form:tags",
        "tags",
        "Keywords",
        uiSchema={"ui:field": "TagsInput"},
        jsonFormDefinition={"type": "array"},
    ),
    _field("vat", "checkbox", "hasVat", "We are VAT registered", jsonFormDefinition={"type": "boolean"}),
    _field("vatNumber", "json-form:text", "vatNumber", "VAT number", **_string()),
    {
        **_field("eu", "json-form:text", "euRegister", "EU register entry", **_string()),
        "visibleOn": [{"type": "json-logic", "value": {"in": [{"var": f"{G}.country"}, ["DE", "AT"]]}}],
    },
    {
        **_field("locked", "json-form:text", "locked", "Locked until a country is chosen", **_string()),
        "availableOn": [{"type": "jmespath", "value": "entity.data.gallery.country"}],
    },
    {
        **_field("ownersNote", "json-form:text", "ownersNote", "Note on owners", **_string()),
        "requiredOn": [{"type": "json-logic", "value": {">=": [{"var": f"{G}.owners.length"}, 1]}}],
    },
]

VALIDATION = {
    "type": "json-schema",
    "value": {
        "type": "object",
        "properties": {
            "entity": {
                "type": "object",
                "properties": {
                    "data": {
                        "type": "object",
                        "properties": {
                            "gallery": {
                                "type": "object",
                                "required": ["text"],
                                "properties": {
                                    "email": {"type": "string", "format": "email"},
                                    "employees": {"type": "number", "minimum": 1},
                                },
                                "if": {"properties": {"hasVat": {"const": True}}, "required": ["hasVat"]},
                                "then": {
                                    "required": ["vatNumber"],
                                    "errorMessage": {
                                        "required": {"vatNumber": "A VAT number is needed when VAT registered"}
                                    },
                                },
                                "else": {},
                                "errorMessage": {"required": {"text": "Please write something"}},
                            }
                        },
                    }
                },
            }
        },
    },
}

PAGE_ONE = {
    "type": "page",
    "name": "Everything",
    "number": 1,
    "stateName": "everything",
    "pageValidation": [VALIDATION],
    "elements": [
        {
            "type": "mainContainer",
            "elements": [
                {"type": "h1", "options": {"text": "Every widget"}},
                {"type": "h3", "options": {"text": "A subtitle"}},
                {"type": "h4", "options": {"text": "A smaller one"}},
                {
                    "type": "description",
                    "options": {"descriptionRaw": "Some <b>bold</b> text <script>alert(1)</script>"},
                },
                {"type": "divider"},
                {"type": "stepper"},
                {"type": "json-form", "name": "gallery-form", "elements": FIELDS},
                {
                    "type": "json-form",
                    "name": "owners-form",
                    "valueDestination": f"{G}.owners",
                    "options": {
                        "jsonFormDefinition": {"type": "array", "title": "Owner"},
                        "uiSchema": {"titleTemplate": "Owner {{INDEX}}", "addText": "Add an owner"},
                        "canAdd": [{"type": "json-logic", "value": {"<": [{"var": f"{G}.owners.length"}, 2]}}],
                    },
                    "elements": [
                        _field("owner-name", "json-form:text", "owners[{INDEX}].name", "Owner name", **_string())
                        | {"valueDestination": f"{G}.owners[{{INDEX}}].name"}
                    ],
                },
                {"type": "submit-button", "name": "next", "options": {"text": "Next"}},
            ],
        }
    ],
    "actions": [
        {
            "type": "valueApply",
            "params": {
                "values": [
                    {
                        "valueDestination": f"{G}.reviewed",
                        "selector": {"type": "raw", "value": True},
                        "rule": [{"type": "json-logic", "value": True}],
                    }
                ]
            },
            "dispatchOn": {"uiEvents": [{"event": "onClick", "uiElementName": "next"}]},
        },
        {
            "type": "api",
            "params": {"url": "https://example.invalid/never-called", "method": "post"},
            "dispatchOn": {"uiEvents": [{"event": "onClick", "uiElementName": "next"}]},
        },
        {
            "type": "definitionEvent",
            "params": {"eventName": "NEXT"},
            "dispatchOn": {"uiEvents": [{"event": "onClick", "uiElementName": "next"}], "rules": [VALIDATION]},
        },
    ],
}

PAGE_TWO = {
    "type": "page",
    "name": "Documents",
    "number": 2,
    "stateName": "documents",
    "pageValidation": [
        {
            "type": "destination-engine",
            "value": [
                {"documentId": "passport-[{INDEX}]", "destination": "pages[0].ballerineFileId", "required": False},
                {
                    "documentId": "registry",
                    "destination": "pages[0].ballerineFileId",
                    "required": True,
                    "errorMessage": "The registry extract is needed",
                },
            ],
        }
    ],
    "elements": [
        {
            "type": "json-form",
            "name": "docs",
            "elements": [
                {
                    "name": "registry",
                    "type": "document",
                    "valueDestination": "documents[0].pages[0].ballerineFileId",
                    "options": {
                        "label": "Registry extract",
                        "uiSchema": {"ui:field": "DocumentInput"},
                        "documentData": {
                            "id": "registry",
                            "category": "registration_document",
                            "type": "commercial_register_extract",
                        },
                    },
                }
            ],
        },
        {"type": "submit-button", "name": "finish", "options": {"text": "Finish"}},
    ],
    "actions": [
        {
            "type": "definitionEvent",
            "params": {"eventName": "NEXT"},
            "dispatchOn": {"uiEvents": [{"event": "onClick", "uiElementName": "finish"}]},
        }
    ],
}

UI_DEFINITION = {
    "name": "gallery",
    "uiSchema": {"elements": [PAGE_ONE, PAGE_TWO]},
    "definition": {
        "definitionType": "statechart-json",
        "definition": {
            "id": "gallery_flow",
            "initial": "everything",
            "states": {
                "everything": {"on": {"NEXT": "documents"}},
                "documents": {"on": {"NEXT": "finish", "PREVIOUS": "everything"}},
                "finish": {"type": "final"},
            },
        },
        "extensions": {
            "apiPlugins": [
                {
                    "name": "send_collection_flow_finished",
                    "pluginKind": "api",
                    "url": "{flowConfig.apiUrl}/api/v1/collection-flow/send-event",
                    "method": "POST",
                    "stateNames": ["finish"],
                    "request": {"transform": [{"transformer": "jmespath", "mapping": "{eventName: 'GALLERY_DONE'}"}]},
                }
            ]
        },
    },
    "theme": {"palette": {"controls": {"color": "hsl(160, 80%, 30%)", "foreground": "#fff"}}},
    "locales": {"en": {}, "de": {}},
    "uiOptions": {"redirectUrls": {"success": "https://example.org/onboarding/done"}},
}

DEFINITION = {
    "id": "widget_gallery",
    "name": "widget_gallery",
    "definitionType": "statechart-json",
    "definition": {
        "id": "widget_gallery",
        "initial": "collecting",
        "states": {
            "collecting": {"tags": ["collection_flow"], "on": {"GALLERY_DONE": "manual_review"}},
            "manual_review": {"tags": ["manual_review"], "on": {"approve": "approved"}},
            "approved": {"type": "final"},
        },
    },
    "config": {"createCollectionFlowToken": True},
    "uiDefinition": UI_DEFINITION,
}
