"""Idempotency-Key handling inside a use case's transaction.

The first response for a (project, key) is stored with a fingerprint of the request. Within 24 hours the
same key and request return that response without running the use case again; the same key with another
request is refused (422). Two concurrent first uses race on the unique key: the loser's transaction fails
and is retried, and then finds the winner's record.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, timedelta
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from arabesque.app.errors import InvalidInput, Unprocessable
from arabesque.store import IdempotencyRecord, utcnow

__all__ = ["TTL", "idempotent", "request_fingerprint"]

TTL = timedelta(hours=24)


def request_fingerprint(operation: str, body: Any) -> str:
    canonical = json.dumps({"op": operation, "body": body}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotent(
    conn: Connection, project_id: str, key: str | None, fingerprint: str, compute: Callable[[], dict[str, Any]]
) -> dict[str, Any]:
    """`compute()`, or the response stored for `key` (in the caller's transaction, on `conn`)."""
    if key is None:
        return compute()
    if not key.strip() or len(key) > 200:
        raise InvalidInput(
            "Validation error",
            [{"path": "headers.Idempotency-Key", "message": "must be 1 to 200 characters"}],
        )
    records = IdempotencyRecord
    rec = conn.execute(
        select(records.pk, records.fingerprint, records.response, records.created_at)
        .where(records.project_id == project_id, records.key == key)
        .with_for_update()  # SQLite renders none: its write transaction holds the database lock
    ).first()
    if rec is not None:
        created = rec.created_at if rec.created_at.tzinfo else rec.created_at.replace(tzinfo=UTC)
        if utcnow() - created < TTL:
            if rec.fingerprint != fingerprint:
                raise Unprocessable("Idempotency-Key was already used with a different request")
            response: dict[str, Any] = rec.response
            return response
        conn.execute(delete(records).where(records.pk == rec.pk))
    result = compute()
    conn.execute(
        insert(records).values(
            project_id=project_id,
            key=key,
            fingerprint=fingerprint,
            status_code=200,
            response=result,
            created_at=utcnow(),
        )
    )
    return result
