"""Collection-flow tokens: issue one (in the caller's transaction), revoke a runtime's, and the bounds on expiry.

A token is `secrets.token_urlsafe(32)` (256 bits); only its SHA-256 is stored (`CollectionFlowToken`), so a copy of
the table opens no flow. The raw token exists in the answer to whoever asked for it (the API caller, the e-mail
that carries the link) and nowhere else: never in the case context, the audit trail or a webhook.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from sqlalchemy import Connection, insert, select, update

from arabesque.app.collection_flow.links import collection_flow_url
from arabesque.store import CollectionFlowToken, WorkflowRuntime, utcnow

__all__ = [
    "DEFAULT_EXPIRY_DAYS",
    "MAX_EXPIRY_DAYS",
    "IssuedToken",
    "has_collection_flow",
    "hash_token",
    "issue_token",
    "link_for_runtime",
    "revoke_runtime_tokens",
    "token_for_runtime",
]

DEFAULT_EXPIRY_DAYS = 30
MAX_EXPIRY_DAYS = 365  # a link in an e-mail should not open a case's data for years


class IssuedToken:
    """A token just issued: the raw value (shown once) and the link that carries it."""

    __slots__ = ("token", "url")

    def __init__(self, token: str) -> None:
        self.token = token
        self.url = collection_flow_url(token)


def hash_token(raw: str) -> str:
    """What is stored of a token: its SHA-256, hex."""
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def issue_token(
    conn: Connection,
    *,
    project_id: str,
    runtime_id: str,
    end_user_id: str | None,
    ui_definition_id: str | None = None,
    expiry_days: int = DEFAULT_EXPIRY_DAYS,
    actor: str = "SYSTEM",
) -> IssuedToken:
    """Store a new token for `runtime_id` on `conn` (the caller's transaction; the runtime row must already be
    written) and return it. Older tokens of the runtime stay valid, as in Ballerine."""
    if ui_definition_id is None:
        # The UI definition an attach-ui-definition plugin chose for the runtime stays its flow's.
        ui_definition_id = conn.execute(
            select(CollectionFlowToken.ui_definition_id)
            .where(CollectionFlowToken.runtime_id == runtime_id, CollectionFlowToken.ui_definition_id.is_not(None))
            .order_by(CollectionFlowToken.created_at.desc())
            .limit(1)
        ).scalar()
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    conn.execute(
        insert(CollectionFlowToken).values(
            token_hash=hash_token(raw),
            project_id=project_id,
            runtime_id=runtime_id,
            end_user_id=end_user_id,
            ui_definition_id=ui_definition_id,
            created_by=actor,
            created_at=now,
            expires_at=now + timedelta(days=expiry_days),
            revoked_at=None,
        )
    )
    return IssuedToken(raw)


def link_for_runtime(
    conn: Connection, *, project_id: str, runtime_id: str, language: str | None = None, actor: str = "SYSTEM"
) -> str:
    """A new token's link for a runtime (`token_for_runtime`), `&lng=` when a language is given."""
    token = token_for_runtime(conn, project_id=project_id, runtime_id=runtime_id, actor=actor)
    url = collection_flow_url(token)
    return f"{url}&lng={quote(language, safe='')}" if language else url


def token_for_runtime(conn: Connection, *, project_id: str, runtime_id: str, actor: str = "SYSTEM") -> str:
    """A new raw token for a runtime, for a message that carries it (the invitation and resubmission e-mails: the
    worker calls this when it sends the message, so the token exists only in the message). Its end user is that of
    the runtime's latest token, else the runtime's own."""
    end_user_id = conn.execute(
        select(CollectionFlowToken.end_user_id)
        .where(CollectionFlowToken.runtime_id == runtime_id, CollectionFlowToken.end_user_id.is_not(None))
        .order_by(CollectionFlowToken.created_at.desc())
        .limit(1)
    ).scalar()
    if end_user_id is None:
        end_user_id = conn.execute(
            select(WorkflowRuntime.end_user_id).where(
                WorkflowRuntime.id == runtime_id, WorkflowRuntime.project_id == project_id
            )
        ).scalar()
    return issue_token(conn, project_id=project_id, runtime_id=runtime_id, end_user_id=end_user_id, actor=actor).token


def has_collection_flow(context: dict[str, Any]) -> bool:
    """Whether a runtime's context shows a collection flow (its `flowConfig`, or the flow's address in `metadata`):
    the runtimes whose tokens are revoked, row by row, when they finish. Any other runtime's token (one made by
    `create-token` for a case without a flow) is refused all the same once its case is finished (`access.py` reads
    the runtime's status with the token): the check costs the hot paths no statement."""
    metadata = context.get("metadata")
    return isinstance(context.get("flowConfig"), dict) or (
        isinstance(metadata, dict) and "collectionFlowUrl" in metadata
    )


def revoke_runtime_tokens(conn: Connection, runtime_id: str) -> None:
    """Revoke every token of a runtime (it has finished: nothing is left to collect)."""
    conn.execute(
        update(CollectionFlowToken)
        .where(CollectionFlowToken.runtime_id == runtime_id, CollectionFlowToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
