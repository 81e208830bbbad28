"""A workflow definition as an SVG picture: its graph (`definition_graph`), laid out on the server in layers
(`layout`, a small Sugiyama-style layout), no JavaScript and no Graphviz.

1. Cycles are broken by reversing the back edges of a depth-first walk from the initial state (they are
   drawn pointing the right way again).
2. Layers: the longest path from a source; every edge then spans at least two layers, because each
   transition gets a label node halfway (its event's name sits on the edge, in a slot of its own).
3. Edges longer than that get a dummy node in every layer they cross, so no edge passes behind a node: in
   a layer an edge only runs through its own slot, and between layers there are no nodes.
4. Order within layers: barycentre sweeps down and up (fewer crossings); then x positions pulled towards the
   neighbours' centres and packed without overlaps.
5. The path the case took (the audit's transitions, `(event, from, to)`, with the `always` hops the engine
   followed in between reconstructed from the graph) is marked, and so are the states it visited.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from itertools import pairwise
from typing import Any

from arabesque.engine import Definition

__all__ = ["definition_graph", "layout", "taken_edges"]

NODE_H = 34
LABEL_H = 18
LAYER_GAP = 26
NODE_GAP = 22
MARGIN = 20
CHAR_W = 7.2
LABEL_CHAR_W = 6.2
SWEEPS = 8
ALWAYS = "always"


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
                edges.append({"event": ALWAYS, "target": c.target})
        states.append({"name": name, "tags": list(node.tags), "final": node.final, "edges": edges})
    return {"initial": defn.initial, "states": states}


def _edges(graph: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Unique `(source, event, target)` between known states, in definition order."""
    names = {s["name"] for s in graph["states"]}
    out = []
    for s in graph["states"]:
        for e in s["edges"]:
            edge = (s["name"], e["event"], e["target"])
            if e["target"] in names and edge not in out:
                out.append(edge)
    return out


def taken_edges(graph: dict[str, Any], path: Iterable[Sequence[str | None]]) -> set[tuple[str, str, str]]:
    """The edges the case went along. Each audit entry `(event, from, to)` (or `(from, to)`) is one step of the
    engine: the event's transition out of `from` (or none, for a context update), then `always` transitions
    until `to`; the shortest such route in the graph is taken as the one followed."""
    edges = _edges(graph)
    always: dict[str, list[tuple[str, str, str]]] = {}
    for e in edges:
        if e[1] == ALWAYS:
            always.setdefault(e[0], []).append(e)
    taken: set[tuple[str, str, str]] = set()
    for step in path:
        event, src, dst = (step[0], step[1], step[2]) if len(step) == 3 else (None, step[0], step[1])
        if not src or not dst or src == dst:
            continue
        starts: list[tuple[str, list[tuple[str, str, str]]]] = [
            (e[2], [e]) for e in edges if e[0] == src and e[1] != ALWAYS and (event is None or e[1] == event)
        ]
        starts.append((src, []))  # a context update (or an unknown event): `always` from where it was
        route = _always_route(starts, dst, always)
        if route is not None:
            taken.update(route)
    return taken


def _always_route(
    starts: list[tuple[str, list[tuple[str, str, str]]]], dst: str, always: dict[str, list[tuple[str, str, str]]]
) -> list[tuple[str, str, str]] | None:
    queue = deque(starts)
    seen = {s for s, _ in starts}
    while queue:
        state, route = queue.popleft()
        if state == dst:
            return route
        for e in always.get(state, []):
            if e[2] not in seen:
                seen.add(e[2])
                queue.append((e[2], [*route, e]))
    return None


def _acyclic(names: list[str], initial: str, edges: list[tuple[str, str, str]]) -> set[int]:
    """Indexes of the back edges of a depth-first walk (from the initial state, then any state left)."""
    out: dict[str, list[int]] = {n: [] for n in names}
    for i, (a, _, b) in enumerate(edges):
        if a != b:
            out[a].append(i)
    colour: dict[str, int] = {}
    back: set[int] = set()
    for root in [initial, *names]:
        if root not in out or root in colour:
            continue
        colour[root] = 1
        stack = [(root, iter(out[root]))]
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                colour[node] = 2
                stack.pop()
                continue
            target = edges[nxt][2]
            if colour.get(target) == 1:
                back.add(nxt)
            elif target not in colour:
                colour[target] = 1
                stack.append((target, iter(out[target])))
    return back


def layout(
    graph: dict[str, Any], current: str | None = None, path: Iterable[Sequence[str | None]] | None = None
) -> dict[str, Any]:
    states = {s["name"]: s for s in graph["states"]}
    names = list(states)
    edges = _edges(graph)
    taken = taken_edges(graph, path or [])
    back = _acyclic(names, graph["initial"], edges)
    dag = [(b, a) if i in back else (a, b) for i, (a, _, b) in enumerate(edges)]

    layer = {n: 0 for n in names}  # longest path, in label-doubled layers (every edge spans 2 or more)
    for _ in range(len(names)):
        changed = False
        for a, b in dag:
            if a != b and layer[b] < layer[a] + 2:
                layer[b] = layer[a] + 2
                changed = True
        if not changed:
            break
    if graph["initial"] in layer and layer[graph["initial"]] != 0 and not any(b == graph["initial"] for _, b in dag):
        layer[graph["initial"]] = 0

    # Nodes of the layered graph: states, then per edge a label node and plain dummies.
    width: dict[str, float] = {n: max(96.0, len(n) * CHAR_W + 28) for n in names}
    room: dict[str, float] = {}  # kept on a state's right for its self-loops and their labels
    for a, event, b in edges:
        if a == b:
            room[a] = room.get(a, 0.0) + len(event) * LABEL_CHAR_W + 40
            width[a] += len(event) * LABEL_CHAR_W + 40
    level: dict[str, int] = dict(layer)
    chains: list[list[str]] = []
    label_of: dict[str, str] = {}
    for i, (a, event, b) in enumerate(edges):
        if a == b:
            chains.append([])
            continue
        upper, lower = dag[i]
        chain = []
        for lv in range(level[upper] + 1, level[lower]):
            d = f"\x00{i}:{lv}"
            level[d] = lv
            width[d] = 10.0
            chain.append(d)
        if chain and event != ALWAYS:  # the event's name on the middle of its edge, in a slot of its own
            middle = chain[len(chain) // 2]
            label_of[middle] = event
            width[middle] = len(event) * LABEL_CHAR_W + 12
        chains.append(chain)

    links: list[tuple[str, str]] = []
    for i, chain in enumerate(chains):
        upper, lower = dag[i]
        if upper == lower:
            continue
        links.extend(pairwise([upper, *chain, lower]))
    rows: dict[int, list[str]] = {}
    for node in level:
        rows.setdefault(level[node], []).append(node)
    order = _order(rows, links)
    x = _place(order, links, width)

    ys: dict[int, float] = {}
    y = float(MARGIN)
    for lv in range(max(rows, default=0) + 1):
        ys[lv] = y
        has_state = any(n in states for n in rows.get(lv, []))
        y += (NODE_H if has_state else LABEL_H) + LAYER_GAP
    height = y - LAYER_GAP + MARGIN

    def box(n: str) -> tuple[float, float, float, float]:  # left, top, width, height (centred in its row)
        h = float(NODE_H if n in states else LABEL_H)
        row_h = float(NODE_H if any(m in states for m in rows[level[n]]) else LABEL_H)
        return x[n] - width[n] / 2, ys[level[n]] + (row_h - h) / 2, width[n] - room.get(n, 0.0), h

    visited = {current} if current else set()
    for a, _, b in taken:
        visited.update((a, b))
    nodes = []
    for n in names:
        left, top, w, h = box(n)
        classes = ["node"]
        if states[n]["final"]:
            classes.append("final")
        if n in visited:
            classes.append("visited")
        if n == current:
            classes.append("current")
        nodes.append(
            {
                "name": n,
                "x": round(left, 1),
                "y": round(top, 1),
                "w": round(w, 1),
                "h": h,
                "cls": " ".join(classes),
                "tags": states[n]["tags"],
            }
        )
    drawn = []
    for i, (a, event, b) in enumerate(edges):
        cls = "edge taken" if (a, event, b) in taken else "edge"
        if event == ALWAYS:
            cls += " always"
        if a == b:  # a loop out of the state's right side, its label after it, in the room kept for them
            left, ytop, w, h = box(a)
            rx = left + w + sum(len(e) * LABEL_CHAR_W + 40 for s_, e, t in edges[:i] if s_ == t == a)
            d = f"M{rx:.1f},{ytop + h * 0.3:.1f} C{rx + 26:.1f},{ytop - 6:.1f} {rx + 26:.1f},{ytop + h + 6:.1f} "
            d += f"{rx:.1f},{ytop + h * 0.7:.1f}"
            label = "" if event == ALWAYS else event
            drawn.append(
                {"d": d, "cls": cls, "label": label, "lx": round(rx + 28, 1), "ly": round(ytop + h / 2 + 4, 1), "lw": 0}
            )
            continue
        upper, lower = dag[i]
        points = []
        for n in [upper, *chains[i], lower]:
            left, ytop, w, h = box(n)
            points.append((left + w / 2, ytop, ytop + h))
        down = i not in back  # a back edge is laid out downwards but drawn upwards, into the state it enters
        if not down:
            points.reverse()
        segments = [f"M{points[0][0]:.1f},{points[0][2 if down else 1]:.1f}"]
        for n_, ((x1, t1, b1), (x2, t2, b2)) in enumerate(pairwise(points)):
            leave, enter, exit_ = (b1, t2, b2) if down else (t1, b2, t2)
            mid = (leave + enter) / 2
            segments.append(f"C{x1:.1f},{mid:.1f} {x2:.1f},{mid:.1f} {x2:.1f},{enter:.1f}")
            if n_ < len(points) - 2:
                segments.append(f"L{x2:.1f},{exit_:.1f}")
        label_node = next((d for d in chains[i] if d in label_of), None)
        lx = x[label_node] if label_node else 0.0
        ly = box(label_node)[1] + LABEL_H / 2 + 4 if label_node else 0.0
        drawn.append(
            {
                "d": " ".join(segments),
                "cls": cls,
                "label": label_of.get(label_node or "", ""),
                "lx": round(lx, 1),
                "ly": round(ly, 1),
                "lw": round(width[label_node], 1) if label_node else 0,
                # A back edge is laid out downwards; its arrow points up, at the state it really enters.
                "reverse": i in back,
            }
        )
    total_w = max((x[n] + width[n] / 2 for n in x), default=100.0) + MARGIN
    return {"nodes": nodes, "edges": drawn, "width": round(total_w, 1), "height": round(height, 1)}


def _order(rows: dict[int, list[str]], links: list[tuple[str, str]]) -> dict[int, list[str]]:
    """Barycentre ordering: sweep down (by the upper neighbours' positions), then up, a few times."""
    ups: dict[str, list[str]] = {}
    downs: dict[str, list[str]] = {}
    for a, b in links:
        downs.setdefault(a, []).append(b)
        ups.setdefault(b, []).append(a)
    order = {lv: list(ns) for lv, ns in rows.items()}
    levels = sorted(order)
    for sweep in range(SWEEPS):
        down = sweep % 2 == 0
        for lv in levels[1:] if down else list(reversed(levels[:-1])):
            ref = order.get(lv - 1 if down else lv + 1, [])
            pos = {n: i for i, n in enumerate(ref)}
            neighbours = ups if down else downs

            here = order[lv]
            scores = {}
            for n in here:
                near = [pos[m] for m in neighbours.get(n, []) if m in pos]
                scores[n] = sum(near) / len(near) if near else float(here.index(n))
            order[lv] = sorted(here, key=scores.__getitem__)
    return order


def _place(order: dict[int, list[str]], links: list[tuple[str, str]], width: dict[str, float]) -> dict[str, float]:
    """x centres: packed left to right, then pulled towards the neighbours' mean without overlapping."""
    near: dict[str, list[str]] = {}
    for a, b in links:
        near.setdefault(a, []).append(b)
        near.setdefault(b, []).append(a)
    x: dict[str, float] = {}
    widest = max((sum(width[n] for n in ns) + NODE_GAP * (len(ns) - 1) for ns in order.values()), default=0.0)
    for ns in order.values():
        row_w = sum(width[n] for n in ns) + NODE_GAP * (len(ns) - 1)
        cursor = MARGIN + (widest - row_w) / 2
        for n in ns:
            x[n] = cursor + width[n] / 2
            cursor += width[n] + NODE_GAP
    for _ in range(SWEEPS):
        for ns in order.values():
            want = [sum(x[m] for m in near[n]) / len(near[n]) if near.get(n) else x[n] for n in ns]
            placed = _pack(ns, want, width)
            for n, v in zip(ns, placed, strict=True):
                x[n] = v
    shift = MARGIN - min((x[n] - width[n] / 2 for n in x), default=MARGIN)
    return {n: v + shift for n, v in x.items()}


def _pack(ns: list[str], want: list[float], width: dict[str, float]) -> list[float]:
    """Positions near `want`, in order and without overlaps: the mean of pushing right from the left end and
    pushing left from the right end (both keep the gaps, so their mean does too)."""
    right, left = list(want), list(want)
    for i in range(1, len(ns)):
        right[i] = max(right[i], right[i - 1] + (width[ns[i - 1]] + width[ns[i]]) / 2 + NODE_GAP)
    for i in range(len(ns) - 2, -1, -1):
        left[i] = min(left[i], left[i + 1] - (width[ns[i]] + width[ns[i + 1]]) / 2 - NODE_GAP)
    return [(a + b) / 2 for a, b in zip(right, left, strict=True)]
