"""Error pages read the database only off the event loop (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from sqlalchemy import event
from starlette.testclient import TestClient
from web_helpers import seed_site, sign_in

from arabesque.store import Database


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
