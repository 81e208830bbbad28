"""`arabesque simulate` reports an evaluation over budget on the event's line, and the next events run."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

from arabesque.app.limits import ServiceLimits
from arabesque.cli.simulate import simulate_files
from limits_fixtures import REDUCE_MERGE


def test_a_guard_over_budget_is_reported_on_its_event_line(
    tmp_path: Path, limits: Callable[..., ServiceLimits]
) -> None:
    limits(steps=200_000, value_size=100_000)
    chart = {
        "initial": "a",
        "states": {
            "a": {"on": {"GO": [{"target": "b", "cond": {"type": "json-logic", "options": {"rule": REDUCE_MERGE}}}]}},
            "b": {"type": "final"},
        },
    }
    (tmp_path / "def.json").write_text(json.dumps({"definition": chart}))
    (tmp_path / "ctx.json").write_text(json.dumps({"entity": {"data": {"items": list(range(30))}}}))
    (tmp_path / "events.json").write_text(json.dumps([{"type": "GO"}]))
    out, err = io.StringIO(), io.StringIO()
    code = simulate_files(
        tmp_path / "def.json", tmp_path / "ctx.json", None, tmp_path / "events.json", out=out, err=err
    )
    assert code == 0
    line = json.loads(out.getvalue().splitlines()[1])
    assert line["state"] == "a"
    assert line["error"].startswith("definition.states.a.on.GO[0].cond: the evaluation ")
