"""Scenario runner for the `simulate` contract, shared by the conformance and differential tests.

A scenario is a `kind: "workflow"` fixture (tests/fixtures/reference/README.md section 2). It is run
against any command implementing the simulate contract (`arabesque simulate`, or
`node tests/oracle/simulate-0.5.30.cjs`):

    ARGV... DEFINITION.json --context CONTEXT.json --events EVENTS.json [--state STATE]

What the harness does:

* Every absolute http(s) origin in the scenario (definition, context, env, mockHttp, steps) is
  rewritten to a loopback HTTP server, one server per origin, which answers the scenario's
  `mockHttp` by exact method + path/query. An unmatched request or a `networkError` entry gets
  its connection reset (the client sees a connection error). Requests are recorded as
  `{method, url, headers (lower-case names), body?}`.
* `env` is added to the command's environment ({secret.NAME} placeholders), `runtimeConfig`
  (when present) becomes the record's `config` (the runtime config the contract exposes).
* Each output line is compared with its step's `expect`: `state`, `status`, `contextIncludes`
  (subset), `contextEquals` (exact), `error` (substring, "" = any error, absent = no error) and
  `httpCalls` (subset, per step). `emitted` and `childWorkflowCalls` cannot be observed through
  the contract and are ignored. Per-step HTTP calls come from prefix runs: the calls of step i are
  those of a run with the first i+1 events minus those of a run with the first i events. Prefix
  runs are made only when a step checks `httpCalls` (a run with no events makes no calls).
* The contract itself is checked too: line 0 has `event: null` and the start state, every line has
  its keys, a status from the allowed set, and a rejected event leaves state and context unchanged.
* A scenario `runtimeId` cannot be passed through the contract; expected strings equal to it
  match any string.

Which scenarios to run (`"simulate": false`, `"oracle": {"agree": false, "why": ...}`,
`contract_gaps`) is decided by the tests, not here.
"""

from __future__ import annotations

import contextlib
import http
import http.server
import json
import os
import re
import socket
import struct
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matching import is_matcher, mismatches

Json = Any
Scenario = dict[str, Any]

STATUSES = ("active", "completed", "failed")
DEFAULT_TIMEOUT = 30.0

# --------------------------------------------------------------------------- matching


class _Absent:
    def __repr__(self) -> str:
        return "undefined"


_ABSENT = _Absent()


def _show(v: Json, limit: int = 240) -> str:
    if v is _ABSENT:
        return "undefined"
    s = json.dumps(v, ensure_ascii=False)
    return s if len(s) <= limit else s[: limit - 3] + "..."


def _json_type(v: Json) -> str:
    if v is _ABSENT:
        return "undefined"
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int | float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def match(expected: Json, actual: Json, path: str = "$", exact: bool = False) -> list[str]:
    """Problems of matching `actual` against `expected` (empty = match)."""
    return mismatches(expected, actual, exact=exact, path=path)


# --------------------------------------------------------------------------- what the contract cannot express


def contract_gaps(scenario: Scenario) -> list[str]:
    """Features of a scenario the simulate contract cannot express (empty = fully expressible).

    Informational: the tests decide what to skip. A quirk is not a gap (whether an implementation
    reproduces it is the test's business).
    """
    steps: list[dict[str, Any]] = scenario.get("steps") or []
    gaps: list[str] = []
    if "expectConstructionError" in scenario:
        gaps.append("expectConstructionError")
    host = scenario.get("hostMocks")
    if host and host != {"childWorkflowAction": {}}:
        gaps.append("hostMocks")
    if any("invokePlugin" in s for s in steps):
        gaps.append("invokePlugin")
    if any(not isinstance(s.get("event"), dict) for s in steps if "invokePlugin" not in s):
        gaps.append("step without event")
    if "secrets" in scenario:
        gaps.append("secrets")
    if any(isinstance(s, dict) and "throws" in s for s in scenario.get("subscribe") or []):
        gaps.append("subscribe(throws)")
    if _PLACEHOLDER_HOST_RE.search(json.dumps(_rewritable(scenario))):
        gaps.append("URL with a placeholder in its host")
    return gaps


# --------------------------------------------------------------------------- URL rewriting

_URL_RE = re.compile(r"(?i)\b(https?)://([a-z0-9_.~%-]+)(?::(\d+))?")
_PLACEHOLDER_HOST_RE = re.compile(r"(?i)https?://(?:[a-z0-9_.~%-]*\{|[a-z0-9_.~%-]+:\{)")
_LOOPBACK_RE = re.compile(r"^(http://127\.0\.0\.1:\d+)(.*)$", re.S)
_SCHEMA_ID_KEYS = frozenset({"$schema", "$id", "$ref"})  # JSON-Schema identifiers, not endpoints


def _rewritable(scenario: Scenario) -> dict[str, Any]:
    keys = ("definition", "initialContext", "env", "mockHttp", "steps", "runtimeConfig")
    return {k: scenario.get(k) for k in keys}


def _map_strings(obj: Json, fn: Callable[[str], str]) -> Json:
    if isinstance(obj, dict):
        return {k: (v if k in _SCHEMA_ID_KEYS else _map_strings(v, fn)) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_map_strings(v, fn) for v in obj]
    if isinstance(obj, str):
        return fn(obj)
    return obj


def _origin(m: re.Match[str]) -> str:
    scheme, host, port = m.group(1).lower(), m.group(2).lower(), m.group(3)
    return f"{scheme}://{host}:{port or ('443' if scheme == 'https' else '80')}"


# Characters a WHATWG URL serialiser percent-encodes in a path or query (the wire form).
_WIRE_ESCAPES = {c: f"%{ord(c):02X}" for c in ' "<>`{}'}


def wire_url(url: str) -> str:
    """The form of a loopback URL as the server sees it: a path always present, unsafe bytes escaped."""
    m = _LOOPBACK_RE.match(url)
    if not m:
        return url
    base, rest = m.group(1), m.group(2).split("#", 1)[0]
    if not rest.startswith("/"):
        rest = "/" + rest
    out = []
    for ch in rest:
        if ch in _WIRE_ESCAPES:
            out.append(_WIRE_ESCAPES[ch])
        elif ord(ch) > 0x7E:
            out.extend(f"%{b:02X}" for b in ch.encode("utf-8"))
        else:
            out.append(ch)
    return base + "".join(out)


# --------------------------------------------------------------------------- mock HTTP servers


@dataclass
class _Route:
    method: str
    target: str  # path + query, wire form
    entry: dict[str, Any]


@dataclass
class MockHub:
    """Loopback HTTP servers (one per rewritten origin) sharing one request log."""

    calls: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _inflight: int = 0
    _servers: list[http.server.ThreadingHTTPServer] = field(default_factory=list)

    def reset(self) -> None:
        with self._lock:
            self.calls = []

    def settled_calls(self, settle: float = 3.0) -> list[dict[str, Any]]:
        """The recorded calls once no request is being handled (bounded wait).

        The command has exited, so every request it made was recorded before its response went out;
        only handlers still closing their connection are waited for."""
        deadline = time.monotonic() + settle
        while time.monotonic() < deadline:
            with self._lock:
                if self._inflight == 0:
                    return list(self.calls)
            time.sleep(0.01)
        with self._lock:
            return list(self.calls)

    def _bump(self, delta: int) -> None:
        with self._lock:
            self._inflight += delta

    def _record(self, call: dict[str, Any]) -> None:
        with self._lock:
            self.calls.append(call)

    def add_server(self, routes: list[_Route]) -> str:
        """Start a server answering `routes`; returns its base URL http://127.0.0.1:PORT."""
        hub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 15

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _body(self) -> bytes:
                if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                    data = b""
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass
                            return data
                        data += self.rfile.read(size)
                        self.rfile.readline()
                n = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(n) if n > 0 else b""

            def _handle(self) -> None:
                raw = self._body()
                headers: dict[str, str] = {}
                for k, v in self.headers.items():
                    key = k.lower()
                    headers[key] = f"{headers[key]}, {v}" if key in headers else v
                call: dict[str, Any] = {
                    "method": self.command.upper(),
                    "url": base + self.path,
                    "headers": headers,
                }
                if raw:
                    text = raw.decode("utf-8", "replace")
                    try:
                        call["body"] = json.loads(text)
                    except ValueError:
                        call["body"] = text
                hub._record(call)
                self.close_connection = True
                entry = next(
                    (r.entry for r in routes if r.method == self.command.upper() and r.target == self.path),
                    None,
                )
                if entry is None or entry.get("networkError"):
                    # no answer: reset the connection
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    return
                status = int(entry.get("status", 200))
                if "statusText" in entry:
                    reason = str(entry["statusText"])
                else:
                    try:
                        reason = http.HTTPStatus(status).phrase
                    except ValueError:
                        reason = ""
                no_body = status in (204, 304) or 100 <= status < 200
                payload = b""
                if "responseJson" in entry and not no_body and self.command != "HEAD":
                    payload = json.dumps(entry["responseJson"]).encode()
                self.send_response(status, reason)
                if payload:
                    self.send_header("Content-Type", "application/json")
                if not no_body:
                    self.send_header("Content-Length", str(len(payload)))
                self.send_header("Connection", "close")
                self.end_headers()
                if payload:
                    self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def process_request(self, request: Any, client_address: Any) -> None:
                hub._bump(1)  # balanced in shutdown_request, which socketserver always calls
                super().process_request(request, client_address)

            def shutdown_request(self, request: Any) -> None:
                try:
                    super().shutdown_request(request)
                finally:
                    hub._bump(-1)

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass

        srv = Server(("127.0.0.1", 0), Handler)
        base = f"http://127.0.0.1:{srv.server_address[1]}"
        threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self._servers.append(srv)
        return base

    def close(self) -> None:
        for srv in self._servers:
            srv.shutdown()
            srv.server_close()
        self._servers.clear()


# --------------------------------------------------------------------------- scenario preparation


@dataclass
class Prepared:
    """A scenario pointed at loopback, split into the contract's inputs and the expectations."""

    record: dict[str, Any]
    context: dict[str, Any]
    initial_state: str | None
    start_state: Json
    env: dict[str, str]
    events: list[dict[str, Any]]
    expects: list[dict[str, Any]]
    notes: list[str]


def prepare(scenario: Scenario, hub: MockHub) -> Prepared:
    notes: list[str] = []
    parts = _rewritable(scenario)
    origins: set[str] = set()

    def grab(s: str) -> str:
        origins.update(_origin(m) for m in _URL_RE.finditer(s))
        return s

    _map_strings(parts, grab)
    routes_of: dict[str, list[_Route]] = {}
    base_of: dict[str, str] = {}
    for origin in sorted(origins):
        routes: list[_Route] = []
        base_of[origin] = hub.add_server(routes)
        routes_of[base_of[origin]] = routes

    def rewrite(s: str) -> str:
        return _URL_RE.sub(lambda m: base_of[_origin(m)], s)

    p: dict[str, Any] = _map_strings(parts, rewrite)
    for entry in p.get("mockHttp") or []:
        m = _LOOPBACK_RE.match(wire_url(str(entry.get("url", ""))))
        if m and m.group(1) in routes_of:
            routes_of[m.group(1)].append(_Route(str(entry.get("method", "GET")).upper(), m.group(2), entry))

    record = dict(p.get("definition") or {})
    if "runtimeConfig" in scenario:
        record["config"] = p.get("runtimeConfig")
    raw_chart, raw_context = record.get("definition"), p.get("initialContext")
    chart: dict[str, Any] = raw_chart if isinstance(raw_chart, dict) else {}
    context: dict[str, Any] = raw_context if isinstance(raw_context, dict) else {}
    initial_state = scenario.get("initialState")
    start_state = initial_state if initial_state is not None else chart.get("initial")
    env = {str(k): str(v) for k, v in (p.get("env") or {}).items()}

    runtime_id = scenario.get("runtimeId")
    steps = p.get("steps") or []
    events = [dict(s.get("event") or {}) for s in steps]
    expects: list[dict[str, Any]] = []
    for i, s in enumerate(steps):
        x = dict(s.get("expect") or {})
        for key in ("emitted", "childWorkflowCalls"):
            if x.pop(key, None) is not None:
                notes.append(f"step {i}: {key!r} is not observable through the contract; ignored")
        if isinstance(x.get("httpCalls"), list):
            x["httpCalls"] = [_prep_call(c) for c in x["httpCalls"]]
        if isinstance(runtime_id, str) and runtime_id:
            for key in ("httpCalls", "contextIncludes", "contextEquals"):
                if key in x:
                    x[key] = _any_runtime_id(x[key], runtime_id)
        expects.append(x)
    return Prepared(record, dict(context), initial_state, start_state, env, events, expects, notes)


def _prep_call(call: Json) -> Json:
    if not isinstance(call, dict) or is_matcher(call):
        return call
    c = dict(call)
    if isinstance(c.get("url"), str):
        c["url"] = wire_url(c["url"])
    if isinstance(c.get("headers"), dict) and not is_matcher(c["headers"]):
        c["headers"] = {str(k).lower(): v for k, v in c["headers"].items()}
    return c


def _any_runtime_id(obj: Json, runtime_id: str) -> Json:
    """The contract cannot set the runtime id: an expected string equal to it matches any string."""
    if obj == runtime_id:
        return {"$type": "string"}
    if is_matcher(obj):
        return obj
    if isinstance(obj, dict):
        return {k: _any_runtime_id(v, runtime_id) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_any_runtime_id(v, runtime_id) for v in obj]
    return obj


# --------------------------------------------------------------------------- running the command


@dataclass
class Run:
    returncode: int | None
    stdout: str
    stderr: str
    timed_out: bool
    calls: list[dict[str, Any]]


def run_command(
    argv: Sequence[str], prep: Prepared, events: list[dict[str, Any]], hub: MockHub, tmp: Path, timeout: float
) -> Run:
    """Run the simulate command on `events` and collect its output and HTTP calls."""
    tag = len(events)
    files = {
        "definition": (tmp / "definition.json", prep.record),
        "context": (tmp / "context.json", prep.context),
        "events": (tmp / f"events-{tag}.json", events),
    }
    for f, data in files.values():
        f.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    cmd = [*argv, str(files["definition"][0]), "--context", str(files["context"][0])]
    cmd += ["--events", str(files["events"][0])]
    if prep.initial_state is not None:
        cmd += ["--state", str(prep.initial_state)]
    env = dict(os.environ)
    env.update(prep.env)
    for k in ("NO_PROXY", "no_proxy"):
        env[k] = ",".join(x for x in (env.get(k), "127.0.0.1", "localhost") if x)
    hub.reset()
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, env=env, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode("utf-8", "replace") if isinstance(e.stdout, bytes) else ""
        err = e.stderr.decode("utf-8", "replace") if isinstance(e.stderr, bytes) else ""
        return Run(None, out, err, True, hub.settled_calls())
    return Run(
        proc.returncode,
        proc.stdout.decode("utf-8", "replace"),
        proc.stderr.decode("utf-8", "replace"),
        False,
        hub.settled_calls(),
    )


def _parse_lines(text: str, problems: list[str]) -> list[dict[str, Any] | None]:
    lines: list[dict[str, Any] | None] = []
    for n, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except ValueError:
            problems.append(f"stdout line {n} is not JSON: {raw[:200]!r}")
            obj = None
        if obj is not None and not isinstance(obj, dict):
            problems.append(f"stdout line {n} is not a JSON object: {raw[:200]!r}")
            obj = None
        lines.append(obj)
    return lines


# --------------------------------------------------------------------------- checking


@dataclass
class Result:
    problems: list[str]
    notes: list[str]
    lines: list[dict[str, Any] | None]
    stderr: str

    @property
    def passed(self) -> bool:
        return not self.problems


@contextlib.contextmanager
def _hub() -> Iterator[MockHub]:
    hub = MockHub()
    try:
        yield hub
    finally:
        hub.close()


def check_scenario(scenario: Scenario, argv: Sequence[str], timeout: float = DEFAULT_TIMEOUT) -> Result:
    """Run `scenario` through the simulate command `argv` and compare with its expectations."""
    problems: list[str] = []
    with _hub() as hub, tempfile.TemporaryDirectory(prefix="arabesque-scenario-") as tmpdir:
        tmp = Path(tmpdir)
        prep = prepare(scenario, hub)
        n = len(prep.events)
        full = run_command(argv, prep, prep.events, hub, tmp, timeout)
        runs: dict[int, Run] = {n: full}
        for i, x in enumerate(prep.expects):
            if "httpCalls" in x:
                for k in (i, i + 1):
                    if 0 < k < n and k not in runs:
                        runs[k] = run_command(argv, prep, prep.events[:k], hub, tmp, timeout)
    for k, run in sorted(runs.items()):
        tag = "" if k == n else f" (prefix run with {k} events)"
        if run.timed_out:
            problems.append(f"command timed out after {timeout:g}s{tag}")
        elif run.returncode != 0:
            tail = (run.stderr.strip().splitlines() or [""])[-1]
            problems.append(f"command exit status {run.returncode}{tag}: {tail[:300]}")

    def calls_of(i: int) -> list[dict[str, Any]]:
        upto = runs[i + 1].calls if i + 1 in runs else []
        before = runs[i].calls if i > 0 and i in runs else []
        return upto[len(before) :]

    lines = _parse_lines(full.stdout, problems)
    _compare(prep, lines, calls_of, problems)
    return Result(problems, prep.notes, lines, full.stderr)


def run_scenario(scenario: Scenario, argv: list[str]) -> list[str]:
    """Problems found running `scenario` through the simulate command `argv` (empty = pass)."""
    return check_scenario(scenario, argv).problems


def _compare(
    prep: Prepared,
    lines: list[dict[str, Any] | None],
    calls_of: Callable[[int], list[dict[str, Any]]],
    problems: list[str],
) -> None:
    n = len(prep.events)
    if len(lines) != n + 1:
        problems.append(f"expected {n + 1} output lines (1 + {n} events), got {len(lines)}")
    head = lines[0] if lines else None
    if head is not None:
        if head.get("event", _ABSENT) is not None:
            problems.append(f"line 0: 'event' must be null, got {_show(head.get('event', _ABSENT))}")
        if head.get("state", _ABSENT) != prep.start_state:
            problems.append(
                f"line 0: state expected {_show(prep.start_state)}, got {_show(head.get('state', _ABSENT))}"
            )
        for key in ("status", "context"):
            if key not in head:
                problems.append(f"line 0: missing key {key!r}")
    for i, event in enumerate(prep.events):
        x = prep.expects[i]
        where = f"step {i} ({event.get('type')})"
        line = lines[i + 1] if i + 1 < len(lines) else None
        prev = lines[i] if i < len(lines) else None
        if line is None:
            problems.append(f"{where}: no output line")
            continue
        out: list[str] = []
        out += [f"missing key {k!r}" for k in ("event", "state", "status", "context", "error") if k not in line]
        if line.get("event") != event.get("type"):
            out.append(f"'event' expected {_show(event.get('type'))}, got {_show(line.get('event', _ABSENT))}")
        if line.get("status") not in STATUSES:
            out.append(f"status {_show(line.get('status', _ABSENT))} is not one of {STATUSES}")
        err = line.get("error")
        if err is not None and not isinstance(err, str):
            out.append(f"'error' must be null or a string, got {_show(err)}")
            err = json.dumps(err)
        if "error" in x:
            want = str(x["error"])
            if err is None:
                out.append("expected an error" + (f" containing {_show(want)}" if want else "") + ", got none")
            elif want not in err:
                out.append(f"error {_show(err)} does not contain {_show(want)}")
        elif err is not None:
            out.append(f"unexpected error: {_show(err)}")
        if err is not None and prev is not None:
            for key in ("state", "context"):
                if line.get(key, _ABSENT) != prev.get(key, _ABSENT):
                    diff = match(prev.get(key), line.get(key), f"${key}", exact=True)
                    out.append(f"contract: a rejected event must leave the {key} unchanged: {'; '.join(diff[:3])}")
        # a key missing from the line is reported above; only present values are matched
        checks: list[tuple[str, str, bool]] = [("state", "state", True), ("status", "status", True)]
        checks += [("contextIncludes", "context", False), ("contextEquals", "context", True)]
        for want_key, line_key, exact in checks:
            if want_key in x and line_key in line:
                out += match(x[want_key], line[line_key], f"${line_key}", exact=exact)
        if "httpCalls" in x:
            out += match(x["httpCalls"], calls_of(i), "$httpCalls")
        problems.extend(f"{where}: {m}" for m in out)
    problems.extend(f"unexpected extra output line {j}: {_show(lines[j])}" for j in range(n + 1, len(lines)))


def load_scenario(path: Path) -> Scenario:
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a scenario must be a JSON object")
    return data
