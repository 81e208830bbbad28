"""Readiness follows the database: 503 while it is unreachable, 200 once it is back."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from starlette.testclient import TestClient

from arabesque.asgi import create_app
from arabesque.store import Database
from service_fixtures import PG_SERVER, missing_component


class Forwarder:
    """A TCP relay from a local port to PostgreSQL: closed = the database is unreachable."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()  # nothing listens on the port now
        self.listener: socket.socket | None = None
        self.conns: list[socket.socket] = []

    def open(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def close(self) -> None:
        if self.listener is not None:
            with contextlib.suppress(OSError):
                self.listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() and frees the port
            self.listener.close()
            self.listener = None
        for conn in self.conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()
        self.conns.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_WR)


@pytest.fixture
def relay() -> Iterator[Forwarder]:
    url = make_url(PG_SERVER)
    target = (url.host or "127.0.0.1", url.port or 5432)
    try:
        socket.create_connection(target, timeout=3).close()
    except OSError:
        missing_component(f"PostgreSQL is needed at {target}")
    fwd = Forwarder(target)
    yield fwd
    fwd.close()


def test_ready_is_503_while_the_database_is_unreachable_and_200_when_it_is_back(
    relay: Forwarder, tmp_path: Path
) -> None:
    url = make_url(PG_SERVER).set(host="127.0.0.1", port=relay.port)
    db = Database(url.render_as_string(hide_password=False))
    try:
        with TestClient(create_app(db, tmp_path)) as client:
            down = client.get("/api/v1/_health/ready")
            assert down.status_code == 503
            assert down.json() == {"statusCode": 503, "message": "Database unreachable"}
            assert client.get("/api/v1/_health/live").status_code == 200
            relay.open()
            assert client.get("/api/v1/_health/ready").status_code == 200
            relay.close()  # the pooled connection dies with it
            assert client.get("/api/v1/_health/ready").status_code == 503
            relay.open()
            assert client.get("/api/v1/_health/ready").status_code == 200
    finally:
        db.dispose()
