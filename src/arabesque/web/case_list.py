"""The case list page's view of a queue: the query string read into a `CaseQuery` (unknown or invalid values
fall back to the defaults) and written back for links, and the labels of the sorts. Pure: no I/O."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs, urlencode

from arabesque.app.cases.list_cases import DEFAULT_ASSIGNEE, SORTS, STATUSES, CaseQuery

__all__ = ["SORT_LABELS", "parse_case_query", "parse_query_string", "query_params", "query_string"]

SORT_LABELS = dict(zip(SORTS, ("Created", "Updated", "Name", "Due date"), strict=True))


def parse_case_query(params: dict[str, list[str]]) -> CaseQuery:
    """Read a view from its query string; unknown or invalid values fall back to the defaults."""

    def one(key: str, default: str = "") -> str:
        values = params.get(key) or []
        return values[-1].strip() if values else default

    sort = one("sort", "created")
    direction = one("dir", "desc")
    statuses: tuple[str, ...] = ("active",)
    if "status" in params:
        raw = [v for v in params["status"] if v]
        statuses = () if "all" in raw else tuple(s for s in STATUSES if s in raw)
    try:
        page = max(1, int(one("page", "1")))
    except ValueError:
        page = 1
    return CaseQuery(
        search=one("q")[:200],
        sort=sort if sort in SORTS else "created",
        direction=direction if direction in ("asc", "desc") else "desc",
        assignee=one("assignee", DEFAULT_ASSIGNEE) or DEFAULT_ASSIGNEE,
        statuses=statuses,
        tags=tuple(dict.fromkeys(t for t in params.get("tag", []) if t))[:20],
        page=min(page, 100_000),
    )


def query_params(query: CaseQuery, **changes: Any) -> dict[str, Any]:
    """The query string of `query` (with `changes`), defaults left out so URLs stay short."""
    q = replace(query, **changes)
    out: dict[str, Any] = {}
    if q.search:
        out["q"] = q.search
    if q.sort != "created":
        out["sort"] = q.sort
    if q.direction != "desc":
        out["dir"] = q.direction
    if q.assignee != DEFAULT_ASSIGNEE:
        out["assignee"] = q.assignee
    if q.statuses != ("active",):
        out["status"] = list(q.statuses) or ["all"]
    if q.tags:
        out["tag"] = list(q.tags)
    if q.page != 1:
        out["page"] = q.page
    return out


def query_string(query: CaseQuery) -> str:
    """The view as a query string (page left out: previous/next walk the whole view)."""
    return urlencode(query_params(query, page=1), doseq=True)


def parse_query_string(qs: str) -> CaseQuery:
    return parse_case_query(parse_qs(qs[:2000], keep_blank_values=True))
