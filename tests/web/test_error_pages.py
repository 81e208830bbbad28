"""Hostile input on the Case Management pages is a 400 naming the field, never a 500 (SQLite and PostgreSQL);
error pages read the database only off the event loop; a 405 lists every method of the path."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from sqlalchemy import event
from starlette.testclient import TestClient
from web_helpers import first_queue, seed_site, sign_in

from arabesque.store import Database


def _queue(client: TestClient) -> str:
    return first_queue(client)


def test_nul_in_the_case_list_search_is_400(client: TestClient, db: Database) -> None:
    sign_in(client, seed_site(db).admin)
    queue = _queue(client)
    page = client.get(f"{queue}?q=acme%00")
    assert page.status_code == 400, page.text[:300]
    assert "query.q" in page.text and "NUL" in page.text
    assert client.get(f"{queue}?q=acme").status_code == 200


def test_nul_in_a_form_field_or_a_path_is_400_naming_it(client: TestClient, db: Database) -> None:
    token = sign_in(client, seed_site(db).admin)
    page = client.post("/admin/keys", data={"csrf_token": token, "name": "ci\x00"})
    assert page.status_code == 400 and "name: contains a NUL character" in page.text
    page = client.post("/admin/queues/new", data={"csrf_token": token, "name": "Q", "definitions": ["a\x00"]})
    assert page.status_code == 400 and "definitions: contains a NUL character" in page.text
    page = client.get("/cases/abc%00")
    assert page.status_code == 400 and "path.case_id" in page.text


def test_a_value_too_long_for_its_column_is_a_400_page(client: TestClient, db: Database) -> None:
    token = sign_in(client, seed_site(db).admin)
    data = {
        "csrf_token": token,
        "entity.type": "business",
        "entity.data.companyName": "C" * 5000,  # varchar(500)
        "entity.data.country": "GB",
        "entity.data.registrationNumber": "R-1",
    }
    page = client.post(f"{_queue(client)}/new?definition=till_basic_kyb_demo", data=data, follow_redirects=False)
    if db.sqlite:
        assert page.status_code == 303
    else:
        assert page.status_code == 400 and "too long or out of range" in page.text


def test_a_non_ascii_csrf_token_is_refused_not_a_crash(client: TestClient, db: Database) -> None:
    sign_in(client, seed_site(db).admin)
    page = client.post("/admin/keys", data={"csrf_token": "é", "name": "ci"})
    assert page.status_code == 403


def test_error_pages_read_the_database_off_the_event_loop(client: TestClient, db: Database) -> None:
    site = seed_site(db)
    sign_in(client, site.viewer)
    on_loop: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # a worker thread: where blocking work belongs
        on_loop.append(f"{threading.current_thread().name}: {statement[:80]}")

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        missing = client.get("/cases/no-such-case")  # NotFound: the error page has the queue sidebar
        forbidden = client.get("/admin/users")  # Forbidden for a viewer
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert missing.status_code == 404 and "Businesses" in missing.text
    assert forbidden.status_code == 403
    assert on_loop == []


def test_405_on_a_page_lists_every_method_of_the_path(client: TestClient, db: Database) -> None:
    sign_in(client, seed_site(db).admin)
    queue = _queue(client)
    resp = client.delete(f"{queue}/new")
    assert resp.status_code == 405
    assert resp.headers["allow"] == "GET, POST"
