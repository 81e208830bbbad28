"""Use case: the token holder updates its own end user row (`POST /collection-flow/end-user`, reference §2.10).

Only the token's end user, in the token's project (Ballerine's update is not project-scoped), and only the
person's own fields: the correlation id, approval state and monitoring data are not the client's to change.
"""

from __future__ import annotations

from typing import Any

from arabesque.app.access.principal import Principal
from arabesque.app.collection_flow.access import ACTOR, access_of
from arabesque.app.collection_flow.sync import END_USER_FIELDS
from arabesque.app.entities.update_entity import update_end_user
from arabesque.app.errors import NotFound
from arabesque.store import Database

__all__ = ["update_flow_end_user"]


def update_flow_end_user(db: Database, token: str | None, fields: dict[str, Any]) -> dict[str, Any]:
    """The end user after the change; NotFound when the token has no end user."""
    with db.read() as s:
        access = access_of(s.connection(), token)
    if access.end_user_id is None:
        raise NotFound("This collection-flow link has no end user")
    changes = {k: v for k, v in fields.items() if k in END_USER_FIELDS}
    return update_end_user(db, Principal(access.project_id, ACTOR), access.end_user_id, changes)
