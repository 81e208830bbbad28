"""Use cases: the token holder uploads a document file and reads what it uploaded (`POST /collection-flow/files`,
`GET /collection-flow/files/:id`): the document file store of `app/files/` with its limits and type checks.

A file uploaded through a flow is recorded as created by that runtime's flow (`collection-flow:<runtime id>`); a
token reads only such files and those its runtime's documents refer to (Ballerine returns any file of the project,
reference §7.4): another runtime's file is a 404. The uploaded name is reduced to its last path segment, printable,
so a forged name (`../../etc/passwd`, `C:\\x\\y.pdf`, control characters) stays a plain label.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from arabesque.app.access.principal import Principal
from arabesque.app.collection_flow.access import ACTOR, FlowAccess, resolve_token
from arabesque.app.errors import NotFound
from arabesque.app.files.queries import StoredFile, file_metadata, get_file
from arabesque.app.files.store_file import store_file
from arabesque.app.retrying import retrying
from arabesque.app.workflows.runtime import lock_runtime
from arabesque.store import Database, WorkflowRuntime

__all__ = ["flow_file", "flow_file_metadata", "safe_file_name", "upload_flow_file"]

_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]+")


def safe_file_name(name: str) -> str:
    """The last segment of `name` (after `/` or `\\`), without control characters, at most 200 characters."""
    last = re.split(r"[\\/]", name or "")[-1]
    cleaned = _UNPRINTABLE.sub("", last).strip().lstrip(".")
    return cleaned[:200] or "file"


def _owner(access: FlowAccess) -> str:
    return f"{ACTOR}:{access.runtime_id}"


def upload_flow_file(
    db: Database, files_dir: Path, token: str | None, file_name: str, mime_type: str, content: bytes
) -> dict[str, Any]:
    """Store the file for the token's runtime: `{id, mimeType, fileName, size}`; the upload is on the runtime's
    timeline (the file itself enters the case when a sync puts its id into a document)."""
    access = resolve_token(db, token)
    who = Principal(access.project_id, _owner(access))
    stored = store_file(db, files_dir, who, safe_file_name(file_name), mime_type, content)

    def audit() -> None:
        with db.transaction() as tx:
            rt = lock_runtime(tx, access.project_id, access.runtime_id)
            details = {"fileId": stored["id"], "fileName": stored["fileName"], "mimeType": stored["mimeType"]}
            tx.runtimes.audit(rt, "collection flow", ACTOR, "file uploaded", rt.state, rt.state, details)
            tx.commit()

    retrying(audit)
    return stored


def _check_visible(db: Database, access: FlowAccess, file_id: str) -> Principal:
    who = Principal(access.project_id, _owner(access))
    meta = file_metadata(db, who, file_id)  # NotFound outside the project
    if meta["createdBy"] == _owner(access):
        return who
    with db.read() as s:
        rt = s.get(WorkflowRuntime, access.runtime_id)
        documents = (rt.context or {}).get("documents") if rt is not None else None
    for doc in documents if isinstance(documents, list) else []:
        for page in doc.get("pages") or [] if isinstance(doc, dict) else []:
            if isinstance(page, dict) and page.get("ballerineFileId") == file_id:
                return who
    raise NotFound(f"No file with id [{file_id}] was found")


def flow_file_metadata(db: Database, token: str | None, file_id: str) -> dict[str, Any]:
    """What is known of a file of the token's runtime (never where it is stored)."""
    access = resolve_token(db, token)
    return file_metadata(db, _check_visible(db, access, file_id), file_id)


def flow_file(db: Database, files_dir: Path, token: str | None, file_id: str) -> StoredFile:
    """A file of the token's runtime, to send back (the flow shows what was uploaded)."""
    access = resolve_token(db, token)
    return get_file(db, files_dir, _check_visible(db, access, file_id), file_id)
