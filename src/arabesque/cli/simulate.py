"""`arabesque simulate`: run a definition on a list of events, in process, and print JSON Lines.

Effects are executed as they come, depth first, so plugin calls and their callback cascades happen in
Ballerine's order. E-mails are not sent: each e-mail effect is delivered unless `--emails` (a JSON object keyed
by plugin name) gives its plugin `{"error": "..."}`, so a scenario decides which way each e-mail goes.

Each event is all-or-nothing: if anything in its cascade is refused, its line carries
the error and the state and context from before the event.
"""

from __future__ import annotations

import json
import sys
import time
from collections import deque
from pathlib import Path
from typing import Any, TextIO

import httpx

from arabesque.app.limits import current_limits
from arabesque.effects.http import HttpExecutor, Secrets
from arabesque.engine import (
    Definition,
    DefinitionError,
    EmailCall,
    Env,
    Event,
    HttpCall,
    HttpOutcome,
    Snapshot,
    StepError,
    apply_outcome,
    load_definition,
    start,
    step,
)

__all__ = ["run_event", "simulate_files"]

RUNTIME_ID = "simulate"


class InputError(Exception):
    """An input file is unreadable or malformed; the message names the file and the problem."""


def simulate_files(
    definition_path: Path,
    context_path: Path | None,
    state: str | None,
    events_path: Path | None,
    secrets_path: Path | None = None,
    emails_path: Path | None = None,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    try:
        record = _read_json(definition_path)
        try:
            definition = load_definition(record)
        except DefinitionError as exc:
            raise InputError(f"{definition_path}: invalid definition: {exc}") from exc
        context = _read_json(context_path) if context_path else {}
        if not isinstance(context, dict):
            raise InputError(f"{context_path}: the context must be a JSON object")
        events = _read_events(events_path) if events_path else []
        store = _read_secrets(secrets_path) if secrets_path else None
        emails = _read_emails(emails_path) if emails_path else {}
        if state is not None and state not in definition.states:
            raise InputError(f'{definition_path}: --state "{state}" is not a state of this definition')
    except InputError as exc:
        print(str(exc), file=err)
        return 2
    for warning in definition.warnings:
        print(f"warning: {definition_path}: {warning}", file=err)

    config = record.get("config")
    snapshot = start(definition, context, state)
    _emit(out, {"event": None, "state": snapshot.state, "status": snapshot.status, "context": snapshot.context})
    with httpx.Client() as client:
        executor = HttpExecutor(client, Secrets(store=store.get if store is not None else None))
        for event in events:
            # The service's evaluation limits and step time apply here too: a runaway guard ends the event
            # with its budget error on the event's line.
            runtime_config = config if isinstance(config, dict) else None
            env = current_limits().env(RUNTIME_ID, runtime_config, int(time.time() * 1000))
            error = None
            try:
                snapshot = run_event(definition, snapshot, event, env, executor, emails)
            except StepError as exc:
                error = str(exc)
            line = {"event": event.type, "state": snapshot.state, "status": snapshot.status}
            _emit(out, {**line, "context": snapshot.context, "error": error})
    return 0


def run_event(
    definition: Definition,
    snapshot: Snapshot,
    event: Event,
    env: Env,
    executor: HttpExecutor,
    emails: dict[str, str | None] | None = None,
) -> Snapshot:
    """Step, then perform the effects depth first, feeding each outcome back; raise to refuse.

    `emails` maps an e-mail plugin's name to the error its delivery fails with (absent or None: delivered)."""
    result = step(definition, snapshot, event, env)
    snapshot = result.snapshot
    queue = deque(result.effects)
    while queue:
        effect = queue.popleft()
        if isinstance(effect, EmailCall):
            outcome = HttpOutcome(effect.id, error=(emails or {}).get(effect.plugin))
        elif isinstance(effect, HttpCall):
            outcome = executor.execute(effect)
        else:
            continue  # child starts are accepted and not run here; notifications have no subscribers
        if not effect.awaits_outcome:
            continue
        applied = apply_outcome(definition, snapshot, outcome, env)
        if applied.rejected:
            raise StepError(applied.rejected)
        snapshot = applied.snapshot
        queue.extendleft(reversed(applied.effects))
    return snapshot


def _emit(out: TextIO, line: dict[str, Any]) -> None:
    out.write(json.dumps(line, ensure_ascii=False) + "\n")
    out.flush()


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise InputError(f"{path}: invalid JSON: {exc}") from exc


def _read_secrets(path: Path) -> dict[str, str]:
    raw = _read_json(path)
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        raise InputError(f"{path}: secrets must be a JSON object of string values")
    return raw


def _read_emails(path: Path) -> dict[str, str | None]:
    raw = _read_json(path)
    if not isinstance(raw, dict):
        raise InputError(f'{path}: e-mail outcomes must be a JSON object: {{"<plugin>": "sent" | {{"error": "..."}}}}')
    outcomes: dict[str, str | None] = {}
    for name, value in raw.items():
        if value == "sent":
            outcomes[name] = None
        elif isinstance(value, dict) and isinstance(value.get("error"), str) and value["error"]:
            outcomes[name] = value["error"]
        else:
            raise InputError(f'{path}: {name}: must be "sent" or {{"error": "<message>"}}')
    return outcomes


def _read_events(path: Path) -> list[Event]:
    raw = _read_json(path)
    if not isinstance(raw, list):
        raise InputError(f"{path}: events must be a JSON array of {{type, payload?}}")
    events = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or not isinstance(item.get("type"), str) or not item["type"]:
            raise InputError(f"{path}: [{i}].type: required, a non-empty string")
        if item.get("payload") is not None and not isinstance(item["payload"], dict):
            raise InputError(f"{path}: [{i}].payload: must be an object")
        events.append(Event.from_json(item))
    return events
