"""Who holds a collection-flow token: `resolve_token` turns the raw token into a `FlowAccess` (its project,
runtime, end user, UI definition, language), or raises `Unauthorized`.

Constant-time by construction: the token is looked up by its SHA-256 (an index lookup on a value the caller
cannot steer toward a stored one), never compared character by character. Both surfaces call it: the API maps
`Unauthorized` to 401, the end-user pages to a page that says the link is invalid or expired.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, bindparam, select

from arabesque.app.collection_flow.tokens import hash_token
from arabesque.app.errors import Unauthorized
from arabesque.observability.logs import annotate
from arabesque.store import CollectionFlowToken, Database, Prepared, UiDefinition, WorkflowRuntime, table, utcnow

__all__ = ["ACTOR", "MAX_TOKEN_CHARS", "FlowAccess", "access_of", "resolve_token", "token_of_header"]

ACTOR = "collection-flow"  # how the audit trail names the token holder ("Client" in Case Management)
MAX_TOKEN_CHARS = 200  # ours are 43; a longer value is refused before it is hashed or looked up


@dataclass(frozen=True)
class FlowAccess:
    """What a valid token opens: one runtime of one project, as one end user (None where the token has none),
    with the UI definition the flow shows (None: the definition version has none) and the runtime's language."""

    project_id: str
    runtime_id: str
    end_user_id: str | None
    business_id: str | None
    definition_pk: int
    ui_definition_id: str | None
    language: str

    @property
    def actor(self) -> str:
        return ACTOR


def token_of_header(authorization: str | None) -> str:
    """The token of `Authorization: <scheme> <token>` (Ballerine reads the second word, whatever the scheme);
    Unauthorized when there is none."""
    if not authorization:
        raise Unauthorized("Missing Authorization header: 'Bearer <collection-flow token>'")
    parts = authorization.strip().split()
    if len(parts) != 2:
        raise Unauthorized("Authorization must be 'Bearer <collection-flow token>'")
    return parts[1]


def resolve_token(db: Database, raw: str | None) -> FlowAccess:
    """The access a raw token gives; Unauthorized when it is missing, malformed, unknown, expired or revoked."""
    with db.read() as s:
        return access_of(s.connection(), raw)


def access_of(conn: Connection, raw: str | None) -> FlowAccess:
    """`resolve_token` on the caller's connection (a write use case checks the token in its own transaction)."""
    if not raw or len(raw) > MAX_TOKEN_CHARS or not raw.isascii():
        raise Unauthorized("Invalid collection-flow token")
    row = _LOOKUP.first(conn, {"token_hash": hash_token(raw)})
    if row is None:
        raise Unauthorized("Invalid collection-flow token")
    project_id, runtime_id, end_user_id, token_ui, expires, revoked, business_id, pk, config, status, definition_ui = (
        row
    )
    if revoked is not None or status != "active":
        raise Unauthorized("This collection-flow link has been closed: the case is finished")
    if _aware(expires) <= utcnow():
        raise Unauthorized("This collection-flow link has expired")
    language = (config or {}).get("language")
    annotate(project_id=project_id, runtime_id=runtime_id)
    return FlowAccess(
        project_id=project_id,
        runtime_id=runtime_id,
        end_user_id=end_user_id,
        business_id=business_id,
        definition_pk=pk,
        # The token's own UI definition (attach-ui-definition) wins over the definition version's, so the
        # choice is never ambiguous (Ballerine takes whichever row comes first, reference §7.11).
        ui_definition_id=token_ui or definition_ui,
        language=language if isinstance(language, str) and language else "en",
    )


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


_t, _r, _u = table(CollectionFlowToken).c, table(WorkflowRuntime).c, table(UiDefinition).c
_LOOKUP = Prepared(
    select(
        _t.project_id,
        _t.runtime_id,
        _t.end_user_id,
        _t.ui_definition_id,
        _t.expires_at,
        _t.revoked_at,
        _r.business_id,
        _r.definition_pk,
        _r.config,
        _r.status,
        _u.id,
    )
    .select_from(table(CollectionFlowToken))
    .join(table(WorkflowRuntime), (_r.id == _t.runtime_id) & (_r.project_id == _t.project_id))
    .outerjoin(table(UiDefinition), _u.definition_pk == _r.definition_pk)
    .where(_t.token_hash == bindparam("token_hash"))
)
