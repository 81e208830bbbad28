"""A workflow definition as an SVG picture: its graph (`definition_graph`), laid out in layers on the server
(`layout`), no JavaScript.

States are placed in rows by their distance from the initial state; forward transitions go down,
transitions back up or within a row curve round the right side. The current state and the path the
case took are marked with CSS classes.
"""

from __future__ import annotations

from typing import Any

from arabesque.engine import Definition

__all__ = ["definition_graph", "layout"]

NODE_H = 34
ROW_GAP = 70
COL_GAP = 28
MARGIN = 20
CHAR_W = 7.2


def definition_graph(defn: Definition) -> dict[str, Any]:
    """States (tags, final) and transitions (event, target) in definition order, for the diagram."""
    states = []
    for name, node in defn.states.items():
        edges = []
        for event, candidates in node.on.items():
            for c in candidates:
                if c.target:
                    edges.append({"event": event, "target": c.target})
        for c in node.always:
            if c.target:
                edges.append({"event": "always", "target": c.target})
        states.append({"name": name, "tags": list(node.tags), "final": node.final, "edges": edges})
    return {"initial": defn.initial, "states": states}


def layout(
    graph: dict[str, Any], current: str | None = None, path: list[tuple[str, str]] | None = None
) -> dict[str, Any]:
    states = graph["states"]
    names = [s["name"] for s in states]
    edges_of = {s["name"]: s["edges"] for s in states}
    depth: dict[str, int] = {graph["initial"]: 0} if graph["initial"] in edges_of else {}
    queue = list(depth)
    while queue:
        name = queue.pop(0)
        for e in edges_of.get(name, []):
            if e["target"] in edges_of and e["target"] not in depth:
                depth[e["target"]] = depth[name] + 1
                queue.append(e["target"])
    last = max(depth.values(), default=-1)
    for name in names:  # unreachable from the initial state (e.g. entered through a root event)
        if name not in depth:
            depth[name] = last + 1
    rows: dict[int, list[str]] = {}
    for name in names:
        rows.setdefault(depth[name], []).append(name)
    visited_states = {current} if current else set()
    taken = set(path or [])
    for src, dst in taken:
        visited_states.update((src, dst))
    widths = {n: max(96.0, len(n) * CHAR_W + 28) for n in names}
    row_widths = {r: sum(widths[n] for n in ns) + COL_GAP * (len(ns) - 1) for r, ns in rows.items()}
    total_w = max(row_widths.values(), default=200) + 2 * MARGIN + 120
    nodes: dict[str, dict[str, Any]] = {}
    for r, ns in sorted(rows.items()):
        x = MARGIN + (total_w - 120 - 2 * MARGIN - row_widths[r]) / 2
        y = MARGIN + r * (NODE_H + ROW_GAP)
        for n in ns:
            node = next(s for s in states if s["name"] == n)
            classes = ["node"]
            if node["final"]:
                classes.append("final")
            if n in visited_states:
                classes.append("visited")
            if n == current:
                classes.append("current")
            nodes[n] = {
                "name": n,
                "x": round(x, 1),
                "y": y,
                "w": round(widths[n], 1),
                "h": NODE_H,
                "cls": " ".join(classes),
                "tags": node["tags"],
            }
            x += widths[n] + COL_GAP
    edges = []
    seen: dict[tuple[str, str], int] = {}
    for s in states:
        for e in s["edges"]:
            a, b = nodes.get(s["name"]), nodes.get(e["target"])
            if a is None or b is None:
                continue
            key = (s["name"], e["target"])
            nth = seen.get(key, 0)
            seen[key] = nth + 1
            cls = "edge taken" if key in taken else "edge"
            if b["y"] > a["y"]:
                x1, y1 = a["x"] + a["w"] / 2, a["y"] + NODE_H
                x2, y2 = b["x"] + b["w"] / 2, b["y"]
                mid = (y1 + y2) / 2
                d = f"M{x1:.1f},{y1:.1f} C{x1:.1f},{mid:.1f} {x2:.1f},{mid:.1f} {x2:.1f},{y2:.1f}"
                lx, ly = (x1 + x2) / 2, mid - 4 + nth * 12
            else:
                x1, y1 = a["x"] + a["w"], a["y"] + NODE_H / 2
                x2, y2 = b["x"] + b["w"], b["y"] + NODE_H / 2
                bend = max(x1, x2) + 50 + nth * 14
                d = f"M{x1:.1f},{y1:.1f} C{bend:.1f},{y1:.1f} {bend:.1f},{y2:.1f} {x2 + 2:.1f},{y2:.1f}"
                lx, ly = bend - 8, (y1 + y2) / 2
            label = "" if e["event"] == "always" else e["event"]
            edges.append({"d": d, "cls": cls, "label": label, "lx": round(lx, 1), "ly": round(ly, 1)})
    height = MARGIN * 2 + (max(rows) + 1) * NODE_H + max(rows) * ROW_GAP if rows else 100
    return {"nodes": list(nodes.values()), "edges": edges, "width": round(total_w, 1), "height": height}
