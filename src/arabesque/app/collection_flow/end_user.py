"""Use case: the token holder updates its own end user row (`POST /collection-flow/end-user`, reference §2.10).

Only the token's end user, in the token's project (Ballerine's update is not project-scoped), only the person's own
fields (the correlation id, approval state and monitoring data are not the client's to change), only while the case
is open; audited on the runtime's timeline in the same transaction.
"""

from __future__ import annotations

from typing import Any

from arabesque.app.collection_flow._flow import lock_flow
from arabesque.app.collection_flow.access import ACTOR
from arabesque.app.collection_flow.sync import END_USER_FIELDS, update_entity
from arabesque.app.entities.queries import end_user_json
from arabesque.app.errors import NotFound
from arabesque.app.retrying import retrying
from arabesque.store import Database, EndUser

__all__ = ["flow_end_user_json", "update_flow_end_user"]


def flow_end_user_json(row: EndUser) -> dict[str, Any]:
    return {**end_user_json(row), "firstName": row.first_name, "lastName": row.last_name, "email": row.email}


def update_flow_end_user(db: Database, token: str | None, fields: dict[str, Any]) -> dict[str, Any]:
    """The end user after the change; NotFound when the token has no end user, Conflict when the case is finished."""
    changes = {k: v for k, v in fields.items() if k in END_USER_FIELDS}

    def attempt() -> str:
        with db.transaction() as tx:
            flow = lock_flow(tx, token)
            access, rt = flow.access, flow.runtime
            if access.end_user_id is None:
                raise NotFound("This collection-flow link has no end user")
            update_entity(tx, EndUser, access.project_id, access.end_user_id, changes)
            details = {"fields": sorted(changes)}  # the names of the fields, not their values
            tx.runtimes.audit(rt, "collection flow", ACTOR, "end user updated", rt.state, rt.state, details)
            tx.commit()
            return access.end_user_id

    end_user_id = retrying(attempt)
    with db.read() as s:
        row = s.get(EndUser, end_user_id)
        if row is None:
            raise NotFound("This collection-flow link has no end user")
        return flow_end_user_json(row)
