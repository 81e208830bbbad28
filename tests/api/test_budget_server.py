"""A real uvicorn server stays responsive while a pathological definition's request runs, and the request ends
with the budget error (issue 9, finding 2: one `pattern` froze the whole process for 21 s).

The limits' clock is instrumented: `started` is set the first time an evaluation reads the time, so the test
knows the request is inside its evaluation before it asks `/api/v1/_health/live`. For the regular expression
(Python's `re` held the GIL while it backtracked) nothing else is done: the health answer must arrive while
the match is still running. The JMESPath and json-logic doublings are pure Python, which the interpreter
already interleaves with other threads; there the clock also holds the evaluation until the health answer
has arrived, so the ordering "answered while in flight" is certain rather than a race with a fast refusal.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from arabesque.app.limits import ServiceLimits, set_limits
from arabesque.asgi import create_app
from arabesque.engine import Limits
from arabesque.store import Database
from limits_fixtures import CATASTROPHIC, REDUCE_MERGE, definition_with_guard
from service_fixtures import SEED, Tenant


@dataclass(frozen=True)
class ClockedLimits(ServiceLimits):
    """The service limits, with a clock that tells the test when an evaluation first reads it."""

    started: threading.Event = field(default_factory=threading.Event, compare=False)
    release: threading.Event | None = field(default=None, compare=False)

    def time_left(self) -> Callable[[], float]:
        inner = super().time_left()

        def left() -> float:
            if not self.started.is_set():
                self.started.set()
                if self.release is not None:
                    self.release.wait(30)
            return float(inner())

        return left


@pytest.fixture
def server(db: Database, tmp_path: Path) -> Iterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(db, tmp_path / "files", threads=4), log_level="warning", lifespan="on")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=30)
        sock.close()
        set_limits(None)


def body_for(workflow: str, **entity: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"workflowId": workflow, "context": {**SEED["context"]}}
    body["context"]["entity"] = {**SEED["context"]["entity"], **entity}
    return body


DOUBLING_JMESPATH = " | ".join(["[@, @][]"] * 40) + " | length(@) > `0`"
CASES = {
    "jmespath doubling guard": (
        definition_with_guard("jmes_doubling", {"type": "jmespath", "options": {"rule": DOUBLING_JMESPATH}}),
        body_for("jmes_doubling"),
        True,
        "definition.states.a.on.GO[0].cond",
    ),
    "json-logic reduce": (
        definition_with_guard("logic_doubling", {"type": "json-logic", "options": {"rule": REDUCE_MERGE}}),
        body_for("logic_doubling", data={"items": list(range(40))}),
        True,
        "definition.states.a.on.GO[0].cond",
    ),
    "contextSchema pattern": (
        definition_with_guard(
            "pattern",
            {"type": "jmespath", "options": {"rule": "`true`"}},
            {"type": "object", "properties": {"entity": {"properties": {"id": {"pattern": CATASTROPHIC}}}}},
        ),
        body_for("pattern", id="a" * 40 + "!"),
        False,
        "contextSchema.schema.properties.entity.properties.id.pattern",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_health_answers_while_a_pathological_request_runs_and_it_ends_with_the_budget_error(
    server: str, tenant: Tenant, case: str
) -> None:
    record, body, hold, path = CASES[case]
    release = threading.Event() if hold else None
    limits = ClockedLimits(step_seconds=10.0, evaluation=Limits(regex_seconds=3.0, step_seconds=10.0), release=release)
    with httpx.Client(base_url=server, headers=tenant.headers, timeout=60) as c:
        assert c.post("/api/v1/workflow-definition", json=record).status_code == 201
        if path.startswith("definition"):  # the guard runs on an event; the run itself is cheap
            rid = c.post("/api/v1/external/workflows/run", json=body).json()["workflowRuntimeId"]
            slow_request: Callable[[], httpx.Response] = lambda: c.post(  # noqa: E731
                f"/api/v1/external/workflows/{rid}/event", json={"name": "GO"}
            )
        else:
            slow_request = lambda: c.post("/api/v1/external/workflows/run", json=body)  # noqa: E731
        set_limits(limits)
        with ThreadPoolExecutor(max_workers=1) as pool:
            slow = pool.submit(slow_request)
            assert limits.started.wait(30), "the request never reached its evaluation"
            with httpx.Client(base_url=server, timeout=10) as health:
                assert health.get("/api/v1/_health/live").json() == {"status": "ok"}
            assert not slow.done(), "the health answer must arrive while the request is still in flight"
            if release is not None:
                release.set()
            answer = slow.result(timeout=60)
    assert answer.status_code == 400, answer.text
    [error] = answer.json()["errors"]
    assert error["path"] == path
    assert "the limit is set by ARABESQUE_" in error["message"]
