"""Use case: a stored file's name, type and path, in the caller's project only (another project's id is a 404)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from arabesque.app.access.principal import Principal
from arabesque.app.errors import NotFound
from arabesque.store import Database, File

__all__ = ["StoredFile", "get_file"]


@dataclass(frozen=True)
class StoredFile:
    path: Path
    file_name: str
    mime_type: str


def get_file(db: Database, files_dir: Path, who: Principal, file_id: str) -> StoredFile:
    with db.read() as s:
        row = s.scalars(select(File).where(File.id == file_id, File.project_id == who.project_id)).first()
        if row is None:
            raise NotFound(f"No file with id [{file_id}] was found")
        return StoredFile(path=files_dir / row.storage_path, file_name=row.file_name, mime_type=row.mime_type)
