# ruff: noqa: E501  (scenario tables read best one case a line)
"""validate_ui_definition: the shipped example is clean; every kind of problem is reported with its path."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from arabesque.engine.ui_definition import validate_ui_definition
from arabesque.engine.ui_definition._validate import MAX_DEPTH, MAX_NODES
from paths import ROOT

EXAMPLE = ROOT / "tests" / "fixtures" / "collection_flow" / "ui-definition-kyb-example.json"  # reference §5


def _example() -> dict[str, Any]:
    text = (EXAMPLE).read_text()
    record: dict[str, Any] = json.loads(text)["uiDefinition"]
    return record


def _page(*elements: Any, actions: Any = None, validation: Any = None) -> dict[str, Any]:
    return {
        "type": "page",
        "name": "Page",
        "number": 1,
        "stateName": "one",
        "elements": list(elements),
        "actions": actions or [],
        "pageValidation": validation or [],
    }


def _form(*fields: Any, **extra: Any) -> dict[str, Any]:
    return {"type": "json-form", "name": "form", "elements": list(fields), **extra}


def _field(name: str = "f", destination: str = "entity.data.name", **options: Any) -> dict[str, Any]:
    return {"type": "json-form:text", "name": name, "valueDestination": destination, "options": options}


def _record(*pages: Any) -> dict[str, Any]:
    return {"uiSchema": {"elements": list(pages)}}


def _paths(record: Any) -> dict[str, str]:
    return dict(validate_ui_definition(record))


def test_the_shipped_example_has_no_problems() -> None:
    assert validate_ui_definition(_example()) == []


def test_every_field_widget_and_layout_element_of_the_reference_is_accepted() -> None:
    widgets = [
        "DateInput", "PhoneInput", "AutocompleteInput", "CountryPicker", "StatePicker", "NationalityPicker",
        "IndustriesPicker", "LocalePicker", "MCCPicker", "CheckboxList", "Multiselect", "RadioInput",
        "TagsInput", "RelationshipDropdown", "FileInput", "CurrencyInput",
    ]  # fmt: skip
    fields = [_field(f"f{i}", f"entity.data.f{i}", uiSchema={"ui:field": w}) for i, w in enumerate(widgets)]
    fields.append(
        {
            "type": "document",
            "name": "doc",
            "valueDestination": "documents[0].pages[0].ballerineFileId",
            "options": {
                "uiSchema": {"ui:field": "DocumentInput"},
                "documentData": {"id": "d1", "category": "proof_of_address", "type": "bank_statement"},
            },
        }
    )
    layout = [
        {"type": t, "options": {"text": "x"}} for t in ("h1", "h3", "h4", "description", "divider", "stepper")
    ] + [{"type": "submit-button", "name": "next"}]
    page = _page({"type": "mainContainer", "elements": [{"type": "container", "elements": layout}, _form(*fields)]})
    assert validate_ui_definition(_record(page)) == []


def test_every_rule_and_action_type_is_accepted() -> None:
    rules = [
        {"type": "json-logic", "value": {">=": [{"var": "entity.data.ubos.length"}, 1]}},
        {"type": "json-logic", "value": {"in": [{"var": "entity.data.country"}, ["DE", "AT"]]}},
        {"type": "jmespath", "value": "!contains(uiState.elements.*.isLoading, `true`)"},
        {
            "type": "json-schema",
            "value": {
                "type": "object",
                "if": {"properties": {"a": {"const": True}}},
                "then": {"required": ["b"]},
                "else": {"properties": {"c": {"type": "string", "format": "email"}}},
                "errorMessage": {"required": {"b": "b is needed"}},
            },
        },
        {"type": "destination-engine", "value": [{"documentId": "d1", "destination": "pages[0].ballerineFileId", "required": True}]},
    ]  # fmt: skip
    actions = [
        {"type": "definitionEvent", "params": {"eventName": "NEXT"}, "dispatchOn": {"uiEvents": [{"event": "onClick", "uiElementName": "next"}], "rules": rules}},
        {"type": "definitionPlugin", "params": {"pluginName": "sync"}},
        {"type": "api", "params": {"url": "https://example.org", "method": "post"}},
        {"type": "valueApply", "params": {"values": [{"valueDestination": "entity.data.x", "selector": {"type": "raw", "value": 1}, "rule": rules[:1]}]}},
    ]  # fmt: skip
    record = _record(
        _page(
            _form(_field(visibleOn=rules)), {"type": "submit-button", "name": "next"}, actions=actions, validation=rules
        )
    )
    record["uiSchema"]["elements"][0]["elements"][0]["elements"][0]["visibleOn"] = rules
    record["definition"] = {
        "definition": {"initial": "one", "states": {"one": {"on": {"NEXT": "done"}}, "done": {"type": "final"}}},
        "extensions": {"apiPlugins": [{"name": "sync"}]},
    }
    assert validate_ui_definition(record) == []


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        (lambda p: p["elements"].append({"type": "carousel"}), "uiSchema.elements[0].elements[1].type", "unknown element type"),
        (lambda p: p["elements"][0]["elements"].append({"type": "json-form:slider", "valueDestination": "a"}), "uiSchema.elements[0].elements[0].elements[1].type", "unknown field type"),
        (lambda p: p["elements"][0]["elements"][0]["options"].update(uiSchema={"ui:field": "Magic"}), "uiSchema.elements[0].elements[0].elements[0].options.uiSchema.ui:field", "unknown widget"),
        (lambda p: p["elements"][0]["elements"][0].update(visibleOn=[{"type": "regex", "value": "."}]), "uiSchema.elements[0].elements[0].elements[0].visibleOn[0].type", "unknown rule type"),
        (lambda p: p.update(pageValidation=[{"type": "json-logic", "value": {"nope": [1]}}]), "uiSchema.elements[0].pageValidation[0].value", "does not parse"),
        (lambda p: p.update(pageValidation=[{"type": "jmespath", "value": "a[?"}]), "uiSchema.elements[0].pageValidation[0].value", "does not parse"),
        (lambda p: p.update(pageValidation=[{"type": "json-schema", "value": {"type": "strnig"}}]), "uiSchema.elements[0].pageValidation[0].value", "not a valid JSON Schema"),
        (lambda p: p.update(pageValidation=[{"type": "json-schema", "value": {"format": "ipv9"}}]), "uiSchema.elements[0].pageValidation[0].value.format", "unknown format"),
        (lambda p: p.update(pageValidation=[{"type": "json-schema", "value": {"pattern": "(("}}]), "uiSchema.elements[0].pageValidation[0].value", "not a valid JSON Schema"),
        (lambda p: p["elements"][0]["elements"][0].update(valueDestination="pluginsOutput.kyc.result"), "uiSchema.elements[0].elements[0].elements[0].valueDestination", "which the server keeps"),
        (lambda p: p["elements"][0]["elements"][0].update(valueDestination="entity.__proto__.x"), "uiSchema.elements[0].elements[0].elements[0].valueDestination", "not allowed"),
        (lambda p: p["elements"][0]["elements"][0].update(valueDestination="../secrets"), "uiSchema.elements[0].elements[0].elements[0].valueDestination", "is not a name"),
        (lambda p: p["elements"][0]["elements"][0].update(valueDestination="entity.ubos[{INDEX}].name"), "uiSchema.elements[0].elements[0].elements[0].valueDestination", "only allowed inside an array"),
        (lambda p: p.update(actions=[{"type": "teleport"}]), "uiSchema.elements[0].actions[0].type", "unknown action type"),
        (lambda p: p.update(actions=[{"type": "definitionEvent", "params": {}}]), "uiSchema.elements[0].actions[0].params.eventName", "must be a string"),
        (lambda p: p.update(actions=[{"type": "definitionEvent", "params": {"eventName": "NEXT"}, "dispatchOn": {"uiEvents": [{"event": "onClick", "uiElementName": "ghost"}]}}]), "uiSchema.elements[0].actions[0].dispatchOn.uiEvents[0].uiElementName", "no element"),
        (lambda p: p.update(number=0), "uiSchema.elements[0].number", "positive integer"),
        (lambda p: p.update(type="section"), "uiSchema.elements[0].type", "must be a page"),
    ],
)  # fmt: skip
def test_a_problem_is_reported_at_its_path(change: Any, path: str, words: str) -> None:
    page = _page(_form(_field()))
    change(page)
    problems = _paths(_record(page))
    assert path in problems, problems
    assert words in problems[path]


def test_every_problem_is_reported_not_only_the_first() -> None:
    page = _page({"type": "carousel"}, {"type": "slideshow"}, actions=[{"type": "teleport"}])
    assert set(_paths(_record(page))) == {
        "uiSchema.elements[0].elements[0].type",
        "uiSchema.elements[0].elements[1].type",
        "uiSchema.elements[0].actions[0].type",
    }


def test_a_bad_rule_deep_in_the_example_is_found() -> None:
    record = _example()
    record["uiSchema"]["elements"][4]["pageValidation"][0]["type"] = "xpath"
    assert _paths(record) == {
        "uiSchema.elements[4].pageValidation[0].type": _paths(record)["uiSchema.elements[4].pageValidation[0].type"]
    }


def test_duplicate_pages_and_names_are_refused() -> None:
    first, second = _page(_form(_field("a"), _field("a", "entity.data.b"))), _page()
    problems = _paths(_record(first, second))
    assert "uiSchema.elements[0].elements[0].elements[1].name" in problems
    assert "uiSchema.elements[1].stateName" in problems
    assert "uiSchema.elements[1].number" in problems


def test_theme_values_that_could_break_out_of_css_are_refused() -> None:
    record = _record(_page())
    record["theme"] = {
        "logo": "javascript:alert(1)",
        "palette": {"primary": {"color": "red; background: url(x)"}},
        "elements": {"radius": "0.5rem"},
    }
    assert set(_paths(record)) == {"theme.logo", "theme.palette.primary.color"}


@pytest.mark.parametrize("hostile", ["deep", "wide", "long"])
def test_hostile_input_is_refused_with_bounded_work(hostile: str) -> None:
    value: Any
    if hostile == "deep":
        value = []
        for _ in range(MAX_DEPTH + 10):
            value = [value]
        value = {"uiSchema": {"elements": value}}
    elif hostile == "wide":
        value = {"uiSchema": {"elements": [0] * (MAX_NODES + 1)}}
    else:
        value = {"uiSchema": {"elements": ["x" * 200_001]}}
    problems = validate_ui_definition(value)
    assert len(problems) == 1 and problems[0][0] == ""


def test_not_an_object() -> None:
    assert validate_ui_definition([1]) == [("", "a UI definition must be an object with uiSchema.elements")]
    assert "uiSchema.elements" in _paths({"uiSchema": {}})


def test_validation_does_not_change_the_definition() -> None:
    record = _example()
    before = copy.deepcopy(record)
    validate_ui_definition(record)
    assert record == before
