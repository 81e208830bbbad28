"""Document files: multipart upload and download, scoped to the caller's project (`storage.py` serves the same
store at Ballerine's `/external/storage` paths)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, UploadFile
from fastapi.params import File as FileParam
from fastapi.responses import FileResponse

from arabesque.api.deps import Caller, Db, FilesDir
from arabesque.api.responses import StoredFile
from arabesque.api.schemas import error_responses, links
from arabesque.app.access.principal import Principal
from arabesque.app.errors import TooLarge
from arabesque.app.files.queries import get_file
from arabesque.app.files.store_file import ALLOWED_TYPES, MAX_FILE_BYTES, store_file
from arabesque.app.input_text import check_fields
from arabesque.store import Database

__all__ = ["FILE_RESPONSE", "read_upload", "router", "store_upload"]

router = APIRouter(prefix="/api/v1/external/files", tags=["files"], responses=error_responses(400, 401, 503))


def read_upload(file: UploadFile) -> tuple[str, str, bytes]:
    """(name, content type, bytes) of a multipart `file` part: its name and type checked for text the database
    cannot store, its size read no further than the limit."""
    check_fields([("filename", file.filename or ""), ("content-type", file.content_type or "")], prefix="file")
    content = file.file.read(MAX_FILE_BYTES + 1)
    if len(content) > MAX_FILE_BYTES:
        raise TooLarge(
            f"File size exceeds {MAX_FILE_BYTES // (1024 * 1024)} MB",
            [{"path": "file", "message": "too large"}],
        )
    return file.filename or "file", file.content_type or "", content


def store_upload(file: UploadFile, who: Principal, db: Database, files_dir: Path) -> dict[str, Any]:
    """Store a multipart `file` part (`read_upload`) in the caller's project."""
    name, mime_type, content = read_upload(file)
    return store_file(db, files_dir, who, name, mime_type, content)


@router.post(
    "",
    status_code=201,
    response_model=StoredFile,
    responses=error_responses(413) | links(201, "id", "file_id", ("GET", "/api/v1/external/files/{file_id}")),
    response_model_exclude_unset=True,
)
def upload(file: Annotated[UploadFile, FileParam()], who: Caller, db: Db, files_dir: FilesDir) -> dict[str, Any]:
    return store_upload(file, who, db, files_dir)


# The file's bytes, as the type it was uploaded as (one of ALLOWED_TYPES).
FILE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file",
        "content": {media: {"schema": {"type": "string", "format": "binary"}} for media in ALLOWED_TYPES},
    }
}


@router.get("/{file_id}", response_class=FileResponse, responses=error_responses(404) | FILE_RESPONSE)
def download(file_id: str, who: Caller, db: Db, files_dir: FilesDir) -> FileResponse:
    stored = get_file(db, files_dir, who, file_id)
    return FileResponse(stored.path, media_type=stored.mime_type, filename=stored.file_name)
