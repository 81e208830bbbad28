"""`create_app(threads=N)` caps the threads that run blocking handlers in the process (`serve --threads`,
`ARABESQUE_API_THREADS`)."""

from __future__ import annotations

from pathlib import Path

import anyio
import anyio.to_thread
import pytest
from starlette.testclient import TestClient

from arabesque.asgi import create_app
from arabesque.store import Database


def _tokens(client: TestClient) -> float:
    assert client.portal is not None
    return client.portal.call(lambda: anyio.to_thread.current_default_thread_limiter().total_tokens)


def test_threads_caps_the_threadpool_of_the_event_loop(db: Database, tmp_path: Path) -> None:
    with TestClient(create_app(db, tmp_path / "files", threads=3)) as client:
        assert _tokens(client) == 3
        assert client.get("/api/v1/_health/live").status_code == 200


def test_without_threads_anyio_keeps_its_default(db: Database, tmp_path: Path) -> None:
    async def default() -> float:
        return anyio.to_thread.current_default_thread_limiter().total_tokens

    with TestClient(create_app(db, tmp_path / "files")) as client:
        assert _tokens(client) == anyio.run(default)


def test_each_process_of_serve_workers_gets_its_threads_from_its_factory(tmp_path: Path) -> None:
    from arabesque.asgi import ProcessOptions, app_for_process
    from arabesque.cli.serve import open_service
    from arabesque.settings import read_settings

    settings = read_settings({"ARABESQUE_DATA_DIR": str(tmp_path / "data")}, None)
    open_service(settings, seed=False).db.dispose()  # what the supervisor does once: migrate
    with TestClient(app_for_process(settings, ProcessOptions(threads=2))) as client:
        assert _tokens(client) == 2


def test_a_uvicorn_factory_started_by_hand_reads_its_threads_from_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from arabesque.asgi import app_from_env
    from arabesque.cli.serve import open_service
    from arabesque.settings import read_settings

    monkeypatch.delenv("ARABESQUE_DATABASE_URL", raising=False)
    monkeypatch.setenv("ARABESQUE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ARABESQUE_API_THREADS", "3")
    open_service(read_settings(), seed=False).db.dispose()
    with TestClient(app_from_env()) as client:
        assert _tokens(client) == 3
