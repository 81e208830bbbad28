"""Arabesque engine vs @ballerine/workflow-core@0.5.30 on the same definition, in the same run.

    .venv/bin/python bench/engine_bench.py [--seconds 2] [--repeats 3] [--json]

(a) transitions/s: one warm instance whose transition has a json-logic guard (a <-> b on NEXT),
    NEXT sent repeatedly.
(b) instances/s: create an instance + two events, repeatedly. Arabesque is measured twice:
    with the definition loaded once (a host caches `load_definition`), and with
    `load_definition` on every instance (what 0.5.30's `createWorkflow` does every time).

Each measurement runs for about --seconds and is repeated --repeats times, interleaving the
two engines (each repetition: Arabesque, then one node process for the reference). The table
shows the median (and best) of the repetitions and the ratio Arabesque / reference of the
medians. This is a benchmark, not a test: nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NODE_BENCH = ROOT / "bench" / "oracle_bench.cjs"
ORACLE_PACKAGE = ROOT / "tests" / "oracle" / "node_modules" / "@ballerine" / "workflow-core"

EVENT = "NEXT"
RECORD: dict[str, Any] = {
    "definitionType": "statechart-json",
    "definition": {
        "id": "bench",
        "initial": "a",
        "states": {
            "a": {
                "on": {
                    EVENT: [
                        {
                            "target": "b",
                            "cond": {
                                "type": "json-logic",
                                "options": {"rule": {">=": [{"var": "score"}, 50]}},
                            },
                        }
                    ]
                }
            },
            "b": {
                "on": {
                    EVENT: [
                        {
                            "target": "a",
                            "cond": {
                                "type": "json-logic",
                                "options": {"rule": {"==": [{"var": "entity.country"}, "GB"]}},
                            },
                        }
                    ]
                }
            },
        },
    },
    "extensions": {},
    "config": {},
}
CONTEXT: dict[str, Any] = {"score": 80, "entity": {"id": "e1", "country": "GB", "name": "Acme Ltd"}}


def timed(seconds: float, unit: int, body: Callable[[], None]) -> float:
    """Call `body` (which does `unit` operations) until `seconds` elapsed; returns operations/s."""
    ops = 0
    t0 = time.perf_counter()
    deadline = t0 + seconds
    while True:
        body()
        ops += unit
        now = time.perf_counter()
        if now >= deadline:
            return ops / (now - t0)


@dataclass
class Measures:
    transitions: list[float]
    instances_cached: list[float]
    instances_loaded: list[float]


class ArabesqueSide:
    """The Arabesque engine through its public API (arabesque.engine)."""

    def __init__(self) -> None:
        from arabesque.engine import Env, Event, load_definition, start, step

        self._load, self._start, self._step = load_definition, start, step
        self.defn = load_definition(RECORD)
        self.event = Event(EVENT, payload=None)
        self.env = Env(runtime_id="r1", config={}, now_ms=0)
        self._check()

    def _check(self) -> None:
        s0 = self._start(self.defn, context=dict(CONTEXT))
        s1 = self._step(self.defn, s0, self.event, self.env).snapshot
        s2 = self._step(self.defn, s1, self.event, self.env).snapshot
        if s0.state == s1.state or s2.state != s0.state:
            raise RuntimeError(f"definition does not toggle: {s0.state} -> {s1.state} -> {s2.state}")

    def transitions(self, seconds: float, warmup: float) -> float:
        defn, event, env, step = self.defn, self.event, self.env, self._step
        snap = self._start(defn, context=dict(CONTEXT))
        batch = 50

        def body() -> None:
            nonlocal snap
            for _ in range(batch):
                snap = step(defn, snap, event, env).snapshot

        timed(warmup, batch, body)
        return timed(seconds, batch, body)

    def instances(self, seconds: float, warmup: float, load_each: bool) -> float:
        event, env, step, start, load = self.event, self.env, self._step, self._start, self._load
        cached = self.defn
        batch = 10

        def body() -> None:
            for _ in range(batch):
                defn = load(RECORD) if load_each else cached
                snap = start(defn, context=dict(CONTEXT))
                snap = step(defn, snap, event, env).snapshot
                step(defn, snap, event, env)

        timed(warmup, batch, body)
        return timed(seconds, batch, body)


def run_node(seconds: float, warmup: float, tmp: Path) -> dict[str, Any]:
    definition, context = tmp / "definition.json", tmp / "context.json"
    definition.write_text(json.dumps(RECORD))
    context.write_text(json.dumps(CONTEXT))
    argv = ["node", str(NODE_BENCH), "--definition", str(definition), "--context", str(context)]
    argv += ["--event", EVENT, "--seconds", str(seconds), "--warmup", str(warmup)]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=60 + 4 * (seconds + warmup), check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"oracle_bench.cjs failed ({proc.returncode}): {proc.stderr.strip()[-300:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _fmt(samples: list[float]) -> str:
    if not samples:
        return "n/a"
    return f"{statistics.median(samples):,.0f} (best {max(samples):,.0f})"


def _ratio(ours: list[float], ref: list[float]) -> str:
    if not ours or not ref:
        return "n/a"
    return f"{statistics.median(ours) / statistics.median(ref):.2f}x"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=2.0, help="seconds per measurement (default 2)")
    ap.add_argument("--warmup", type=float, default=0.5, help="warm-up seconds before each measurement")
    ap.add_argument("--repeats", type=int, default=3, help="repetitions per measurement (default 3)")
    ap.add_argument("--json", action="store_true", help="also print the raw samples as JSON")
    a = ap.parse_args(argv)

    ours: ArabesqueSide | None = None
    ours_note = ""
    try:
        ours = ArabesqueSide()
    except Exception as e:  # the engine API may be missing or broken: still measure the reference
        ours_note = f"Arabesque engine not measured: {type(e).__name__}: {e}"
    node_note = ""
    if not shutil.which("node"):
        node_note = "reference not measured: node not found"
    elif not ORACLE_PACKAGE.is_dir():
        node_note = "reference not measured: run `npm ci` in tests/oracle"

    py = Measures([], [], [])
    ref = Measures([], [], [])
    node_info: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="arabesque-bench-") as tmpdir:
        for r in range(a.repeats):
            print(f"repetition {r + 1}/{a.repeats} ...", file=sys.stderr, flush=True)
            if ours is not None:
                py.transitions.append(ours.transitions(a.seconds, a.warmup))
                py.instances_cached.append(ours.instances(a.seconds, a.warmup, load_each=False))
                py.instances_loaded.append(ours.instances(a.seconds, a.warmup, load_each=True))
            if not node_note:
                try:
                    node_info = run_node(a.seconds, a.warmup, Path(tmpdir))
                except (RuntimeError, subprocess.TimeoutExpired, ValueError) as e:
                    node_note = f"reference not measured: {e}"
                    continue
                ref.transitions.append(float(node_info["transitions_per_s"]))
                ref.instances_cached.append(float(node_info["instances_per_s"]))
                ref.instances_loaded.append(float(node_info["instances_per_s"]))

    reference_name = str(node_info.get("package", "@ballerine/workflow-core@0.5.30"))
    print(f"Arabesque (Python {sys.version.split()[0]}) vs {reference_name} (node {node_info.get('node', '?')})")
    print(f"{a.repeats} x {a.seconds:g} s per measurement; median (best) operations per second\n")
    rows = [
        ("(a) transitions/s, warm instance, json-logic guard", py.transitions, ref.transitions),
        ("(b) instances/s, create + 2 events (definition cached)", py.instances_cached, ref.instances_cached),
        (
            "(b') instances/s, create + 2 events (load_definition each)",
            py.instances_loaded,
            ref.instances_loaded,
        ),
    ]
    head = ("measure", "Arabesque", "0.5.30", "Arabesque/ref")
    widths = [max(len(head[0]), *(len(r[0]) for r in rows)), 28, 24, 13]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)) + " |"
    print(line)
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for name, mine, theirs in rows:
        cells = (name, _fmt(mine), _fmt(theirs), _ratio(mine, theirs))
        print("| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |")
    print("\nThe reference has a single create path (createWorkflow builds the machine every time): rows (b)")
    print("and (b') compare against the same reference number.")
    for note in (ours_note, node_note):
        if note:
            print(note)
    if a.json:
        print(json.dumps({"arabesque": py.__dict__, "reference": ref.__dict__, "node": node_info}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
