"""The private PostgreSQL fixture the fault tests use: it serves, stops and comes back with its data."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from pg_cluster import private_cluster


def test_a_private_cluster_stops_and_starts_with_its_data() -> None:
    with private_cluster() as pg:
        engine = create_engine(pg.url, connect_args={"connect_timeout": 3})
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE kept (n int)"))
            conn.execute(text("INSERT INTO kept VALUES (7)"))
        engine.dispose()
        pg.stop()
        with pytest.raises(OperationalError):
            engine.connect().close()
        pg.start()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT n FROM kept")).scalar_one() == 7
        engine.dispose()
