"""A database outage is a 503 with `Retry-After` in the error shape, never a 500; service resumes when the
database is back. On a private PostgreSQL cluster that the test stops and starts (tests/pg_cluster.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError
from starlette.testclient import TestClient

from arabesque.api.errors import RETRY_AFTER_SECONDS
from arabesque.asgi import create_app
from arabesque.store import Database, database_unavailable, upgrade
from pg_cluster import PgCluster, private_cluster
from service_fixtures import SEED, Tenant, make_tenant


@pytest.fixture
def down(tmp_path: Path) -> Iterator[tuple[PgCluster, Database, TestClient, Tenant]]:
    # The cluster's directory is outside pytest's: pytest sets its own base directory back to mode 0700 when
    # another session starts, which would lock the postgres user out of a running cluster.
    with private_cluster() as pg:
        db = Database(pg.url)
        try:
            upgrade(db.engine)
            tenant = make_tenant(db, "acme")
            with TestClient(create_app(db, tmp_path / "files"), raise_server_exceptions=False) as client:
                yield pg, db, client, tenant
        finally:
            db.dispose()


def unavailable(resp: object) -> None:
    assert resp.status_code == 503, resp.text  # type: ignore[attr-defined]
    assert resp.headers["retry-after"] == str(RETRY_AFTER_SECONDS)  # type: ignore[attr-defined]


def test_the_api_answers_503_with_retry_after_while_postgresql_is_down(
    down: tuple[PgCluster, Database, TestClient, Tenant],
) -> None:
    pg, _db, client, tenant = down
    assert client.get("/api/v1/external/workflows", headers=tenant.headers).status_code == 200
    pg.stop()
    for resp in (
        client.get("/api/v1/external/workflows", headers=tenant.headers),  # the key lookup, then the list
        client.post("/api/v1/external/workflows/run", json=SEED, headers=tenant.headers),  # one transaction
        client.get("/api/v1/_health/ready"),
    ):
        unavailable(resp)
        body = resp.json()
        assert body["statusCode"] == 503 and isinstance(body["message"], str)
    pg.start()
    assert client.get("/api/v1/external/workflows", headers=tenant.headers).status_code == 200
    assert client.post("/api/v1/external/workflows/run", json=SEED, headers=tenant.headers).status_code == 200


def test_only_outages_count_as_unavailable() -> None:
    import sqlite3

    import psycopg
    import sqlalchemy.exc

    def wrapped(orig: Exception) -> OperationalError:
        return OperationalError("SELECT 1", {}, orig)

    assert database_unavailable(wrapped(psycopg.OperationalError("connection refused")))
    assert database_unavailable(wrapped(sqlite3.OperationalError("database is locked")))
    assert not database_unavailable(wrapped(sqlite3.OperationalError('near "SELEC": syntax error')))
    assert database_unavailable(sqlalchemy.exc.TimeoutError("QueuePool limit of size 10 overflow 40 reached"))
    assert database_unavailable(sqlalchemy.exc.DisconnectionError("stale pooled connection"))
    assert not database_unavailable(ValueError("no"))
