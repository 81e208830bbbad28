"""Use case: a collection-flow token for a runtime and an end user of the caller's project
(`POST /external/workflows/create-token` and `/create-collection-flow-url`, reference §1.3b/c).

Unlike Ballerine, the runtime and the end user must be the project's own (another project's id is a 404, not a
token that 404s on every call), the runtime must still be open (a finished case's token would be revoked already:
409), and the expiry is bounded.
"""

from __future__ import annotations

from sqlalchemy import select

from arabesque.app.access.principal import ApiKeyCredentials, Principal, resolve
from arabesque.app.collection_flow.tokens import DEFAULT_EXPIRY_DAYS, IssuedToken, issue_token
from arabesque.app.definitions.lookup import definition_for
from arabesque.app.errors import NotFound
from arabesque.app.retrying import retrying
from arabesque.app.workflows.runtime import lock_runtime, require_open
from arabesque.store import Database, EndUser

__all__ = ["create_collection_flow_token"]


def create_collection_flow_token(
    db: Database,
    who: Principal | ApiKeyCredentials,
    runtime_id: str,
    end_user_id: str,
    expiry_days: int | None = None,
) -> IssuedToken:
    """A new token (and its link) for `runtime_id` as `end_user_id`, valid `expiry_days` days (0 or None: 30).
    NotFound for a runtime or end user outside the caller's project; Conflict for a finished runtime."""

    def attempt() -> IssuedToken:
        with db.transaction() as tx:
            me = resolve(tx.conn, who)
            rt = lock_runtime(tx, me.project_id, runtime_id)  # locked: it cannot complete (and revoke) meanwhile
            require_open(rt, definition_for(tx.conn, rt), "its collection flow is closed")
            found = tx.conn.execute(
                select(EndUser.id).where(EndUser.project_id == me.project_id, EndUser.id == end_user_id)
            ).scalar()
            if found is None:
                raise NotFound(f"No end user with id [{end_user_id}] was found")
            issued = issue_token(
                tx.conn,
                project_id=me.project_id,
                runtime_id=rt.id,
                end_user_id=end_user_id,
                expiry_days=expiry_days or DEFAULT_EXPIRY_DAYS,
                actor=me.actor,
            )
            tx.runtimes.audit(rt, "collection flow", me.actor, "collection-flow token created", rt.state, rt.state)
            tx.commit()
            return issued

    return retrying(attempt)
