"""Pure parts of the Case Management pages: the generated form (fields built by web/case_form.py, values parsed
and checked by app/cases/entity_form.py), the list's query string, the diagram, and the roles and entities of
app/ (the sign-in throttle: tests/web/test_login_throttle.py)."""

from __future__ import annotations

import json
from pathlib import Path

from arabesque.app.access.members import Member
from arabesque.app.cases.entity_form import entity_schema, parse_form, schema_errors
from arabesque.app.cases.list_cases import CaseQuery
from arabesque.app.cases.queues import entity_of_record
from arabesque.web.case_form import build_fields
from arabesque.web.case_list import parse_case_query, query_params
from arabesque.web.diagram import definition_graph, layout

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "definitions"


def _record(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text())


def test_the_form_falls_back_to_the_context_schema_entity() -> None:
    schema, _ = entity_schema(_record("till_basic_kyb_demo"))
    fields = build_fields(schema, {}, {}, {})
    names = [f["name"] for f in fields]
    assert names == ["entity.type", "entity.id", "entity.data"]
    data = fields[2]["children"]
    company = next(f for f in data if f["name"] == "entity.data.companyName")
    assert company["required"] and company["kind"] == "text"


def test_the_initial_states_input_schema_wins_and_supports_every_kind() -> None:
    record = _record("till_basic_kyb_demo")
    record["definition"]["states"]["idle"]["meta"] = {
        "inputSchema": {
            "dataSchema": {
                "type": "object",
                "required": ["data"],
                "properties": {
                    "type": {"type": "string", "default": "business", "hidden": True},
                    "id": {"type": "string"},
                    "data": {
                        "type": "object",
                        "required": ["name", "size"],
                        "properties": {
                            "name": {"type": "string", "description": "Legal name"},
                            "size": {"type": "integer", "minimum": 1},
                            "founded": {"type": "string", "format": "date"},
                            "contact": {"type": "string", "format": "email"},
                            "kind": {"type": "string", "enum": ["llc", "plc"]},
                            "listed": {"type": "boolean"},
                            "owners": {
                                "type": "array",
                                "items": {"type": "object", "properties": {"name": {"type": "string"}}},
                            },
                        },
                    },
                },
            }
        }
    }
    schema, _ = entity_schema(record)
    fields = {f["name"]: f for f in build_fields(schema, {}, {}, {})[0:][-1]["children"]}
    kinds = {k.split(".")[-1]: f["kind"] for k, f in fields.items()}
    assert kinds == {
        "name": "text",
        "size": "integer",
        "founded": "date",
        "contact": "email",
        "kind": "select",
        "listed": "checkbox",
        "owners": "array",
    }
    assert fields["entity.data.name"]["help"] == "Legal name"
    form = {
        "entity.data.name": "Acme",
        "entity.data.size": "12",
        "entity.data.listed": "on",
        "__rows.entity.data.owners": "2",
        "entity.data.owners.0.name": "Ann",
        "entity.data.owners.1.name": "",
    }
    value = parse_form(schema, form)
    assert value["data"] == {"name": "Acme", "size": 12, "listed": True, "owners": [{"name": "Ann"}]}
    bad = parse_form(schema, {"entity.data.size": "many", "entity.data.contact": "nope"})
    errors = schema_errors(schema, bad)
    assert errors["entity.data.name"] == ["This field is required."]
    assert errors["entity.data.size"] == ["Must be a integer."]
    assert errors["entity.data.contact"] == ["Please provide a valid email address."]


def test_the_list_view_round_trips_through_its_url() -> None:
    q = parse_case_query(
        {
            "q": [" acme "],
            "sort": ["name"],
            "dir": ["asc"],
            "status": ["completed", ""],
            "tag": ["approved"],
            "page": ["3"],
            "assignee": ["me"],
        }
    )
    assert q == CaseQuery("acme", "name", "asc", "me", ("completed",), ("approved",), 3)
    assert parse_case_query({k: v if isinstance(v, list) else [str(v)] for k, v in query_params(q).items()}) == q
    assert parse_case_query({"sort": ["DROP TABLE"], "page": ["-4"], "dir": ["sideways"]}) == CaseQuery()
    assert parse_case_query({"status": ["all"]}).statuses == ()
    assert query_params(CaseQuery()) == {}
    assert CaseQuery().assignee == "me_or_unassigned" == parse_case_query({}).assignee
    anyone = parse_case_query({"assignee": ["any"]})
    assert anyone.assignee == "any" and query_params(anyone) == {"assignee": "any"}


def test_roles_and_entities() -> None:
    viewer = Member("u", "v@x", "V", "viewer", "p")
    assert not viewer.can_work and viewer.principal.actor == "user:v@x"
    assert entity_of_record(_record("kyc_document_review")) == "individuals"
    assert entity_of_record(_record("kyc_ubo_child")) is None


def test_the_diagram_marks_the_current_state_and_the_path() -> None:
    from arabesque.engine import load_definition

    graph = definition_graph(load_definition(_record("till_basic_kyb_demo")))
    out = layout(graph, "approved", [("idle", "manual_review"), ("manual_review", "approved")])
    nodes = {n["name"]: n for n in out["nodes"]}
    assert nodes["idle"]["y"] < nodes["rules_check"]["y"] < nodes["approved"]["y"]
    assert "current" in nodes["approved"]["cls"] and "visited" in nodes["idle"]["cls"]
    assert "current" not in nodes["rejected"]["cls"] and "final" in nodes["rejected"]["cls"]
    # START into rules_check, its `always` on to manual_review (never recorded on its own), then approve
    assert sorted(e["label"] for e in out["edges"] if "taken" in e["cls"]) == ["", "START", "approve"]
    assert "visited" in nodes["rules_check"]["cls"] and "visited" not in nodes["rejected"]["cls"]
