"""A real HTTP server on loopback standing in for a company registry (the unified-API gateway): records each
request, answers by a rule the test sets, or holds the answer until the test releases it (a registry that does
not answer in time)."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Registry", "registry"]

Answer = tuple[int, bytes, dict[str, str]]


@dataclass
class Registry:
    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    rule: Callable[[str], Answer] = lambda path: (200, b"{}", {})
    release: threading.Event = field(default_factory=threading.Event)  # set: answer held requests
    hold: bool = False

    def answer_json(self, status: int, body: Any) -> None:
        self.rule = lambda path: (status, json.dumps(body).encode(), {"Content-Type": "application/json"})


@contextmanager
def registry() -> Iterator[Registry]:
    state: Registry | None = None

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            assert state is not None
            state.requests.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}})
            if state.hold:
                state.release.wait(30)
                return
            status, body, headers = state.rule(self.path)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state = Registry(f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
