"""`arabesque simulate`: the contract scripts depend on (see issue 2 §7)."""

from __future__ import annotations

import http.server
import io
import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from arabesque.cli.simulate import simulate_files

CHART = {"initial": "a", "states": {"a": {"on": {"GO": "b"}}, "b": {"type": "final"}}}


def _write(tmp_path: Path, name: str, data: Any) -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def _run(
    tmp_path: Path,
    record: Any,
    context: Any = None,
    events: Any = None,
    state: str | None = None,
    secrets: Any = None,
) -> tuple[int, list[dict[str, Any]], str]:
    out, err = io.StringIO(), io.StringIO()
    code = simulate_files(
        _write(tmp_path, "def.json", record),
        _write(tmp_path, "ctx.json", context) if context is not None else None,
        state,
        _write(tmp_path, "events.json", events) if events is not None else None,
        _write(tmp_path, "secrets.json", secrets) if secrets is not None else None,
        out=out,
        err=err,
    )
    return code, [json.loads(line) for line in out.getvalue().splitlines()], err.getvalue()


def test_lines_follow_the_contract(tmp_path: Path) -> None:
    code, lines, err = _run(tmp_path, {"definition": CHART}, {"k": 1}, [{"type": "NOPE"}, {"type": "GO"}])
    assert code == 0 and err == ""
    assert lines == [
        {"event": None, "state": "a", "status": "active", "context": {"k": 1}},
        {
            "event": "NOPE",
            "state": "a",
            "status": "active",
            "context": {"k": 1},
            "error": 'Event NOPE is not allowed in the current state: "a"',
        },
        {"event": "GO", "state": "b", "status": "completed", "context": {"k": 1}, "error": None},
    ]


def test_start_in_a_final_state_is_completed(tmp_path: Path) -> None:
    _, lines, _ = _run(tmp_path, {"definition": CHART}, state="b")
    assert lines == [{"event": None, "state": "b", "status": "completed", "context": {}}]


@pytest.mark.parametrize(
    ("record", "context", "events", "state", "needle"),
    [
        ("{not json", None, None, None, "def.json: invalid JSON"),
        (
            {"definition": {"initial": "x", "states": {"a": {}}}},
            None,
            None,
            None,
            'definition.initial: unknown state "x"',
        ),
        ({"definition": CHART}, [1], None, None, "ctx.json: the context must be a JSON object"),
        ({"definition": CHART}, None, {"type": "GO"}, None, "events.json: events must be a JSON array"),
        ({"definition": CHART}, None, [{"payload": {}}], None, "events.json: [0].type: required"),
        ({"definition": CHART}, None, [{"type": "GO", "payload": 3}], None, "[0].payload: must be an object"),
        ({"definition": CHART}, None, None, "nowhere", '--state "nowhere" is not a state'),
    ],
)
def test_invalid_input_exits_2_with_one_line(
    tmp_path: Path, record: Any, context: Any, events: Any, state: str | None, needle: str
) -> None:
    code, lines, err = _run(tmp_path, record, context, events, state)
    assert (code, lines) == (2, [])
    assert needle in err and len(err.strip().splitlines()) == 1


def test_every_definition_problem_is_reported(tmp_path: Path) -> None:
    record = {
        "definition": {
            "initial": "a",
            "states": {"a": {"on": {"GO": "missing", "BAD": {"target": "a", "cond": {"type": "json-schema"}}}}},
        },
        "extensions": {
            "apiPlugins": [
                {
                    "name": "p",
                    "url": "https://x.test",
                    "request": {"transform": [{"transformer": "jmespath", "mapping": "{a: "}]},
                },
                {"name": "p", "url": "https://x.test"},
            ],
            "commonPlugins": [{"pluginKind": "iterative", "name": "it", "actionPluginName": "ghost"}],
        },
    }
    code, _, err = _run(tmp_path, record)
    assert code == 2
    for needle in (
        'definition.states.a.on.GO.target: unknown state "missing"',
        "definition.states.a.on.BAD.cond: unsupported guard type",
        "extensions.apiPlugins[0].request.transform[0]",
        'extensions.apiPlugins[1].name: duplicate plugin name "p"',
        "extensions.commonPlugins[0].actionPluginName: unknown action plugin 'ghost'",
    ):
        assert needle in err


def test_warnings_go_to_stderr_and_the_definition_runs(tmp_path: Path) -> None:
    record = {
        "definition": CHART,
        "extensions": {
            "apiPlugins": [
                {
                    "name": "p",
                    "url": "https://x.test",
                    "stateNames": ["gone"],
                    "successAction": "NOWHERE",
                    "errorAction": "GO",
                    "request": {"transform": [{"transformer": "jmespath", "mapping": "@"}]},
                }
            ]
        },
    }
    code, lines, err = _run(tmp_path, record, events=[{"type": "GO"}])
    assert code == 0 and lines[-1]["state"] == "b"
    assert "warning: " in err and 'stateNames[0]: state "gone" does not exist' in err
    assert 'successAction: no state accepts the event "NOWHERE"' in err


def test_customer_secrets_come_from_the_secrets_file(tmp_path: Path) -> None:
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            seen.append(self.headers["Authorization"])
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        record = {
            "definition": {
                "initial": "a",
                "states": {
                    "a": {"on": {"GO": "f"}},
                    "f": {"on": {"OK": "ok", "ERR": "err"}},
                    "ok": {},
                    "err": {},
                },
            },
            "extensions": {
                "apiPlugins": [
                    {
                        "name": "v",
                        "url": f"http://127.0.0.1:{server.server_address[1]}/",
                        "method": "POST",
                        "stateNames": ["f"],
                        "successAction": "OK",
                        "errorAction": "ERR",
                        "headers": {"Authorization": "Bearer {secrets.TOKEN}"},
                        "request": {"transform": [{"transformer": "jmespath", "mapping": "@"}]},
                    }
                ]
            },
        }
        _, with_file, _ = _run(tmp_path, record, {"x": 1}, [{"type": "GO"}], secrets={"TOKEN": "s3cret"})
        _, without, _ = _run(tmp_path, record, {"x": 1}, [{"type": "GO"}])
    finally:
        server.shutdown()
        server.server_close()
    assert seen == ["Bearer s3cret"]
    assert with_file[-1]["state"] == "ok"
    assert without[-1]["state"] == "err"
    assert without[-1]["context"]["pluginsOutput"]["v"]["error"] == "No secret manager found."


def test_cli_reports_bad_input_without_a_traceback(tmp_path: Path) -> None:
    path = _write(tmp_path, "def.json", "[]")
    proc = subprocess.run([sys.executable, "-m", "arabesque", "simulate", str(path)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stdout == "" and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == f"{path}: invalid definition: a definition record must be a JSON object"


def test_attach_ui_definition_is_the_plugins_error_in_a_simulation(tmp_path: Path) -> None:
    record = {
        "definition": {
            "initial": "idle",
            "states": {
                "idle": {"on": {"START": "attaching"}},
                "attaching": {"on": {"ATTACHED": "ok", "NOT_ATTACHED": "failed"}},
                "ok": {},
                "failed": {"type": "final"},
            },
        },
        "extensions": {
            "commonPlugins": [
                {
                    "pluginKind": "attach-ui-definition",
                    "name": "attach",
                    "stateNames": ["attaching"],
                    "uiDefinitionId": "kyb",
                    "successAction": "ATTACHED",
                    "errorAction": "NOT_ATTACHED",
                }
            ]
        },
    }
    code, lines, _ = _run(tmp_path, record, events=[{"type": "START"}])
    assert code == 0
    assert lines[-1]["state"] == "failed"
    assert "issued by the service" in lines[-1]["context"]["pluginsOutput"]["attach"]["error"]
