"""arabesque.engine.transformers: the serializable transformer list (§4.1), fixture 51."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest

from arabesque.engine.transformers import TransformError, compile_transformers
from matching import assert_matches, reference_cases

NOW = 1_700_000_000_000


@pytest.mark.parametrize("case", reference_cases(51))
def test_reference_fixture_51(case: dict[str, Any]) -> None:
    items = [{"transformer": case["transformer"], "mapping": case["mapping"]}]
    data = copy.deepcopy(case["input"])
    expect = case["expect"]
    if "error" in expect:
        with pytest.raises(TransformError, match=re.escape(expect["error"]) or None):
            compile_transformers(items).apply(data, NOW)
        return
    result = json.loads(json.dumps(compile_transformers(items).apply(data, NOW)))
    assert_matches(expect["result"], result)
    assert data == case["input"]


def test_items_apply_in_turn() -> None:
    compiled = compile_transformers(
        [
            {"transformer": "jmespath", "mapping": "{a: x, b: y}"},
            {"transformer": "helper", "mapping": [{"source": "a", "target": "c.d", "method": "copy"}]},
            {"transformer": "jmespath", "mapping": "c"},
        ]
    )
    assert len(compiled) == 3
    assert compiled.apply({"x": 1, "y": 2}, NOW) == {"d": 1}
    assert compile_transformers([]).apply({"x": 1}, NOW) == {"x": 1}


def test_problems_are_listed() -> None:
    with pytest.raises(TransformError) as info:
        compile_transformers(
            [
                {"transformer": "jmespath", "mapping": "dsa: .unknwonvalue.id}"},
                {"transformer": "json-logic", "mapping": {}},
                {"transformer": "helper", "mapping": [{"source": "a", "target": "b", "method": "nope"}]},
                "nope",
                {"transformer": "jmespath", "mapping": "{}"},
            ]
        )
    problems = info.value.problems
    assert len(problems) == 5
    assert problems[0].startswith("[0]: invalid jmespath mapping")
    assert problems[1] == "[1]: Transformer json-logic is not supported"
    assert "unknown helper method" in problems[2]
    assert problems[3] == "[3]: Transformer null is not supported"
    assert problems[4].startswith("[4]: invalid jmespath mapping")


def test_allowed_controls_transformer_names() -> None:
    mapping = [{"source": "a", "target": "a", "method": "remove"}]
    compiled = compile_transformers([{"transformer": "helpers", "mapping": mapping}], allowed=frozenset({"helpers"}))
    assert compiled.apply({"a": 1, "b": 2}, NOW) == {"b": 2}
    with pytest.raises(TransformError, match="Transformer jmespath is not supported"):
        compile_transformers([{"transformer": "jmespath", "mapping": "@"}], allowed=frozenset({"helpers"}))
    with pytest.raises(TransformError, match="must be an array"):
        compile_transformers({"transformer": "jmespath", "mapping": "@"})


def test_runtime_jmespath_errors_become_transform_errors() -> None:
    compiled = compile_transformers([{"transformer": "jmespath", "mapping": "merge(@)"}])
    with pytest.raises(TransformError):
        compiled.apply([1], NOW)
