"""The workflow diagram's layered layout (web/diagram.py), checked geometrically on every example definition
and on a graph with cycles, a self-loop and long edges: nodes never overlap, no edge passes behind a node,
every label sits on its own edge clear of nodes and other labels, and the path taken (with the `always` hops
the audit never records) is the one highlighted."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from arabesque.engine import load_definition
from arabesque.web.diagram import definition_graph, layout, taken_edges

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "definitions"

TANGLED = {
    "id": "tangled", "name": "tangled", "version": 1,
    "definition": {"id": "tangled", "initial": "start", "states": {
        "start": {"on": {"GO": "collect", "SKIP": "review", "ABORT": "closed"}},
        "collect": {"on": {"DONE": "checks", "PING": "collect"}},
        "checks": {"always": [{"target": "review"}]},
        "review": {"on": {"approve": "closed", "reject": "closed", "ask_again": "collect", "restart": "start"}},
        "closed": {"type": "final"},
    }},
}


def _points(d: str) -> list[tuple[float, float]]:
    """Points along an SVG path of M, L and C commands (cubic curves sampled)."""
    out: list[tuple[float, float]] = []
    tokens = re.findall(r"[MLC]|-?[\d.]+,-?[\d.]+", d)
    cmd, args, pos = "", [], (0.0, 0.0)
    for tok in tokens:
        if tok in "MLC":
            cmd, args = tok, []
            continue
        x, y = (float(v) for v in tok.split(","))
        args.append((x, y))
        if cmd in "ML":
            pos = args[0]
            out.append(pos)
            args = []
        elif cmd == "C" and len(args) == 3:
            (x1, y1), (x2, y2), (x3, y3) = args
            for i in range(1, 21):
                t = i / 20
                u = 1 - t
                out.append((u**3 * pos[0] + 3 * u * u * t * x1 + 3 * u * t * t * x2 + t**3 * x3,
                            u**3 * pos[1] + 3 * u * u * t * y1 + 3 * u * t * t * y2 + t**3 * y3))
            pos = (x3, y3)
            args = []
    return out


def _inside(p: tuple[float, float], n: dict, pad: float = 1.5) -> bool:
    return n["x"] + pad < p[0] < n["x"] + n["w"] - pad and n["y"] + pad < p[1] < n["y"] + n["h"] - pad


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def _records() -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(EXAMPLES.glob("*.json"))] + [TANGLED]


@pytest.mark.parametrize("record", _records(), ids=lambda r: r["name"])
def test_layout_geometry(record: dict) -> None:
    graph = definition_graph(load_definition(record))
    out = layout(graph)
    nodes = out["nodes"]
    boxes = [(n["x"], n["y"], n["w"], n["h"]) for n in nodes]
    for i, a in enumerate(boxes):
        assert all(not _overlap(a, b) for b in boxes[i + 1:]), "nodes overlap"
        assert a[0] >= 0 and a[1] >= 0 and a[0] + a[2] <= out["width"] and a[1] + a[3] <= out["height"]
    labels = []
    for e in out["edges"]:
        points = _points(e["d"])
        assert len(points) >= 2
        for n in nodes:
            assert not any(_inside(p, n) for p in points), f"an edge passes behind {n['name']}"
        if e["label"] and e["lw"]:
            box = (e["lx"] - e["lw"] / 2, e["ly"] - 12, e["lw"], 16)
            assert not any(_overlap(box, b) for b in boxes), f"label {e['label']} over a node"
            assert min(abs(p[0] - e["lx"]) + abs(p[1] - (e["ly"] - 4)) for p in points) < 12, "label off its edge"
            labels.append(box)
    for i, a in enumerate(labels):
        assert all(not _overlap(a, b) for b in labels[i + 1:]), "labels overlap"
    named = [e for s in graph["states"] for e in s["edges"] if e["event"] != "always"]
    assert sorted(e["label"] for e in out["edges"] if e["label"]) == sorted(e["event"] for e in named)


def test_layers_follow_the_flow_and_back_edges_point_back() -> None:
    out = layout(definition_graph(load_definition(TANGLED)))
    y = {n["name"]: n["y"] for n in out["nodes"]}
    assert y["start"] < y["collect"] < y["checks"] < y["review"] < y["closed"]
    restart = next(e for e in out["edges"] if e["label"] == "restart")
    first, last = _points(restart["d"])[0], _points(restart["d"])[-1]
    assert first[1] > last[1]  # drawn upwards, ending at `start`


def test_the_path_taken_includes_always_hops_and_nothing_else() -> None:
    graph = definition_graph(load_definition(json.loads((EXAMPLES / "till_basic_kyb_demo.json").read_text())))
    moves = [("START", "idle", "manual_review"), ("approve", "manual_review", "approved")]
    assert taken_edges(graph, moves) == {
        ("idle", "START", "rules_check"), ("rules_check", "always", "manual_review"),
        ("manual_review", "approve", "approved"),
    }
    out = layout(graph, "approved", moves)
    cls = {n["name"]: n["cls"] for n in out["nodes"]}
    assert "visited" in cls["rules_check"] and "visited" not in cls["rejected"] and "visited" not in cls["revision"]
    assert "current" in cls["approved"]
    # a context update that completed a state through `always` (no event edge), and a revision round trip
    moves = [("START", "idle", "revision"), ("RESUBMITTED", "revision", "manual_review")]
    assert taken_edges(graph, moves) == {
        ("idle", "START", "rules_check"), ("rules_check", "always", "revision"),
        ("revision", "RESUBMITTED", "rules_check"), ("rules_check", "always", "manual_review"),
    }
    assert taken_edges(graph, [("DEEP_MERGE_CONTEXT", "rules_check", "rejected")]) == {
        ("rules_check", "always", "rejected")}
