"""Use cases: a stored file's name, type and path, or its metadata as the API shows it, in the caller's project only
(another project's id is a 404)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from arabesque.app._time import iso
from arabesque.app.access.principal import Principal
from arabesque.app.errors import NotFound
from arabesque.store import Database, File

__all__ = ["StoredFile", "file_metadata", "get_file"]


@dataclass(frozen=True)
class StoredFile:
    path: Path
    file_name: str
    mime_type: str


def _file(s: Session, who: Principal, file_id: str) -> File:
    row = s.scalars(select(File).where(File.id == file_id, File.project_id == who.project_id)).first()
    if row is None:
        raise NotFound(f"No file with id [{file_id}] was found")
    return row


def get_file(db: Database, files_dir: Path, who: Principal, file_id: str) -> StoredFile:
    with db.read() as s:
        row = _file(s, who, file_id)
        return StoredFile(path=files_dir / row.storage_path, file_name=row.file_name, mime_type=row.mime_type)


def file_metadata(db: Database, who: Principal, file_id: str) -> dict[str, Any]:
    """What is known of a stored file; never where it is stored."""
    with db.read() as s:
        row = _file(s, who, file_id)
        return {
            "id": row.id,
            "projectId": row.project_id,
            "fileName": row.file_name,
            "mimeType": row.mime_type,
            "size": row.size,
            "sha256": row.sha256,
            "createdBy": row.created_by,
            "createdAt": iso(row.created_at),
        }
