"""A database outage on the Case Management pages: a 503 page with `Retry-After`, rendered without the
database (the queue sidebar needs it), never a 500; pages work again when the database is back. On a private
PostgreSQL cluster that the test stops and starts (tests/pg_cluster.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from web_helpers import seed_site, sign_in

from arabesque.api.errors import RETRY_AFTER_SECONDS
from arabesque.asgi import create_app
from arabesque.store import Database, upgrade
from pg_cluster import PgCluster, private_cluster


@pytest.fixture
def down(tmp_path: Path) -> Iterator[tuple[PgCluster, Database, TestClient]]:
    # The cluster's directory is outside pytest's: pytest sets its own base directory back to mode 0700 when
    # another session starts, which would lock the postgres user out of a running cluster.
    with private_cluster() as pg:
        db = Database(pg.url)
        try:
            upgrade(db.engine)
            with TestClient(create_app(db, tmp_path / "files"), raise_server_exceptions=False) as client:
                yield pg, db, client
        finally:
            db.dispose()


def unavailable(resp: object) -> None:
    assert resp.status_code == 503, resp.text  # type: ignore[attr-defined]
    assert resp.headers["retry-after"] == str(RETRY_AFTER_SECONDS)  # type: ignore[attr-defined]


def test_a_page_answers_503_without_the_database_while_postgresql_is_down(
    down: tuple[PgCluster, Database, TestClient],
) -> None:
    pg, db, client = down
    site = seed_site(db, name="pages")
    sign_in(client, site.admin)
    queue = client.get("/", follow_redirects=False).headers["location"]
    assert client.get(queue).status_code == 200
    pg.stop()
    for url in (queue, "/admin/definitions", "/cases/no-such-case"):
        page = client.get(url)
        unavailable(page)
        assert "text/html" in page.headers["content-type"] and "database is unavailable" in page.text
    pg.start()
    assert client.get(queue).status_code == 200
