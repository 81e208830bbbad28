"""The home dashboard's view of the project statistics (`app/cases/statistics.py`): number tiles and the
geometry of three server-rendered SVG charts (no JavaScript, no chart library). Pure: no I/O."""

from __future__ import annotations

from typing import Any

__all__ = ["dashboard_view", "duration"]

BAR_W = 16
BAR_GAP = 4
CHART_H = 140
ROW_H = 22
LABEL_W = 150
TRACK_W = 420
PALETTE = ("#3354d1", "#8b5cf6", "#0e7490", "#b45309", "#64748b", "#db2777", "#4d7c0f", "#7c2d12")
DECISION_COLOURS = {"approved": "#17803d", "rejected": "#c0262d", "revision": "#b45309"}


def duration(hours: float | None) -> str:
    if hours is None:
        return "—"
    if hours < 1:
        return f"{round(hours * 60)} min"
    if hours < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} days"


def _per_day(days: list[dict[str, Any]]) -> dict[str, Any]:
    """Stacked columns, one per day: approved at the bottom, then rejected, then revision."""
    peak = max((sum(d[k] for k in DECISION_COLOURS) for d in days), default=0) or 1
    columns = []
    for i, d in enumerate(days):
        x = 36 + i * (BAR_W + BAR_GAP)
        y = CHART_H + 10
        parts = []
        for kind, colour in DECISION_COLOURS.items():
            h = d[kind] / peak * CHART_H
            if d[kind]:
                y -= h
                parts.append(
                    {"kind": kind, "count": d[kind], "x": x, "y": round(y, 1), "h": round(h, 1), "fill": colour}
                )
        columns.append({"date": d["date"], "x": x, "parts": parts, **{k: d[k] for k in DECISION_COLOURS}})
    width = 36 + len(days) * (BAR_W + BAR_GAP) + 10
    return {
        "columns": columns,
        "peak": peak,
        "width": width,
        "height": CHART_H + 36,
        "barW": BAR_W,
        "base": CHART_H + 10,
    }


def _stacked_rows(rows: list[tuple[str, list[tuple[str, int]]]], colours: dict[str, str]) -> dict[str, Any]:
    """Horizontal stacked bars: one row per label, one segment per part, scaled to the largest row."""
    peak = max((sum(c for _, c in parts) for _, parts in rows), default=0) or 1
    out = []
    for i, (label, parts) in enumerate(rows):
        x = float(LABEL_W)
        segs = []
        for name, count in parts:
            w = count / peak * TRACK_W
            segs.append({"name": name, "count": count, "x": round(x, 1), "w": round(w, 1), "fill": colours[name]})
            x += w
        out.append(
            {
                "label": label,
                "y": 8 + i * (ROW_H + 6),
                "total": sum(c for _, c in parts),
                "segments": segs,
                "end": round(x, 1),
            }
        )
    return {"rows": out, "width": LABEL_W + TRACK_W + 60, "height": 16 + len(rows) * (ROW_H + 6), "rowH": ROW_H}


def dashboard_view(stats: dict[str, Any]) -> dict[str, Any]:
    """What `home.html` draws: tiles, the per-day chart, open cases by queue and state, reviewer workload."""
    open_cases = stats["openCases"]
    states = [s["state"] for s in open_cases["byState"]]
    state_colours = {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(states)}
    by_queue = _stacked_rows(
        [(q["queue"], [(s["state"], s["count"]) for s in q["byState"]]) for q in open_cases["byQueue"]],
        state_colours,
    )
    by_queue["legend"] = [{"name": s, "fill": c} for s, c in state_colours.items()]
    workload_rows = [
        (w["name"], [("on time", w["open"] - w["overdue"]), ("overdue", w["overdue"])]) for w in stats["workload"]
    ]
    if stats["unassigned"]:
        workload_rows.append(("Unassigned", [("on time", stats["unassigned"]), ("overdue", 0)]))
    workload = _stacked_rows(workload_rows, {"on time": "#3354d1", "overdue": "#c0262d"})
    decided = stats["decided"]
    return {
        "tiles": [
            {"id": "open", "label": "Open cases", "value": open_cases["total"]},
            {"id": "decided", "label": f"Decided in {stats['windowDays']} days", "value": sum(decided.values())},
            {"id": "median", "label": "Median time to decision", "value": duration(stats["medianHoursToDecision"])},
            {"id": "overdue", "label": "Overdue", "value": stats["overdue"]["total"]},
            {"id": "unassigned", "label": "Unassigned", "value": stats["unassigned"]},
        ],
        "perDay": _per_day(stats["decidedPerDay"]),
        "decided": decided,
        "decisionColours": DECISION_COLOURS,
        "byQueue": by_queue,
        "workload": workload,
        "overdue": stats["overdue"],
        "windowDays": stats["windowDays"],
    }
