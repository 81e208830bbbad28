"""50 concurrent events on one runtime, through a real uvicorn server and real threads.

Every event adds its own key to the context (UPDATE_CONTEXT is a shallow merge), so a lost update would
show as a missing key; the audit log must be 1..N with each record starting where the previous ended.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import select

from arabesque.asgi import create_app
from arabesque.store import Database, RuntimeEvent
from service_fixtures import SEED, Tenant

N = 50


@pytest.fixture
def server(db: Database, tmp_path: Path) -> Iterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)  # connections queue here until uvicorn accepts them: no start-up wait needed
    port = sock.getsockname()[1]
    # every event admitted at once (the in-flight limit, 32 by default, is not what this test is about)
    app = create_app(db, tmp_path / "files", max_in_flight=N)
    config = uvicorn.Config(app, log_level="warning", lifespan="off")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=30)
        sock.close()


def test_concurrent_events_lose_no_update_and_log_linearly(server: str, tenant: Tenant, db: Database) -> None:
    with httpx.Client(base_url=server, headers=tenant.headers, timeout=120) as c:
        rid = c.post("/api/v1/external/workflows/run", json=SEED).json()["workflowRuntimeId"]

    def send(i: int) -> int:
        with httpx.Client(base_url=server, headers=tenant.headers, timeout=120) as c:
            body = {"name": "UPDATE_CONTEXT", "payload": {"context": {f"k{i:02d}": i}}}
            return c.post(f"/api/v1/external/workflows/{rid}/event", json=body).status_code

    with ThreadPoolExecutor(max_workers=N) as pool:
        statuses = list(pool.map(send, range(N)))
    assert statuses == [200] * N

    with httpx.Client(base_url=server, headers=tenant.headers, timeout=120) as c:
        context = c.get(f"/api/v1/external/workflows/{rid}/context").json()["context"]
    assert {k: v for k, v in context.items() if k.startswith("k")} == {f"k{i:02d}": i for i in range(N)}
    assert context["entity"]["data"]["companyName"] == "TILL COMPANY LIMITED"

    with db.read() as s:
        log = s.scalars(select(RuntimeEvent).where(RuntimeEvent.runtime_id == rid).order_by(RuntimeEvent.seq)).all()
    updates = [r for r in log if r.event == "UPDATE_CONTEXT"]
    assert len(updates) == N
    assert [r.seq for r in log] == list(range(1, len(log) + 1))
    assert all(a.to_state == b.from_state for a, b in pairwise(log))
    added = [next(iter(r.details["payload"]["context"])) for r in updates]
    assert sorted(added) == sorted(f"k{i:02d}" for i in range(N))
