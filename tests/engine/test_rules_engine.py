"""arabesque.engine.rules_engine: @ballerine/rules-engine-lib (§4.7), fixture 50."""

from __future__ import annotations

from typing import Any

import pytest

from arabesque.engine.rules_engine import JmesError, LogicError, evaluate_rule
from matching import assert_matches, reference_cases


@pytest.mark.parametrize("case", reference_cases(50))
def test_reference_fixture_50(case: dict[str, Any]) -> None:
    expect = case["expect"]
    if "error" in expect:
        with pytest.raises((LogicError, JmesError), match=expect["error"]):
            evaluate_rule(case["provider"], case["rule"], case["data"])
        return
    assert_matches(expect["result"], evaluate_rule(case["provider"], case["rule"], case["data"]))


def test_jmespath_result_is_raw_and_not_collapsed() -> None:
    assert evaluate_rule("jmespath", "a", {"a": [1]}) == [1]
    assert evaluate_rule("jmespath", "'x  y'", {}) == "x  y"
    with pytest.raises(JmesError):
        evaluate_rule("jmespath", "{}", {})
