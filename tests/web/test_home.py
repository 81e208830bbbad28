"""The home dashboard at `/` (SQLite and PostgreSQL): tiles and SVG charts with the seeded numbers, the
project's own cases only; and its view model's geometry."""

from __future__ import annotations

import re

from sqlalchemy import select
from starlette.testclient import TestClient
from web_helpers import seed_site, sign_in

from arabesque.store import Database, User
from arabesque.web.dashboard import dashboard_view, duration
from stats_seed import seed_statistics


def test_home_dashboard_shows_the_seeded_numbers(client: TestClient, db: Database) -> None:
    site = seed_site(db)
    with db.read() as s:
        rita = s.scalars(select(User.id).where(User.email == site.reviewer)).one()
    seed_statistics(db, site.project_id, rita)
    other = seed_site(db, "globex", prefix="g-")
    seed_statistics(db, other.project_id)
    assert client.get("/", follow_redirects=False).headers["location"].startswith("/login")
    sign_in(client, site.viewer)  # every member sees it
    page = client.get("/").text
    tile = r'data-tile="(\w+)"><div class="muted small">[^<]+</div><div class="tile-value">([^<]+)<'
    tiles = dict(re.findall(tile, page))
    assert tiles == {"open": "4", "decided": "3", "median": "3.0 h", "overdue": "1", "unassigned": "2"}
    day = r'<g class="day" data-date="[^"]+" data-approved="(\d+)" data-rejected="(\d+)" data-revision="(\d+)"'
    days = re.findall(day, page)
    assert len(days) == 30 and days[-1] == ("1", "1", "1") and set(days[:-1]) == {("0", "0", "0")}
    assert re.search(r'data-label="Businesses" data-total="4"', page)
    assert 'data-state="manual_review" data-count="3"' in page and 'data-state="revision" data-count="1"' in page
    assert re.search(r'data-label="Rita Test" data-total="2"', page) and 'data-part="overdue" data-count="1"' in page
    assert "Late Ltd" in page and 'id="overdue-cases"' in page
    assert "<script" not in page.split("</head>")[1]  # charts drawn by the server, no chart library


def test_dashboard_view_geometry() -> None:
    days = [{"date": f"2026-11-{d:02d}", "approved": d % 3, "rejected": 1 if d == 3 else 0, "revision": 0}
            for d in range(1, 31)]
    stats = {
        "windowDays": 30, "decidedPerDay": days, "decided": {"approved": 30, "rejected": 1, "revision": 0},
        "openCases": {"total": 3, "byState": [{"state": "a", "count": 2}, {"state": "b", "count": 1}],
                      "byQueue": [{"queue": "Q", "total": 3, "byState": [{"state": "a", "count": 2},
                                                                        {"state": "b", "count": 1}]}]},
        "medianHoursToDecision": 50.0, "workload": [{"name": "R", "open": 4, "overdue": 1}], "unassigned": 0,
        "overdue": {"total": 1, "cases": []},
    }
    view = dashboard_view(stats)
    per_day = view["perDay"]
    assert per_day["peak"] == 2 and len(per_day["columns"]) == 30
    tallest = max(sum(p["h"] for p in c["parts"]) for c in per_day["columns"])
    assert tallest == 140  # the busiest day fills the chart
    row = view["byQueue"]["rows"][0]
    assert [s["w"] for s in row["segments"]] == [280.0, 140.0]  # scaled to the largest row (420 px)
    assert [s["count"] for s in view["workload"]["rows"][0]["segments"]] == [3, 1]
    assert duration(50.0) == "2.1 days" and duration(0.5) == "30 min" and duration(None) == "—"
