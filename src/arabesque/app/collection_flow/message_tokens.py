"""Use case: the collection-flow links of an e-mail get their tokens when the worker sends it.

Arabesque keeps tokens out of the context (reference §7.5), so an invitation or resubmission e-mail is emitted with a
link that has no token yet; just before sending, each such link gets a new token of its own, issued for the runtime
in a transaction of its own. The raw token then exists only in the message (and neither in the outbox row nor the
audit). A message that is sent again after a failed attempt carries a new token; the unsent one is never seen and
expires.
"""

from __future__ import annotations

from dataclasses import replace

from arabesque.app.collection_flow.tokens import token_for_runtime
from arabesque.engine import EmailCall
from arabesque.store import Database

__all__ = ["with_link_tokens"]


def with_link_tokens(db: Database, call: EmailCall, *, project_id: str, runtime_id: str) -> EmailCall:
    """`call` with a new token in every collection-flow link that has none."""
    missing = [name for name, query in call.links.items() if not query.get("token")]
    if not missing:
        return call
    with db.transaction() as tx:
        tokens = {name: token_for_runtime(tx.conn, project_id=project_id, runtime_id=runtime_id) for name in missing}
        tx.commit()
    links = {name: {**query, "token": tokens[name]} if name in tokens else query for name, query in call.links.items()}
    return replace(call, links=links)
