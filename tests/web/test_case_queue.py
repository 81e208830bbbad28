"""Working the queue through TestClient (SQLite and PostgreSQL): the polled count matches the rows, each row
names its own definition version, the business search reaches the representative's e-mail, the UBOs and the
registration number, "Due" sorts by each case's own SLA, previous/next walk the listed view (also after a
decision), and bulk assignment is CSRF-protected, role-checked and project-scoped."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from sqlalchemy import select, update
from starlette.testclient import TestClient
from web_helpers import seed_site, sign_in

from arabesque.app.access.principal import Principal
from arabesque.app.definitions.create_definition import insert_definition
from arabesque.app.workflows.run_workflow import run_workflow
from arabesque.store import Database, Queue, WorkflowRuntime
from service_fixtures import EXAMPLES


def _business_queue(db: Database, project_id: str) -> str:
    with db.read() as s:
        return s.scalars(select(Queue.id).where(Queue.project_id == project_id, Queue.entity == "businesses")).one()


def _case(db: Database, project_id: str, cid: str, data: dict, config: dict | None = None) -> str:
    body: dict = {"workflowId": "kyb_with_ubos_demo", "context": {"entity": {"type": "business", "id": cid,
                                                                            "data": data}, "documents": []}}
    if config:
        body["config"] = config
    return run_workflow(db, Principal(project_id, "api-key:test"), body)["workflowRuntimeId"]


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr data-case="([^"]+)"', html)


def _count(html: str) -> int:
    found = re.search(r'class="count"><strong>([\d,]+)</strong>', html)
    assert found, html[:300]
    return int(found.group(1).replace(",", ""))


def test_polled_count_matches_rows_and_rows_name_their_version(client: TestClient, db: Database) -> None:
    site = seed_site(db)
    queue = _business_queue(db, site.project_id)
    old = _case(db, site.project_id, "b-1", {"companyName": "Old Co"})
    record = json.loads((EXAMPLES / "kyb_with_ubos_demo.json").read_text())
    first_name = record.get("displayName") or record["name"]
    record.update(id="kyb_with_ubos_demo_v2", version=2, displayName="KYB with owners, second edition")
    with db.write() as s:
        insert_definition(s, site.project_id, record, created_by="test")
    new = _case(db, site.project_id, "b-2", {"companyName": "New Co"})
    sign_in(client, site.reviewer)
    page = client.get(f"/queues/{queue}").text
    assert _count(page) == 2 and set(_rows(page)) == {old, new}
    _case(db, site.project_id, "b-3", {"companyName": "Third Co"})
    polled = client.get(f"/queues/{queue}?partial=rows", headers={"HX-Request": "true"}).text
    assert polled.count('id="case-list"') == 1 and "<aside" not in polled
    assert _count(polled) == 3 == len(_rows(polled))  # the count is refreshed with the rows
    cells = dict(re.findall(r'<tr data-case="([^"]+)">.*?</td>\s*<td><a.*?</td>\s*<td>([^<]+)<span', polled, re.S))
    assert cells[old].strip() == first_name and cells[new].strip() == "KYB with owners, second edition"


def test_business_search_reaches_people_and_registration(client: TestClient, db: Database) -> None:
    site = seed_site(db)
    queue = _business_queue(db, site.project_id)
    rep = {"mainRepresentative": {"email": "Rita.Rep@Example.org", "firstName": "Rita"}}
    ubos = {"ubos": [{"id": "u1", "firstName": "Ulrich", "lastName": "Owner", "email": "u@example.com"}]}
    _case(db, site.project_id, "b-1", {"companyName": "Rep Co", "additionalInfo": rep})
    _case(db, site.project_id, "b-2", {"companyName": "Owned Co", "additionalInfo": ubos})
    _case(db, site.project_id, "b-3", {"companyName": "Registered Co", "registrationNumber": "HRB 4711"})
    other = seed_site(db, "globex", prefix="g-")
    _case(db, other.project_id, "b-1", {"companyName": "Foreign Co", "additionalInfo": rep})
    sign_in(client, site.reviewer)
    for term, found in (("rita.rep@example", {"Rep Co"}), ("ulrich", {"Owned Co"}), ("OWNER", {"Owned Co"}),
                        ("hrb 47", {"Registered Co"}), ("50%", set()), ("nobody", set())):
        page = client.get(f"/queues/{queue}", params={"q": term}).text
        names = set(re.findall(r'<a href="/cases/[^"]+\?queue=[^"]+">([^<]+)</a>', page))
        assert names == found and _count(page) == len(found), term


def test_due_sorts_by_each_cases_own_sla(client: TestClient, db: Database) -> None:
    site = seed_site(db)
    queue = _business_queue(db, site.project_id)
    slow = _case(db, site.project_id, "b-1", {"companyName": "Slow"}, {"slaHours": 72})  # oldest, due last
    none = _case(db, site.project_id, "b-2", {"companyName": "No SLA"})
    odd = _case(db, site.project_id, "b-3", {"companyName": "Odd SLA"}, {"slaHours": "soon"})
    fast = _case(db, site.project_id, "b-4", {"companyName": "Fast"}, {"slaHours": 1})  # newest, due first
    with db.write() as s:
        for i, rid in enumerate((slow, none, odd, fast)):
            created = s.get(WorkflowRuntime, rid).created_at
            s.execute(update(WorkflowRuntime).where(WorkflowRuntime.id == rid)
                      .values(created_at=created - timedelta(hours=10 - i)))
    sign_in(client, site.reviewer)
    urgent_first = _rows(client.get(f"/queues/{queue}?sort=due").text)
    assert urgent_first[:2] == [fast, slow] and set(urgent_first[2:]) == {none, odd}
    latest_first = _rows(client.get(f"/queues/{queue}?sort=due&dir=asc").text)
    assert latest_first[:2] == [slow, fast] and set(latest_first[2:]) == {none, odd}
    searched = _rows(client.get(f"/queues/{queue}?sort=due&q=s").text)  # the search's own page query
    assert searched[:2] == [fast, slow]


def _nav(html: str) -> tuple[str | None, str | None]:
    prev = re.search(r'href="/cases/([^"?]+)\?queue=[^"]*" id="previous-case"', html)
    nxt = re.search(r'href="/cases/([^"?]+)\?queue=[^"]*" id="next-case"', html)
    return (prev.group(1) if prev else None, nxt.group(1) if nxt else None)


def test_previous_and_next_walk_the_listed_view_also_after_a_decision(client: TestClient, db: Database) -> None:
    site = seed_site(db)
    queue = _business_queue(db, site.project_id)
    ids = [_case(db, site.project_id, f"b-{n}", {"companyName": name}) for n, name in enumerate("ABCD")]
    token = sign_in(client, site.reviewer)
    listed = _rows(client.get(f"/queues/{queue}?sort=name&dir=asc").text)
    assert listed == ids
    assert _nav(client.get(f"/cases/{ids[0]}?queue={queue}").text) == (None, ids[1])
    back = re.search(r'href="([^"]+)" id="back-to-queue"', client.get(f"/cases/{ids[0]}?queue={queue}").text)
    assert back and back.group(1) == f"/queues/{queue}?sort=name&amp;dir=asc"  # the view it came from
    assert _nav(client.get(f"/cases/{ids[2]}?queue={queue}").text) == (ids[1], ids[3])
    assert _nav(client.get(f"/cases/{ids[2]}").text) == (None, None)  # not opened from a queue
    client.post(f"/cases/{ids[1]}/assign", data={"csrf_token": token, "assignee": "me"})
    client.post(f"/cases/{ids[1]}/event", data={"csrf_token": token, "event": "approve", "queue": queue})
    decided = client.get(f"/cases/{ids[1]}?queue={queue}").text
    assert _nav(decided) == (ids[0], ids[2])  # it left the (active) view; "next" is still the one after it
    assert 'id="next-case" rel="next" class="button primary"' in decided
    assert _nav(client.get(f"/cases/{ids[0]}?queue={queue}").text) == (None, ids[2])
    client.get(f"/queues/{queue}?q=C")  # another view: the walk follows it
    assert _nav(client.get(f"/cases/{ids[2]}?queue={queue}").text) == (None, None)
    other = seed_site(db, "globex", prefix="g-")
    foreign_queue = _business_queue(db, other.project_id)
    assert client.get(f"/cases/{ids[2]}?queue={foreign_queue}").status_code == 200  # no neighbours, no leak
    assert _nav(client.get(f"/cases/{ids[2]}?queue={foreign_queue}").text) == (None, None)


def test_bulk_assign(client: TestClient, db: Database) -> None:
    site = seed_site(db)
    queue = _business_queue(db, site.project_id)
    ids = [_case(db, site.project_id, f"b-{n}", {"companyName": f"Co {n}"}) for n in range(3)]
    other = seed_site(db, "globex", prefix="g-")
    foreign = _case(db, other.project_id, "g-1", {"companyName": "Foreign"})
    token = sign_in(client, site.reviewer)
    page = client.get(f"/queues/{queue}").text
    assert page.count('name="ids"') == 3 and 'action="/queues/' in page
    url = f"/queues/{queue}/assign"
    assert client.post(url, data={"ids": ids[:2], "assignee": "me"}).status_code == 403  # no CSRF token
    done = client.post(url, data={"csrf_token": token, "ids": ids[:2], "assignee": ["me", ""],
                                  "back": f"/queues/{queue}?sort=name"}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/queues/{queue}?sort=name"
    with db.read() as s:
        assignees = {rid: s.get(WorkflowRuntime, rid).assignee_id for rid in ids}
    assert assignees[ids[0]] == assignees[ids[1]] is not None and assignees[ids[2]] is None
    assert "Assigned 2 cases" in client.get(f"/queues/{queue}").text
    assert client.post(url, data={"csrf_token": token, "ids": [ids[2], foreign], "assignee": ["me"]}).status_code == 404
    with db.read() as s:
        assert s.get(WorkflowRuntime, ids[2]).assignee_id is None  # nothing written
        assert s.get(WorkflowRuntime, foreign).assignee_id is None
    client.post(url, data={"csrf_token": token, "ids": ids, "assignee": [""]})  # to nobody
    with db.read() as s:
        assert all(s.get(WorkflowRuntime, rid).assignee_id is None for rid in ids)
    assert client.post(url, data={"csrf_token": token, "back": "https://evil.example/"},
                       follow_redirects=False).headers["location"] == f"/queues/{queue}"
    client.post("/logout", data={"csrf_token": token})
    viewer_token = sign_in(client, site.viewer)
    assert 'name="ids"' not in client.get(f"/queues/{queue}").text
    assert client.post(url, data={"csrf_token": viewer_token, "ids": ids, "assignee": ["me"]}).status_code == 403
