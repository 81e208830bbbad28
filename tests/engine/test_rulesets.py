# ruff: noqa: E501  (long expected messages and fixture-like data tables)
"""arabesque.engine.rulesets: the RuleSet engine (§4.8, fixture 55) and the risk score (§3.9)."""

from __future__ import annotations

from typing import Any

import pytest

from arabesque.engine.rulesets import get_path, risk_score, run_rule_set
from matching import assert_matches, reference_cases

NOW = 1_735_689_600_000  # 2025-01-01T00:00:00Z
DAY = 86_400_000


def _reduced(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for r in results:
        item: dict[str, Any] = {"status": r["status"]}
        if "message" in r:
            item["message"] = r["message"]
        if "error" in r:
            item["errorName"] = r["error"]["name"]
        out.append(item)
    return out


@pytest.mark.parametrize("case", reference_cases(55))
def test_reference_fixture_55(case: dict[str, Any]) -> None:
    results = run_rule_set(case["ruleSet"], case["data"], NOW)
    assert_matches(case["expect"]["result"], _reduced(results))
    assert all(r["rule"] is rule for r, rule in zip(results, case["ruleSet"]["rules"], strict=True))


def _one(rule: dict[str, Any], data: Any, now: int = NOW) -> dict[str, Any]:
    (result,) = run_rule_set({"operator": "and", "rules": [rule]}, data, now)
    return result


@pytest.mark.parametrize(
    ("operator", "value", "data", "status"),
    [
        ("EQUALS", 1, 1.0, "PASSED"),
        ("EQUALS", True, 1, "FAILED"),
        ("NOT_EQUALS", "a", "b", "PASSED"),
        ("GT", 5, 6, "PASSED"),
        ("GT", 9, "10", "PASSED"),  # JavaScript >: "10" > 9
        ("LT", "b", "a", "PASSED"),
        ("GTE", 5, 5, "PASSED"),
        ("LTE", 5, 6, "FAILED"),
        ("BETWEEN", {"min": 1, "max": 5}, 1, "PASSED"),
        ("IN", [1, 2], 2, "PASSED"),
        ("NOT_IN", [1, 2], "2", "PASSED"),
    ],
)
def test_operators(operator: str, value: Any, data: Any, status: str) -> None:
    result = _one({"key": "v", "operator": operator, "value": value}, {"v": data})
    assert result["status"] == status, result


def test_last_year_boundaries_use_now_ms() -> None:
    rule = {"key": "d", "operator": "LAST_YEAR", "value": {"years": 1}}
    assert _one(rule, {"d": "2024-01-01"})["status"] == "PASSED"
    assert _one(rule, {"d": "2023-12-31T23:59:59Z"})["status"] == "FAILED"
    assert _one(rule, {"d": "2024-06-01T10:00:00+02:00"})["status"] == "PASSED"
    assert _one(rule, {"d": "not a date"})["status"] == "FAILED"
    # a later clock moves the window
    assert _one(rule, {"d": "2024-01-01"}, NOW + 400 * DAY)["status"] == "FAILED"


def test_last_year_rejects_numbers() -> None:
    result = _one({"key": "d", "operator": "LAST_YEAR", "value": {"years": 1}}, {"d": 5})
    assert result["status"] == "FAILED"
    assert result["message"] == "Validation failed for 'LAST_YEAR', message: Unsupported data type number"
    assert result["error"]["name"] == "ValidationFailedError"


def test_operand_validation() -> None:
    result = _one({"key": "v", "operator": "GT", "value": 1}, {"v": [1]})
    assert result["message"].startswith("Validation failed for 'GT', message: Invalid data value")
    result = _one({"key": "v", "operator": "IN", "value": "x"}, {"v": 1})
    assert result["message"].startswith("Validation failed for 'rule', message: parsing failed")
    assert "Expected array, received string" in result["message"]


def test_unknown_operator_lists_operators() -> None:
    result = _one({"key": "v", "operator": "NOPE", "value": 1}, {"v": 1})
    assert "invalid_union_discriminator" in result["message"]
    assert "'EQUALS' | 'NOT_EQUALS'" in result["message"]


def test_or_nested_ruleset() -> None:
    rule_set = {
        "operator": "and",
        "rules": [
            {
                "operator": "or",
                "rules": [
                    {"key": "a", "operator": "EQUALS", "value": 2},
                    {"key": "a", "operator": "EQUALS", "value": 1},
                ],
            },
            {"operator": "or", "rules": [{"key": "missing", "operator": "EQUALS", "value": 1}]},
        ],
    }
    assert [r["status"] for r in run_rule_set(rule_set, {"a": 1}, NOW)] == ["PASSED", "SKIPPED"]


def test_get_path_is_lodash_get() -> None:
    data = {"a": {"b": [{"c": 1}]}, "x.y": 2, "s": "abc"}
    assert get_path(data, "a.b[0].c") == 1
    assert get_path(data, "a.b.0.c") == 1
    assert get_path(data, "x.y") == 2
    assert get_path(data, "a.b.length") == 1
    assert get_path(data, "s.length") == 3
    assert get_path(data, "") is None
    assert get_path(data, "a.q.r") is None


def test_risk_score_from_rulesets() -> None:
    passing = {"operator": "and", "rules": [{"key": "c", "operator": "EQUALS", "value": "US"}]}
    failing = {"operator": "and", "rules": [{"key": "c", "operator": "EQUALS", "value": "CA"}]}
    rules = [
        {"id": "r1", "domain": "d1", "indicator": "i1", "riskLevel": "high", "baseRiskScore": 50, "additionalRiskScore": 10, "ruleset": passing},
        {"id": "r2", "domain": "d1", "indicator": "i2", "riskLevel": "moderate", "baseRiskScore": 70, "additionalRiskScore": 5, "ruleset": passing},
        {"id": "r3", "domain": "d2", "indicator": "i3", "riskLevel": "critical", "baseRiskScore": 90, "additionalRiskScore": 20, "ruleset": failing},
        {"id": "r4", "domain": "d2", "indicator": "i4", "riskLevel": "positive", "baseRiskScore": 10, "additionalRiskScore": 3, "ruleset": passing},
    ]  # fmt: skip
    out = risk_score(rules, {"c": "US"}, NOW)
    assert out["riskScore"] == 83
    assert out["success"] is True
    assert [r["id"] for r in out["rulesResults"]] == ["r2", "r1", "r4"]
    assert out["rulesResults"][0]["result"][0]["status"] == "PASSED"
    assert out["riskIndicatorsByDomain"] == {
        "d1": [
            {"name": "i2", "riskLevel": "moderate", "domain": "d1"},
            {"name": "i1", "riskLevel": "high", "domain": "d1"},
        ],
        "d2": [{"name": "i4", "riskLevel": "positive", "domain": "d2"}],
    }
    assert risk_score([], {}, NOW) == {
        "riskScore": 0,
        "riskIndicatorsByDomain": {},
        "rulesResults": [],
        "success": True,
    }


def test_risk_score_uses_host_results_when_given() -> None:
    rules = [{"id": "r", "domain": "d", "indicator": "i", "riskLevel": "low", "baseRiskScore": 7, "additionalRiskScore": 1, "result": [{"status": "PASSED"}], "ruleset": {}}]  # fmt: skip
    assert risk_score(rules, {}, NOW)["riskScore"] == 7
