"""The collection flow's records: UI definitions (one per definition version) and the end users' tokens.

Kept beside `models.py` (same `Base`, same naming convention, migration 0013) so the collection flow's tables read
as one unit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from arabesque.store.models import Base, utcnow

__all__ = ["CollectionFlowToken", "UiDefinition"]


class UiDefinition(Base):
    """A collection-flow UI definition (Ballerine's `UiDefinition` with `uiContext = collection_flow`): the pages,
    the browser statechart, theme, locales and options, as `record`. One per definition version (`definition_pk`),
    so a new version of a definition never changes what a running case's flow shows."""

    __tablename__ = "ui_definition"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("project.id"), index=True)
    definition_pk: Mapped[int] = mapped_column(ForeignKey("workflow_definition.pk"), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    record: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CollectionFlowToken(Base):
    """A token that opens one runtime's collection flow. Only the SHA-256 of the token is stored (it has 256 bits
    of entropy: a fast hash will do, and the lookup by hash takes the same time whatever the guess). Scoped to a
    project, a runtime and, where Ballerine has one, an end user; it expires, and it is revoked in the transaction
    that completes its runtime."""

    __tablename__ = "collection_flow_token"
    __table_args__ = (Index(None, "runtime_id"),)
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("project.id"))
    runtime_id: Mapped[str] = mapped_column(ForeignKey("workflow_runtime.id"))
    end_user_id: Mapped[str | None] = mapped_column(ForeignKey("end_user.id"))
    ui_definition_id: Mapped[str | None] = mapped_column(ForeignKey("ui_definition.id"))
    created_by: Mapped[str] = mapped_column(String(200), default="SYSTEM")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
