"""The rendering side of engine/ui_definition: rules, page validation, fields, navigation, documents."""

from __future__ import annotations

import json
from typing import Any

import pytest

from arabesque.engine.ui_definition import (
    ADD_ITEM,
    FINISHED,
    REMOVE_ITEM,
    apply_input,
    attach_file,
    document_file,
    field_errors,
    finish_event,
    forms_of,
    is_enabled,
    is_shown,
    mark_completed,
    next_state,
    page_errors,
    pages_of,
    previous_state,
    revision_warnings,
    rule_passes,
    start_state,
    steps_progress,
    widget_of,
)
from paths import ROOT

EXAMPLE = ROOT / "tests" / "fixtures" / "collection_flow" / "ui-definition-kyb-example.json"  # reference §5


def _example() -> dict[str, Any]:
    record: dict[str, Any] = json.loads((EXAMPLE).read_text())["uiDefinition"]
    return record


CONTEXT = {"entity": {"data": {"country": "DE", "ubos": [{"n": 1}, {"n": 2}], "revenue": 120}}}


@pytest.mark.parametrize(
    ("rule", "passes"),
    [
        ({"type": "json-logic", "value": {"in": [{"var": "entity.data.country"}, ["DE", "AT"]]}}, True),
        ({"type": "json-logic", "value": {"in": [{"var": "entity.data.country"}, ["FR"]]}}, False),
        ({"type": "json-logic", "value": {">=": [{"var": "entity.data.ubos.length"}, 2]}}, True),
        ({"type": "json-logic", "value": {">=": [{"var": "entity.data.revenue"}, 500]}}, False),
        ({"type": "jmespath", "value": "length(entity.data.ubos) > `1`"}, True),
        ({"type": "jmespath", "value": "uiState.isRevision"}, False),
        ({"type": "json-schema", "value": {"type": "object", "required": ["entity"]}}, True),
        (
            {
                "type": "json-schema",
                "value": {
                    "if": {
                        "properties": {"entity": {"properties": {"data": {"properties": {"country": {"const": "DE"}}}}}}
                    },
                    "then": {"required": ["documents"]},
                },
            },
            False,
        ),
        (
            {
                "type": "destination-engine",
                "value": [{"documentId": "d1", "destination": "pages[0].ballerineFileId", "required": True}],
            },
            False,
        ),
        (
            {
                "type": "destination-engine",
                "value": [{"documentId": "d1", "destination": "pages[0].ballerineFileId", "required": False}],
            },
            True,
        ),
        ({"type": "unknown", "value": 1}, False),
    ],
)
def test_each_rule_type_is_evaluated(rule: dict[str, Any], passes: bool) -> None:
    assert rule_passes(rule, CONTEXT) is passes


def test_a_rule_of_an_array_item_sees_its_own_item() -> None:
    rule = {"type": "json-logic", "value": {"==": [{"var": "entity.data.ubos[{INDEX}].n"}, 2]}}
    assert not rule_passes(rule, CONTEXT, index=0)
    assert rule_passes(rule, CONTEXT, index=1)


def test_page_errors_are_keyed_by_the_field_paths_with_the_definitions_messages() -> None:
    page = pages_of(_example())[0]
    context = {"entity": {"data": {"additionalInfo": {"mainRepresentative": {"firstName": "A", "phone": "12"}}}}}
    errors = page_errors(page.validation, context)
    assert errors["entity.data.additionalInfo.mainRepresentative.firstName"] == ["errorMessage.minLength.firstName"]
    assert errors["entity.data.additionalInfo.mainRepresentative.phone"] == ["errorMessage.pattern.phone"]
    assert errors["entity.data.additionalInfo.mainRepresentative.lastName"] == ["errorMessage.required.lastName"]
    assert errors["entity.data.additionalInfo.iHaveSigningAuthority"] == ["errorMessage.required.iHaveSigningAuthority"]


def test_if_then_else_schemas_and_formats_give_field_errors() -> None:
    schema = {
        "type": "object",
        "properties": {
            "a": {
                "type": "object",
                "if": {"properties": {"kind": {"const": "company"}}},
                "then": {"required": ["vat"]},
                "else": {"properties": {"email": {"format": "email"}}},
            }
        },
    }
    rule = {"type": "json-schema", "value": schema}
    assert page_errors([rule], {"a": {"kind": "company"}}) == {"a.vat": ["must have required property 'vat'"]}
    assert page_errors([rule], {"a": {"kind": "person", "email": "nope"}}) == {"a.email": ['must match format "email"']}
    assert page_errors([rule], {"a": {"kind": "person", "email": "a@b.co"}}) == {}


def test_an_array_minimum_is_reported_at_the_array() -> None:
    page = pages_of(_example())[3]
    errors = page_errors(page.validation, {"entity": {"data": {"additionalInfo": {"ubos": [], "directors": []}}}})
    assert errors["entity.data.additionalInfo.ubos"] == ["errorMessage.minItems.ubos"]


def test_a_hostile_pattern_is_bounded() -> None:
    rule = {"type": "json-schema", "value": {"properties": {"x": {"type": "string", "pattern": "^(a+)+$"}}}}
    # a catastrophic-backtracking pattern ends (or is cut off by the meter's regex time limit): never hangs
    assert page_errors([rule], {"x": "a" * 40 + "!"}) == {"x": ['must match pattern "^(a+)+$"']}


def test_navigation_follows_the_browser_statechart() -> None:
    record = _example()
    states = [p.state_name for p in pages_of(record)]
    assert states == [
        "personal_details",
        "company_information",
        "business_address_information",
        "company_ownership",
        "company_documents",
    ]
    assert next_state(record, "personal_details") == "company_information"
    assert next_state(record, "company_documents") == FINISHED
    assert previous_state(record, "company_information") == "personal_details"
    assert previous_state(record, "personal_details") is None


def test_progress_is_kept_in_flow_config_as_ballerine_does() -> None:
    record = _example()
    fixture = json.loads((EXAMPLE).read_text())
    assert steps_progress(record) == fixture["expectedStepsProgress"]
    context: dict[str, Any] = {}
    mark_completed(context, record, "company_documents")
    assert context["flowConfig"]["stepsProgress"]["company_documents"] == {"number": 5, "isCompleted": True}
    assert context["flowConfig"]["stepsProgress"]["personal_details"]["isCompleted"] is False


def test_the_finish_event_comes_from_the_definitions_send_event_plugin() -> None:
    record = _example()
    assert finish_event(record, {}) == "COLLECTION_FLOW_FINISHED"
    record["definition"]["extensions"]["apiPlugins"][3]["request"]["transform"][0]["mapping"] = (
        "{eventName: 'SUBMITTED'}"
    )
    assert finish_event(record, {}) == "SUBMITTED"


def test_a_submitted_form_writes_only_the_pages_fields() -> None:
    page = pages_of(_example())[0]
    form = {
        "entity.data.additionalInfo.mainRepresentative.firstName": ["Ada"],
        "entity.data.additionalInfo.mainRepresentative.dateOfBirth": ["1990-02-03"],
        "entity.data.additionalInfo.iHaveSigningAuthority": ["true"],
        "entity.data.additionalInfo.mainRepresentative.lastName": [""],
        "pluginsOutput.kyc": ["forged"],
        "metadata.token": ["forged"],
    }
    context = apply_input(
        page.elements, {"entity": {"data": {"additionalInfo": {"mainRepresentative": {"lastName": "Old"}}}}}, form
    )
    representative = context["entity"]["data"]["additionalInfo"]["mainRepresentative"]
    assert representative == {"firstName": "Ada", "dateOfBirth": "1990-02-03T00:00:00.000Z"}
    assert context["entity"]["data"]["additionalInfo"]["iHaveSigningAuthority"] is True
    assert "pluginsOutput" not in context and "metadata" not in context


def test_array_forms_add_remove_and_insert_the_representative() -> None:
    page = pages_of(_example())[3]
    context: dict[str, Any] = {
        "entity": {
            "data": {
                "companyName": "Acme",
                "additionalInfo": {"mainRepresentative": {"firstName": "Ada", "lastName": "L"}},
            }
        }
    }
    context = apply_input(
        page.elements, context, {"entity.data.additionalInfo.imShareholder": ["true"], ADD_ITEM: ["directors-form"]}
    )
    ubos = context["entity"]["data"]["additionalInfo"]["ubos"]
    assert ubos[0]["firstName"] == "Ada" and ubos[0]["additionalInfo"]["__isGeneratedAutomatically"] is True
    assert ubos[0]["additionalInfo"]["companyName"] == "Acme"
    assert len(context["entity"]["data"]["additionalInfo"]["directors"]) == 1
    forms = {f.name: f for f in forms_of(page.elements, context)}
    assert forms["ubos-form"].items[0][0].destination == "entity.data.additionalInfo.ubos[0].firstName"
    assert forms["ubos-form"].items[0][0].name == "ubos:first-name-input[0]"
    context = apply_input(
        page.elements,
        context,
        {REMOVE_ITEM: ["directors-form:0"], "entity.data.additionalInfo.imShareholder": ["true"]},
    )
    assert context["entity"]["data"]["additionalInfo"]["directors"] == []
    context = apply_input(page.elements, context, {})  # unticked: the automatic owner goes
    assert context["entity"]["data"]["additionalInfo"]["ubos"] == []


def test_visibility_and_availability_rules() -> None:
    element = {
        "visibleOn": [{"type": "json-logic", "value": {"==": [{"var": "entity.data.country"}, "US"]}}],
        "availableOn": [{"type": "jmespath", "value": "entity.data.revenue"}],
    }
    assert not is_shown(element, CONTEXT, None)
    assert is_enabled(element, CONTEXT, None)
    assert not is_enabled(element, {"entity": {"data": {}}}, None)


def test_widgets_are_chosen_as_the_renderer_does() -> None:
    def field(kind: str = "json-form:text", **options: Any) -> dict[str, Any]:
        return {"type": kind, "options": options}

    assert widget_of(field(uiSchema={"ui:field": "CountryPicker"})) == "country"
    assert widget_of(field(uiSchema={"ui:field": "IndustriesPicker"})) == "industry"
    assert widget_of(field(uiSchema={"ui:field": "CheckboxList"})) == "checkbox-list"
    assert widget_of(field(jsonFormDefinition={"type": "boolean"})) == "boolean"
    assert widget_of(field(jsonFormDefinition={"type": "string", "oneOf": [{"const": "a"}]})) == "select"
    assert widget_of(field("json-form:currency")) == "currency"
    assert widget_of(field()) == "text"


def _documents_page() -> Any:
    return pages_of(_example())[4]


def test_an_upload_writes_the_document_shape_and_clears_the_decision() -> None:
    page = _documents_page()
    context: dict[str, Any] = {
        "documents": [{"id": "document-bank-statement", "decision": {"status": "revision"}, "pages": []}]
    }
    fields = [
        f for form in forms_of(page.elements, context) for item in form.items for f in item if f.widget == "document"
    ]
    bank = next(f for f in fields if "bank" in str(f.options["documentData"]["id"]))
    errors = page_errors(page.validation, context)
    assert field_errors(bank, errors)  # required, not uploaded yet
    attach_file(context, bank, "file-1", "statement.pdf", "application/pdf")
    document = next(d for d in context["documents"] if d["id"] == bank.options["documentData"]["id"])
    assert document["decision"] == {}
    assert document["pages"][0] == {"ballerineFileId": "file-1", "fileName": "statement.pdf", "type": "application/pdf"}
    assert document["category"] == bank.options["documentData"]["category"]
    assert document_file(context, bank) == document["pages"][0]
    assert not field_errors(bank, page_errors(page.validation, context))


def test_revision_reopens_the_page_of_the_flagged_document() -> None:
    record = _example()
    context: dict[str, Any] = {
        "flowConfig": {"appState": "company_ownership"},
        "documents": [
            {"id": "document-bank-statement", "decision": {"status": "revision", "revisionReason": "Blurry scan"}}
        ],
    }
    assert revision_warnings(record, context) == {"company_documents": {"document-bank-statement": "Blurry scan"}}
    assert start_state(record, context) == "company_documents"
    context["documents"][0]["decision"] = {}
    assert revision_warnings(record, context) == {}
    assert start_state(record, context) == "company_ownership"
    assert start_state(record, {}) == "personal_details"
