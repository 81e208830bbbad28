"""What `/run` prepares for a collection flow (reference §1.3a, §1.6), inside the run's transaction.

- `flowConfig.stepsProgress` from the definition version's UI definition, unless the context brings a `flowConfig`;
- with `config.createCollectionFlowToken`: the token's end user (an individual: the entity itself; a business: a
  new end user made from `entity.data.additionalInfo.mainRepresentative`, linked to the business as its
  representative, its id written back as `mainRepresentative.ballerineEntityId`), then, once the runtime is
  written, the token.

Unlike Ballerine, the token is never written into the context (its `metadata.token`, reference §7.5): the context
gets only `metadata.collectionFlowUrl`, the flow's address without a token (as Ballerine's is), and the link with
the token is in `/run`'s answer (`collectionFlowUrl`) and in the e-mails that send it.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select

from arabesque.app._ids import new_id
from arabesque.app.collection_flow.links import collection_flow_url
from arabesque.app.collection_flow.tokens import IssuedToken, issue_token
from arabesque.app.collection_flow.ui_definitions import page_steps
from arabesque.app.definitions.lookup import DefinitionRef
from arabesque.app.errors import InvalidInput
from arabesque.store import EndUser, EndUserBusiness, Transaction, UiDefinition, utcnow

__all__ = ["FlowPreparation", "prepare_flow", "wants_token"]

_REPRESENTATIVE = "context.entity.data.additionalInfo.mainRepresentative"


@dataclass
class FlowPreparation:
    """The context to start the runtime with, the token's end user and the entities to report in the answer."""

    context: dict[str, Any]
    end_user_id: str | None
    entities: list[dict[str, str]]

    def issue(self, tx: Transaction, project_id: str, runtime_id: str, actor: str) -> IssuedToken:
        """The token, once the runtime is in the transaction (it is written first: the token row refers to it)."""
        tx.flush()
        return issue_token(
            tx.conn, project_id=project_id, runtime_id=runtime_id, end_user_id=self.end_user_id, actor=actor
        )


def wants_token(config: dict[str, Any]) -> bool:
    return config.get("createCollectionFlowToken") is True


def prepare_flow(
    tx: Transaction,
    project_id: str,
    definition: DefinitionRef,
    context: dict[str, Any],
    config: dict[str, Any],
    kind: str,
    entity_id: str,
) -> FlowPreparation:
    """The context with `flowConfig` (and, when a token is wanted, `metadata.collectionFlowUrl` and the
    representative's id), the token's end user and the answer's `entities`. InvalidInput when a business has no
    `mainRepresentative` to send the link to."""
    if "flowConfig" not in context:
        steps = _steps_of(tx.conn, definition)
        if steps is not None:
            context = {**context, "flowConfig": {"stepsProgress": steps}}
    if not wants_token(config):
        return FlowPreparation(context, None, [])
    metadata = _object(context.get("metadata"))
    context = {**context, "metadata": {**metadata, "collectionFlowUrl": collection_flow_url()}}
    if kind == "individual":
        return FlowPreparation(context, entity_id, [{"type": "individual", "id": entity_id}])
    entity = context["entity"]
    data = _object(entity.get("data"))
    info = _object(data.get("additionalInfo"))
    person = info.get("mainRepresentative")
    if not isinstance(person, dict):
        raise InvalidInput(
            "Entity data is missing. Please provide end user data.",
            [{"path": _REPRESENTATIVE, "message": "createCollectionFlowToken needs the business's representative"}],
        )
    user_id = _add_representative(tx.conn, project_id, entity_id, person)
    person = {**person, "ballerineEntityId": user_id}
    entity = {**entity, "data": {**data, "additionalInfo": {**info, "mainRepresentative": person}}}
    entities = [{"type": "individual", "id": user_id}, {"type": "business", "id": entity_id}]
    return FlowPreparation({**context, "entity": entity}, user_id, entities)


# The steps of each definition version's UI definition (None: it has none), read once per process: a version and
# its UI definition are written in one transaction and never change. Keyed like the compiled definitions (a test
# database recreated with the same pks has other creation times).
_steps: dict[DefinitionRef, dict[str, Any] | None] = {}
_steps_lock = threading.Lock()
_STEPS_MAX = 512


def _steps_of(conn: Connection, definition: DefinitionRef) -> dict[str, Any] | None:
    with _steps_lock:
        if definition in _steps:
            found = _steps[definition]
            return copy.deepcopy(found)
    ui = conn.execute(select(UiDefinition.record).where(UiDefinition.definition_pk == definition.pk)).scalar()
    steps = page_steps(ui) if ui is not None else None
    with _steps_lock:
        if len(_steps) >= _STEPS_MAX:
            _steps.clear()
        _steps[definition] = steps
    return copy.deepcopy(steps)


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _add_representative(conn: Connection, project_id: str, business_id: str, person: dict[str, Any]) -> str:
    """A new end user for the representative (every field kept in `data`), linked to the business."""
    user_id, now = new_id(), utcnow()
    email = person.get("email")
    conn.execute(
        insert(EndUser).values(
            id=user_id,
            project_id=project_id,
            correlation_id=user_id,
            first_name=_text(person.get("firstName"), 200),
            last_name=_text(person.get("lastName"), 200),
            email=email[:320] if isinstance(email, str) else None,
            data={k: v for k, v in person.items() if k != "ballerineEntityId"},
            approval_state="NEW",
            created_at=now,
            updated_at=now,
        )
    )
    conn.execute(
        insert(EndUserBusiness).values(
            end_user_id=user_id, business_id=business_id, project_id=project_id, created_at=now
        )
    )
    return user_id
