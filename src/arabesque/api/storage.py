"""Ballerine's storage routes over the document file store (`files.py`: same store, same limits, same checks):
upload, a file's metadata, a file's bytes with the type it was stored as."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, UploadFile
from fastapi.params import File as FileParam
from fastapi.responses import FileResponse

from arabesque.api.deps import Caller, Db, FilesDir
from arabesque.api.files import FILE_RESPONSE, store_upload
from arabesque.api.responses import FileMetadata, StoredFile
from arabesque.api.schemas import error_responses, links
from arabesque.app.files.queries import file_metadata, get_file

router = APIRouter(prefix="/api/v1/external/storage", tags=["storage"], responses=error_responses(400, 401, 503))

_TO_FILE = links(
    201,
    "id",
    "file_id",
    ("GET", "/api/v1/external/storage/{file_id}"),
    ("GET", "/api/v1/external/storage/content/{file_id}"),
)


@router.post(
    "",
    status_code=201,
    response_model=StoredFile,
    responses=error_responses(413) | _TO_FILE,
    response_model_exclude_unset=True,
)
def upload(file: Annotated[UploadFile, FileParam()], who: Caller, db: Db, files_dir: FilesDir) -> dict[str, Any]:
    return store_upload(file, who, db, files_dir)


@router.get(
    "/{file_id}", response_model=FileMetadata, responses=error_responses(404), response_model_exclude_unset=True
)
def metadata(file_id: str, who: Caller, db: Db) -> dict[str, Any]:
    return file_metadata(db, who, file_id)


@router.get("/content/{file_id}", response_class=FileResponse, responses=error_responses(404) | FILE_RESPONSE)
def content(file_id: str, who: Caller, db: Db, files_dir: FilesDir) -> FileResponse:
    stored = get_file(db, files_dir, who, file_id)
    # inline, so an <img> or a PDF viewer can show it; the stored type is one of the allowed ones, never HTML or
    # SVG, and `nosniff` keeps a browser from guessing another
    return FileResponse(
        stored.path,
        media_type=stored.mime_type,
        filename=stored.file_name,
        content_disposition_type="inline",
        headers={"X-Content-Type-Options": "nosniff"},
    )
