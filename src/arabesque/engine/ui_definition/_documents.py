"""Document fields and `context.documents` (§3.8), revision warnings and the start page (§3.9, §3.11).

A document field's `valueDestination` (`documents[0].pages[0].ballerineFileId`, or a documents list inside
an array item) names three things: the documents list, the page inside the document and the key of the file
id. The index after `documents` is ignored: the document is found by `id == documentData.id`, and created
from `documentData` when missing. Attaching a file resets the document's `decision` to `{}`: a re-upload
clears the reviewer's request for it.
"""

from __future__ import annotations

import copy
import re
from typing import Any, Final

from arabesque.engine.ui_definition._fields import Field, document_id, forms_of
from arabesque.engine.ui_definition._pages import Page, page_of, pages_of
from arabesque.engine.ui_definition._paths import PathError, get_path, set_path

__all__ = ["REVISION_STATUSES", "attach_file", "document_file", "revision_warnings", "start_state"]

REVISION_STATUSES: Final = frozenset({"revision", "rejected"})
_DESTINATION: Final = re.compile(r"^(?P<list>(?:.*\.)?documents)\[\d+\]\.(?P<page>pages\[\d+\])\.(?P<key>.+)$")


def _parts(field: Field) -> tuple[str, int, str] | None:
    match = _DESTINATION.match(field.destination)
    if match is None:
        return None
    page_index = int(match.group("page")[len("pages[") : -1])
    return match.group("list"), page_index, match.group("key")


def _documents(context: dict[str, Any], list_path: str) -> list[Any]:
    documents = get_path(context, list_path)
    if not isinstance(documents, list):
        documents = []
        set_path(context, list_path, documents)
    return documents


def document_file(context: dict[str, Any], field: Field) -> dict[str, Any] | None:
    """The page entry (`{ballerineFileId, fileName, type}`) the field shows, if a file is attached."""
    parts = _parts(field)
    if parts is None:
        return None
    list_path, page_index, key = parts
    try:
        documents = get_path(context, list_path)
    except PathError:
        return None
    wanted = document_id(field)
    for document in documents if isinstance(documents, list) else []:
        if isinstance(document, dict) and document.get("id") == wanted:
            pages = document.get("pages")
            page = pages[page_index] if isinstance(pages, list) and page_index < len(pages) else None
            if isinstance(page, dict) and get_path(page, key) is not None:
                return page
    return None


def attach_file(context: dict[str, Any], field: Field, file_id: str, file_name: str, mime_type: str) -> None:
    """Put an uploaded file on the field's document in `context`, in place (§3.8 document shape)."""
    parts = _parts(field)
    if parts is None:
        raise PathError(f"{field.destination} is not <documents>[n].pages[n].<key>")
    list_path, page_index, key = parts
    documents = _documents(context, list_path)
    wanted = document_id(field)
    document = next((d for d in documents if isinstance(d, dict) and d.get("id") == wanted), None)
    if document is None:
        document = {}
        documents.append(document)
    data = field.options.get("documentData")
    for name, value in (data if isinstance(data, dict) else {}).items():
        document.setdefault(name, copy.deepcopy(value))  # what the document is (category, type...), if not set
    document["id"] = wanted
    pages = document.get("pages")
    if not isinstance(pages, list):
        pages = []
        document["pages"] = pages
    while len(pages) <= page_index:
        pages.append({})
    page: dict[str, Any] = {"fileName": file_name, "type": mime_type}
    set_path(page, key, file_id)
    pages[page_index] = page
    document["decision"] = {}


def _document_fields(page: Page, context: dict[str, Any]) -> list[Field]:
    return [
        f for form in forms_of(page.elements, context) for item in form.items for f in item if f.widget == "document"
    ]


def _all_documents(context: dict[str, Any]) -> list[dict[str, Any]]:
    """`context.documents` and every director's `additionalInfo.documents` (where §3.11 looks)."""
    found = [d for d in context.get("documents") or [] if isinstance(d, dict)]
    directors = get_path(context, "entity.data.additionalInfo.directors")
    for director in directors if isinstance(directors, list) else []:
        nested = get_path(director, "additionalInfo.documents") if isinstance(director, dict) else None
        found += [d for d in nested or [] if isinstance(d, dict)]
    return found


def revision_warnings(ui_definition: dict[str, Any], context: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Per page state, the documents a reviewer asked to replace: `{state: {document id: reason}}`.

    A document counts when its `decision.status` is `revision` or `rejected` and a document field of some
    page writes it; the reason is the decision's `revisionReason`."""
    flagged: dict[str, str] = {}
    for document in _all_documents(context):
        decision = document.get("decision")
        if isinstance(decision, dict) and decision.get("status") in REVISION_STATUSES:
            reason = decision.get("revisionReason") or decision.get("rejectionReason") or ""
            flagged[str(document.get("id"))] = str(reason)
    warnings: dict[str, dict[str, str]] = {}
    if not flagged:
        return warnings
    for page in pages_of(ui_definition):
        for field in _document_fields(page, context):
            wanted = document_id(field)
            if wanted in flagged:
                warnings.setdefault(page.state_name, {})[wanted] = flagged[wanted]
    return warnings


def start_state(ui_definition: dict[str, Any], context: dict[str, Any]) -> str | None:
    """Where the flow opens: the first page with revision warnings, else `flowConfig.appState` when it names
    a page (or `finish`), else the first page; None for a UI definition without pages."""
    pages = pages_of(ui_definition)
    if not pages:
        return None
    warnings = revision_warnings(ui_definition, context)
    for page in pages:
        if page.state_name in warnings:
            return page.state_name
    flow = context.get("flowConfig")
    app_state = flow.get("appState") if isinstance(flow, dict) else None
    if isinstance(app_state, str) and (
        page_of(pages, app_state) is not None or app_state in ("finish", "approved", "rejected")
    ):
        return app_state
    return pages[0].state_name
