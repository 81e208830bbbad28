"""Loading definitions: every problem reported with its path, warnings kept, compiled once."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from arabesque.engine import DefinitionError, Env, Event, StepFailed, load_definition, start, step
from arabesque.engine.guards import Guard
from arabesque.engine.jmes import CompiledExpression


def _record(states: dict[str, Any], extensions: dict[str, Any] | None = None, **chart: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "definitionType": "statechart-json",
        "definition": {"initial": "a", "states": states, **chart},
    }
    if extensions is not None:
        record["extensions"] = extensions
    return record


def _problems(record: Any) -> list[str]:
    with pytest.raises(DefinitionError) as info:
        load_definition(record)
    return [str(p) for p in info.value.problems]


API = {"url": "https://x.test", "request": {"transform": [{"transformer": "jmespath", "mapping": "@"}]}}


def test_every_error_is_reported_with_its_path() -> None:
    record = _record(
        {
            "a": {
                "on": {
                    "GO": "nowhere",
                    "TRY": [{"target": "a", "cond": {"type": "json-logic", "options": {"rule": {"nope": [1]}}}}],
                    "PATH": {"target": "a", "cond": {"type": "jmespath", "options": {"rule": "a[?"}}},
                    "LEGACY": {"target": "a", "cond": {"type": "json-logic", "rule": {"==": [1, 1]}}},
                    "SCHEMA": {"target": "a", "cond": {"type": "json-schema", "options": {}}},
                },
                "always": {"target": "ghost"},
            },
            "nested": {"initial": "x", "states": {"x": {}}},
        },
        {
            "apiPlugins": [
                {"name": "dup", **API, "response": {"transform": [{"transformer": "xslt", "mapping": "x"}]}},
                {"name": "dup", **API, "method": "TRACE"},
            ],
            "commonPlugins": [
                {"pluginKind": "iterative", "name": "it", "actionPluginName": "missing"},
                {
                    "pluginKind": "transformer",
                    "name": "tr",
                    "transformers": [{"transformer": "jmespath", "mapping": "@"}],
                },
            ],
            "childWorkflowPlugins": [{"name": "child"}],
        },
    )
    problems = _problems(record)
    expected = [
        'definition.states.a.on.GO.target: unknown state "nowhere"',
        "definition.states.a.on.TRY[0].cond: invalid json-logic rule",
        "definition.states.a.on.PATH.cond: invalid jmespath rule",
        "definition.states.a.on.LEGACY.cond: json-logic guard without options.rule",
        "definition.states.a.on.SCHEMA.cond: unsupported guard type",
        'definition.states.a.always[0].target: unknown state "ghost"',
        "definition.states.nested.states: nested (compound) states are not supported",
        "extensions.apiPlugins[0].response.transform[0]",
        'extensions.apiPlugins[1].name: duplicate plugin name "dup"',
        "extensions.apiPlugins[1].method: must be one of GET, POST, PUT, PATCH, DELETE",
        "extensions.commonPlugins[0].actionPluginName: unknown action plugin 'missing'",
        "extensions.childWorkflowPlugins[0].definitionId: required",
    ]
    for needle in expected:
        assert any(p.startswith(needle) for p in problems), (needle, problems)
    assert len(problems) == len(expected), problems


def test_a_transformer_plugin_ballerine_cannot_run_loads_and_fails_in_its_state() -> None:
    """As in Ballerine (fixture 44): the definition loads; entering the plugin's state fails with its message."""
    plugin = {"pluginKind": "transformer", "name": "tr", "stateNames": ["b"]}
    plugin["transformers"] = [{"transformer": "jmespath", "mapping": "@"}]
    definition = load_definition(_record({"a": {"on": {"GO": "b"}}, "b": {}}, {"commonPlugins": [plugin]}))
    assert [str(w) for w in definition.warnings] == [
        "extensions.commonPlugins[0].transformers[0]: [0]: Transformer jmespath is not supported; "
        "the plugin fails when it runs"
    ]
    with pytest.raises(StepFailed, match=r"transformer plugin tr: Transformer jmespath is not supported\."):
        step(definition, start(definition), Event("GO"), Env())


@pytest.mark.parametrize(
    ("record", "needle"),
    [
        ([], "a definition record must be a JSON object"),
        ({"definitionType": "bpmn-json", "definition": {"initial": "a", "states": {"a": {}}}}, "definitionType"),
        ({"definition": {"states": {"a": {}}}}, "definition.initial: required"),
        ({"definition": {"initial": "b", "states": {"a": {}}}}, 'definition.initial: unknown state "b"'),
        ({"definition": {"initial": "a", "states": {}}}, "definition.states: required"),
        ({"definition": {"initial": "a", "states": {"a": {"tags": [1]}}}}, "definition.states.a.tags"),
    ],
)
def test_malformed_records(record: Any, needle: str) -> None:
    assert any(needle in p for p in _problems(record))


def test_warnings_load_the_definition() -> None:
    record = _record(
        {"a": {"on": {"GO": "b", "check": {"target": "b", "cond": "isApproved"}}}, "b": {}},
        {"apiPlugins": [{"name": "p", **API, "stateNames": ["gone"], "successAction": "DONE", "errorAction": "GO"}]},
    )
    definition = load_definition(record)
    warnings = [str(w) for w in definition.warnings]
    assert warnings == [
        'definition.states.a.on.check.cond: named guard "isApproved" is not implemented; the transition fails',
        'extensions.apiPlugins[0].stateNames[0]: state "gone" does not exist; the plugin never runs there',
        'extensions.apiPlugins[0].successAction: no state accepts the event "DONE"',
    ]
    with pytest.raises(StepFailed, match="Unable to evaluate guard 'isApproved'"):
        step(definition, start(definition), Event("check"), Env())


def test_ballerine_style_mappings_without_commas_load() -> None:
    # Ballerine's own example definitions ship hash mappings with a missing comma; jmespath.js accepts them.
    mapping = "{firstName: entity.firstName, supportEmail: join('', [entity.company, '@support.com']) adapter: 'log'}"
    record = _record(
        {"a": {"on": {"GO": "mail"}}, "mail": {}},
        {
            "apiPlugins": [
                {
                    "name": "email",
                    "pluginKind": "email",
                    "url": "https://mail.test",
                    "method": "POST",
                    "stateNames": ["mail"],
                    "request": {"transform": [{"transformer": "jmespath", "mapping": mapping}]},
                }
            ]
        },
    )
    definition = load_definition(record)
    assert definition.warnings == []
    (call,) = step(
        definition, start(definition, {"entity": {"firstName": "Ada", "company": "acme"}}), Event("GO"), Env()
    ).effects
    assert call.to_json()["request"]["body"] == {
        "firstName": "Ada",
        "supportEmail": "acme@support.com",
        "adapter": "log",
    }


def test_unreachable_states_are_a_warning() -> None:
    record = _record({"a": {"on": {"GO": "b"}}, "b": {"always": "c"}, "c": {}, "orphan": {"on": {"X": "a"}}})
    warnings = [str(w) for w in load_definition(record).warnings]
    assert warnings == ["definition.states.orphan: unreachable from the initial state"]


def test_unknown_keys_are_kept_and_the_record_is_not_changed() -> None:
    record = _record({"a": {}}, {"apiPlugins": []}, predictableActionArguments=True)
    record.update({"persistStates": [{"state": "a", "persistence": "BACKEND"}], "variant": "DEFAULT"})
    before = copy.deepcopy(record)
    definition = load_definition(record)
    assert definition.record == before
    assert record == before


def test_expressions_are_compiled_at_load() -> None:
    definition = load_definition(
        _record({"a": {"on": {"GO": {"target": "a", "cond": {"type": "jmespath", "options": {"rule": "x"}}}}}})
    )
    (candidate,) = definition.states["a"].on["GO"]
    assert isinstance(candidate.guard, Guard)
    assert isinstance(candidate.guard.compiled, CompiledExpression)


def test_config_and_context_schema_are_exposed() -> None:
    record = _record({"a": {}})
    record["config"] = {"initialEvent": "start"}
    record["contextSchema"] = {"type": "json-schema", "schema": {"type": "object"}}
    definition = load_definition(record)
    assert definition.config == {"initialEvent": "start"}
    assert definition.context_schema == {"type": "object"}


def test_object_form_request_transform_is_applied() -> None:
    record = _record(
        {"a": {"on": {"GO": "f"}}, "f": {"on": {"OK": "a", "KO": "a"}}},
        {
            "apiPlugins": [
                {
                    "name": "p",
                    "url": "https://x.test",
                    "method": "POST",
                    "stateNames": ["f"],
                    "successAction": "OK",
                    "errorAction": "KO",
                    "request": {"transform": {"transformer": "jmespath", "mapping": "{id: id}"}},
                }
            ]
        },
    )
    definition = load_definition(record)
    result = step(definition, start(definition, {"id": 7, "secret": "x"}), Event("GO"), Env())
    (call,) = result.effects
    assert call.to_json()["request"]["body"] == {"id": 7}
