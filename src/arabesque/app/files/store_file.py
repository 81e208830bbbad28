"""Use case: store an uploaded document file in the caller's project.

Files live under `<files_dir>/<project id>/<file id>` (directories 0700, files 0600: identity documents are
for the service's own user only); the row records name, type, size and SHA-256.
The declared content type must be one of ALLOWED_TYPES and, for PDF and images, match the file's magic bytes.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select

from arabesque.app._ids import new_id
from arabesque.app.access.principal import Principal
from arabesque.app.errors import InvalidInput, TooLarge
from arabesque.store import Database, File
from arabesque.store.private_files import make_private_dir, write_private_file

__all__ = ["ALLOWED_TYPES", "MAX_FILE_BYTES", "TOO_LARGE", "discard_files", "store_file"]

MAX_FILE_BYTES = 10 * 1024 * 1024
TOO_LARGE = "File size exceeds 10 MB"
ALLOWED_TYPES = {
    "application/pdf": (b"%PDF",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/jpg": (b"\xff\xd8\xff",),
    "text/csv": (),
    "application/csv": (),
    "application/vnd.ms-excel": (),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (b"PK",),
}


def store_file(
    db: Database, files_dir: Path, who: Principal, file_name: str, mime_type: str, content: bytes
) -> dict[str, Any]:
    mime_type = (mime_type or "").split(";")[0].strip().lower()
    if mime_type not in ALLOWED_TYPES:
        raise InvalidInput(
            "Unsupported file type",
            [
                {
                    "path": "file",
                    "message": f"content type {mime_type!r} is not one of {sorted(ALLOWED_TYPES)}",
                }
            ],
        )
    magics = ALLOWED_TYPES[mime_type]
    if magics and not any(content.startswith(m) for m in magics):
        raise InvalidInput("Unsupported file type", [{"path": "file", "message": f"content is not {mime_type}"}])
    if len(content) > MAX_FILE_BYTES:
        raise TooLarge(
            f"File size exceeds {MAX_FILE_BYTES // (1024 * 1024)} MB",
            [{"path": "file", "message": "too large"}],
        )
    if not content:
        raise InvalidInput("Empty file", [{"path": "file", "message": "the file is empty"}])
    file_id = new_id()
    target = files_dir / who.project_id / file_id
    make_private_dir(target.parent)
    write_private_file(target, content)
    safe_name = Path(file_name or "file").name[:500]
    try:
        with db.write() as s:
            s.add(
                File(
                    id=file_id,
                    project_id=who.project_id,
                    file_name=safe_name,
                    mime_type=mime_type,
                    size=len(content),
                    sha256=hashlib.sha256(content).hexdigest(),
                    storage_path=str(target.relative_to(files_dir)),
                    created_by=who.actor,
                )
            )
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return {"id": file_id, "fileName": safe_name, "mimeType": mime_type, "size": len(content)}


def discard_files(db: Database, files_dir: Path, who: Principal, file_ids: list[str]) -> None:
    """Remove files stored for something that was then not created (their rows, then their bytes): a case whose
    creation failed after its attachments were stored leaves nothing behind."""
    if not file_ids:
        return
    with db.write() as s:
        paths = s.scalars(
            select(File.storage_path).where(File.project_id == who.project_id, File.id.in_(file_ids))
        ).all()
        s.execute(delete(File).where(File.project_id == who.project_id, File.id.in_(file_ids)))
    for path in paths:
        (files_dir / path).unlink(missing_ok=True)
