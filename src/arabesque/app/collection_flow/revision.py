"""What a reviewer's revision request re-opens (reference §3.11): the pages holding a document whose decision is
`revision` (or `rejected`), each with the reviewer's reason, and the page the flow starts on.

Ballerine's renderer works this out from the context when the link is opened; so does this, for every client (the
end-user pages, the API's `context` answer): the stored `flowConfig` is the client's, the decisions the reviewer's.
Documents are matched by id with the pages' document fields (`options.documentData.id`), at the top level of
`context.documents`. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["RevisionPage", "RevisionRequest", "revision_request"]

_REOPENING = ("revision", "rejected")


@dataclass(frozen=True)
class RevisionPage:
    state_name: str
    number: int | None
    reasons: dict[str, str]  # document id -> the reviewer's reason ("" when none was given)

    def to_json(self) -> dict[str, Any]:
        return {"stateName": self.state_name, "number": self.number, "documents": self.reasons}


@dataclass(frozen=True)
class RevisionRequest:
    """The re-opened pages in page order; `start` is the first of them (None: no revision is asked)."""

    pages: tuple[RevisionPage, ...] = field(default=())

    @property
    def start(self) -> str | None:
        return self.pages[0].state_name if self.pages else None

    def to_json(self) -> dict[str, Any]:
        return {"isRevision": bool(self.pages), "startPage": self.start, "pages": [p.to_json() for p in self.pages]}


def _document_ids(node: Any, found: list[str], depth: int = 0) -> None:
    if depth > 60:
        return
    if isinstance(node, dict):
        options = node.get("options")
        data = options.get("documentData") if isinstance(options, dict) else None
        if isinstance(data, dict) and isinstance(data.get("id"), str):
            found.append(data["id"])
        children = node.get("elements")
        for child in children if isinstance(children, list) else []:
            _document_ids(child, found, depth + 1)
    elif isinstance(node, list):
        for child in node:
            _document_ids(child, found, depth + 1)


def revision_request(ui: dict[str, Any] | None, context: dict[str, Any]) -> RevisionRequest:
    """The pages of `ui` that hold a document the reviewer sent back, with the reasons."""
    documents = context.get("documents") if isinstance(context, dict) else None
    asked: dict[str, str] = {}
    for doc in documents if isinstance(documents, list) else []:
        decision = doc.get("decision") if isinstance(doc, dict) else None
        if isinstance(decision, dict) and decision.get("status") in _REOPENING and isinstance(doc.get("id"), str):
            reason = decision.get("revisionReason") or decision.get("rejectionReason") or ""
            asked[doc["id"]] = str(reason)
    schema = ui.get("uiSchema") if isinstance(ui, dict) else None
    pages = schema.get("elements") if isinstance(schema, dict) else None
    reopened = []
    for page in pages if isinstance(pages, list) and asked else []:
        if not isinstance(page, dict) or page.get("type") != "page" or not isinstance(page.get("stateName"), str):
            continue
        ids: list[str] = []
        _document_ids(page.get("elements"), ids)
        reasons = {i: asked[i] for i in ids if i in asked}
        if reasons:
            number = page.get("number")
            reopened.append(RevisionPage(page["stateName"], number if isinstance(number, int) else None, reasons))
    return RevisionRequest(tuple(reopened))
