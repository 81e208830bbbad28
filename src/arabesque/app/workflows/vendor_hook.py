"""Use case: a vendor's callback (`POST /external/workflows/{id}/hook/{event}`, external-api.md §3).

Authenticated only by `X-HMAC-Signature`: the hex HMAC-SHA256 of the raw body, keyed with the project secret
`UNIFIED_API_SHARED_SECRET` of the runtime's project, compared in constant time. A project without that secret
accepts no callback (Ballerine signs with an empty key then, D7), and an unknown runtime gets the same 401 as a
wrong signature: an unauthenticated caller learns nothing of which ids exist, and another project's runtime is
checked against that project's secret, so it is refused alike. The check reads the runtime's project and the
secret and opens no write transaction: a forged callback costs no lock.

Then in one transaction: lock the runtime, refuse a replay (the same runtime, event and body within 24 hours,
through the `Idempotency-Key` records: the first answer again, no second effect), refuse a finished runtime (409)
or an event its state does not accept (400: nothing changes), deep-merge the body normalised per `processName`
(`hook_response.py`) at `resultDestination` with arrays replaced, step the event, and write the snapshot, the
audit record (actor `hook`), the outbox rows and the webhooks together. A `kyc-unified-api` body's images are
decoded and written to disk before the transaction and recorded in it (removed again if it does not commit).
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from arabesque.app.definitions.lookup import definition_for
from arabesque.app.errors import InvalidInput, Unauthorized
from arabesque.app.files.remote_pages import PageSources, RemotePages, load_data_uris
from arabesque.app.input_text import json_problems
from arabesque.app.limits import check_context_size
from arabesque.app.retrying import retrying
from arabesque.app.secrets.project_secrets import project_secret
from arabesque.app.workflows.hook_response import StoredImage, hook_context, kyc_images, parse_destination
from arabesque.app.workflows.idempotency import idempotent
from arabesque.app.workflows.runtime import env_of, lock_runtime, require_open, snapshot_of
from arabesque.app.workflows.steps import apply_step, checked_step
from arabesque.engine import Event, next_events
from arabesque.engine.merge import deep_merge_with_options
from arabesque.store import Database, WorkflowRuntime

__all__ = ["HOOK_ACTOR", "HOOK_SECRET", "VendorCallback", "receive_callback", "signature_of"]

HOOK_SECRET = "UNIFIED_API_SHARED_SECRET"
HOOK_ACTOR = "hook"
_INVALID = "Invalid signature"

log = logging.getLogger("arabesque.hooks")


@dataclass(frozen=True)
class VendorCallback:
    runtime_id: str
    event: str
    body: bytes  # as received: the signature is of these bytes
    signatures: list[str]  # every `X-HMAC-Signature` header value
    result_destination: str | None = None
    process_name: str | None = None


def signature_of(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def receive_callback(db: Database, callback: VendorCallback, files: PageSources) -> dict[str, Any]:
    """The runtime's new state, or the first answer to the same callback (see the module docstring)."""
    project_id = _authenticate(db, callback)
    body = _parse(callback.body)
    path = parse_destination(callback.result_destination)
    # The replay key: runtime, event and the body's hash (the query is not signed, so it is not part of it).
    digest = hashlib.sha256(callback.body).hexdigest()
    fingerprint = hashlib.sha256(json.dumps([callback.runtime_id, callback.event, digest]).encode()).hexdigest()
    # A body the process cannot read is refused before anything is written (the context's part is checked again,
    # against the runtime's context, in the transaction).
    hook_context({}, body, path, callback.process_name)
    images = load_data_uris(db, project_id, kyc_images(body, callback.process_name), files)

    def attempt() -> dict[str, Any]:
        images.recorded = False
        with db.transaction() as tx:
            rt = lock_runtime(tx, project_id, callback.runtime_id)

            def compute() -> dict[str, Any]:
                defn = definition_for(tx.conn, rt)
                require_open(rt, defn, "it accepts no callbacks")
                snap = snapshot_of(rt)
                allowed = next_events(defn, snap)
                if callback.event not in allowed:
                    message = f"{callback.event!r} is not accepted in state {rt.state!r}; allowed: {allowed}"
                    raise InvalidInput(
                        f"Event {callback.event} does not exist for the current state {rt.state!r}",
                        [{"path": "path.event", "message": message}],
                    )
                stored = [StoredImage(c.file_id, c.mime_type) for c in images.copied]
                new_context = hook_context(rt.context, body, path, callback.process_name, stored)
                check_context_size(new_context, "body")
                merged = deep_merge_with_options(rt.context, new_context, "replace")
                result = checked_step(
                    defn, dataclasses.replace(snap, context=merged), Event(callback.event), env_of(rt)
                )
                apply_step(tx, rt, defn, result, HOOK_ACTOR, callback.event, kind="hook")
                images.record(tx.conn, project_id, HOOK_ACTOR)
                return {"workflowRuntimeId": rt.id, "event": callback.event, "state": rt.state, "status": rt.status}

            out = idempotent(tx.conn, project_id, f"hook:{fingerprint}", fingerprint, compute)
            tx.commit()
            return out

    return _settled(images, lambda: retrying(attempt))


def _settled(images: RemotePages, run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """`run()`; the images it wrote stay only if it committed them."""
    committed = False
    try:
        out = run()
        committed = True
    finally:
        images.settle(committed)
    return out


def _authenticate(db: Database, callback: VendorCallback) -> str:
    """The runtime's project, once the signature is checked with its secret; Unauthorized otherwise."""
    with db.read() as s:
        project_id = s.scalar(select(WorkflowRuntime.project_id).where(WorkflowRuntime.id == callback.runtime_id))
    if project_id is None:
        raise Unauthorized(_INVALID)
    secret = project_secret(db, project_id, HOOK_SECRET)
    if not secret:
        log.warning("vendor callback refused: the project has no %s secret", HOOK_SECRET)
        raise Unauthorized(_INVALID)
    if len(callback.signatures) != 1:  # a repeated header is refused, as Ballerine's (joined) check does
        raise Unauthorized(_INVALID)
    given = callback.signatures[0].strip().lower().encode("utf-8", "replace")
    if not hmac.compare_digest(given, signature_of(secret, callback.body).encode()):
        raise Unauthorized(_INVALID)
    return str(project_id)


def _parse(raw: bytes) -> Any:
    """The body: a JSON object or array (an empty body is `{}`); a 400 naming `body` otherwise."""
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        raise InvalidInput(
            "The body is not JSON", [{"path": "body", "message": "must be a JSON object or array"}]
        ) from None
    if not isinstance(body, dict | list):
        raise InvalidInput(
            "The body is not a JSON object or array", [{"path": "body", "message": "must be a JSON object or array"}]
        )
    # Only an escape can put a NUL or a lone surrogate in parsed JSON (a raw control character is not JSON).
    problems = json_problems(body, "body") if b"\\u" in raw else []
    if problems:
        raise InvalidInput("Invalid characters in the input", problems)
    return body
