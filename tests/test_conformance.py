"""Conformance: the project's scenarios and Ballerine's sample fixtures through `arabesque simulate`.

Each scenario runs the real CLI in a subprocess against loopback HTTP servers (tests/harness.py), so
this checks the simulate contract exactly as scripts use it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from harness import check_scenario, contract_gaps, load_scenario
from paths import REFERENCE_FIXTURES, ROOT

SIMULATE = [sys.executable, "-m", "arabesque", "simulate"]
SCENARIOS = sorted((ROOT / "tests" / "scenarios").glob("*.json"))

# Reference fixtures that pin a Ballerine bug we fix on purpose (docs/compatibility.md).
DELIBERATE = {
    "14-final-state-restart-quirk": "events in a final state are rejected, not restarted (fix 1)",
    "31-api-plugin-transform-object-form-sends-context": "the object-form transform is applied (fix 4)",
    "44-transformer-plugin-helpers": "transformer plugins keep top-level edits (fix 5)",
}


def _workflow_fixtures() -> list[Path]:
    # `ui-definition-kyb-example.json` is a UI definition with its workflow definition, not a scenario: the
    # collection-flow tests load it (tests/api/test_collection_flow_api.py runs the demo built from it).
    return [
        p
        for p in sorted(REFERENCE_FIXTURES.glob("*.json"))
        if load_scenario(p).get("kind", "workflow") == "workflow" and "uiDefinition" not in load_scenario(p)
    ]


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario(path: Path) -> None:
    result = check_scenario(load_scenario(path), SIMULATE)
    assert result.passed, "\n".join([*result.problems, f"stderr: {result.stderr[-800:]}"])


@pytest.mark.parametrize("path", _workflow_fixtures(), ids=lambda p: p.stem)
def test_reference_fixture(path: Path) -> None:
    scenario = load_scenario(path)
    if path.stem in DELIBERATE:
        pytest.skip(f"deliberate deviation: {DELIBERATE[path.stem]}")
    gaps = contract_gaps(scenario)
    if gaps:
        pytest.skip(f"not expressible through the simulate contract: {', '.join(gaps)}")
    result = check_scenario(scenario, SIMULATE)
    assert result.passed, "\n".join([*result.problems, f"stderr: {result.stderr[-800:]}"])
