"""Document pages given by `uri` (`context.documents[i].pages[j]`), copied into the file store as Ballerine's `/run`
does (external-api.md §4), minus its defects (D5): only `https://` URLs (and `http://` where private URLs are
allowed or the host is on the project's allow-list), fetched through the plugins' egress policy, and
`data:<type>;base64,...` or Ballerine's `{"provider": "base64", "uri": "<base64>"}`; anything else is refused.

In two halves, so that nothing is created when anything fails: `load_remote_pages` (before the use case's
transaction: every page checked, fetched or decoded, bounded in count and bytes, its type sniffed, then written
to disk) raises a 400 naming `context.documents[i].pages[j].uri` for each page it cannot take; the use case then,
in its transaction, rewrites the context (`RemotePages.apply`) and inserts the file rows (`RemotePages.record`),
and calls `RemotePages.discard` if the transaction does not commit.

A copied page becomes `{...page, type: <sniffed type>, ballerineFileId: <file id>}` without `fileName` (kept on
the file), as in Ballerine; a `data:` or base64 page also loses its `uri`: the bytes are in the store, and the
context (bounded in size) does not carry them twice. Pages that already have a `ballerineFileId` are left alone.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar
from urllib.parse import urlsplit

from sqlalchemy import Connection, insert

from arabesque.app._ids import new_id
from arabesque.app.access.projects import project_allowed_hosts
from arabesque.app.errors import InvalidInput
from arabesque.app.files.store_file import ALLOWED_TYPES, MAX_FILE_BYTES
from arabesque.app.retrying import retrying
from arabesque.effects.document_fetch import DEFAULT_TIMEOUT, FetchFailed, fetch_document
from arabesque.effects.egress import EgressPolicy
from arabesque.store import Database, File, table, utcnow
from arabesque.store.private_files import make_private_dir, write_private_file

__all__ = [
    "PAGE_TIMEOUT",
    "PageSources",
    "RemotePages",
    "committing",
    "load_data_uris",
    "load_remote_pages",
    "pending_pages",
    "sniff_type",
]

PAGE_TIMEOUT = DEFAULT_TIMEOUT  # seconds for one page, all of it
MAX_PAGES = 10  # pages copied by one request
MAX_TOTAL_BYTES = 3 * MAX_FILE_BYTES  # bytes copied by one request, all pages together

# Types told by their first bytes; the others in ALLOWED_TYPES (CSV, legacy Excel) only by what was declared.
_MAGIC = (
    (b"%PDF", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"PK", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
)


T = TypeVar("T")


@dataclass(frozen=True)
class PageSources:
    """Where pages may come from: the file store's directory, whether URLs may reach private addresses (as
    `ARABESQUE_ALLOW_PRIVATE_URLS` lets plugin calls), how long one download may take, and the bounds of a request."""

    files_dir: Path
    allow_private_urls: bool = False
    timeout: float = PAGE_TIMEOUT
    max_pages: int = MAX_PAGES
    max_total_bytes: int = MAX_TOTAL_BYTES
    max_file_bytes: int = MAX_FILE_BYTES


@dataclass(frozen=True)
class _Copied:
    doc: int
    page: int
    file_id: str
    file_name: str
    mime_type: str
    size: int
    sha256: str
    storage_path: str
    inline: bool  # a data: or base64 page: its uri is dropped once stored


@dataclass
class RemotePages:
    """The pages `load_remote_pages` wrote to disk, to be recorded in the use case's transaction."""

    files_dir: Path
    copied: list[_Copied] = field(default_factory=list)
    recorded: bool = False  # whether `record` ran (the use case's last attempt may have been a replay)

    def __bool__(self) -> bool:
        return bool(self.copied)

    def apply(self, context: dict[str, Any]) -> dict[str, Any]:
        """A new context whose copied pages carry their `ballerineFileId` (the caller's is not changed)."""
        if not self.copied:
            return context
        documents = list(context["documents"])
        for c in self.copied:
            doc = documents[c.doc] = {**documents[c.doc]}
            pages = doc["pages"] = list(doc["pages"])
            page = {k: v for k, v in pages[c.page].items() if k != "fileName" and not (c.inline and k == "uri")}
            pages[c.page] = {**page, "type": c.mime_type, "ballerineFileId": c.file_id}
        return {**context, "documents": documents}

    def record(self, conn: Connection, project_id: str, actor: str) -> None:
        """Insert the file rows, in the caller's transaction."""
        self.recorded = True
        if self.copied:
            conn.execute(
                insert(table(File)),
                [
                    {
                        "id": c.file_id,
                        "project_id": project_id,
                        "file_name": c.file_name,
                        "mime_type": c.mime_type,
                        "size": c.size,
                        "sha256": c.sha256,
                        "storage_path": c.storage_path,
                        "created_by": actor,
                        "created_at": utcnow(),
                    }
                    for c in self.copied
                ],
            )

    def settle(self, committed: bool) -> None:
        """After the use case: the files stay if a committed transaction recorded them, else they go."""
        if not (committed and self.recorded):
            self.discard()

    def discard(self) -> None:
        """Remove the files from disk (the transaction that would have recorded them did not commit)."""
        for c in self.copied:
            (self.files_dir / c.storage_path).unlink(missing_ok=True)
        self.copied = []


def committing(remote: RemotePages | None, attempt: Callable[[], T]) -> T:
    """Run the use case's transaction (`retrying(attempt)`), then keep the pages' files if it committed, else
    remove them."""
    committed = False
    try:
        out = retrying(attempt)
        committed = True
    finally:
        if remote is not None:
            remote.settle(committed)
    return out


def sniff_type(content: bytes, declared: str) -> str | None:
    """The page's media type: told by its first bytes, else the declared one when it is allowed and needs no
    magic; None when it is not an allowed type."""
    for magic, mime in _MAGIC:
        if content.startswith(magic):
            return mime
    declared = declared.split(";")[0].strip().lower()
    if declared in ALLOWED_TYPES and not ALLOWED_TYPES[declared]:
        return declared
    return None


def pending_pages(context: Any) -> list[tuple[int, int, dict[str, Any]]]:
    """(document index, page index, page) of every page that has a `uri` and no `ballerineFileId`."""
    documents = context.get("documents") if isinstance(context, dict) else None
    out = []
    for i, doc in enumerate(documents if isinstance(documents, list) else []):
        pages = doc.get("pages") if isinstance(doc, dict) else None
        for j, page in enumerate(pages if isinstance(pages, list) else []):
            if isinstance(page, dict) and not page.get("ballerineFileId") and page.get("uri") is not None:
                out.append((i, j, page))
    return out


def load_remote_pages(
    db: Database, project_id: str, context: dict[str, Any], sources: PageSources, prefix: str = "context"
) -> RemotePages:
    """Fetch or decode every page to copy and write it to disk (see the module docstring); InvalidInput naming
    each page's `uri` that cannot be had, and then nothing is left on disk."""
    items = [(i, j, page, f"{prefix}.documents[{i}].pages[{j}].uri") for i, j, page in pending_pages(context)]
    return _load_all(db, project_id, items, sources)


def load_data_uris(db: Database, project_id: str, uris: list[tuple[str, str]], sources: PageSources) -> RemotePages:
    """Decode `(path, data URI)` files (a vendor callback's images) and write them to disk, as pages are;
    `copied[k]` is the k-th one."""
    return _load_all(db, project_id, [(0, k, {"uri": uri}, path) for k, (path, uri) in enumerate(uris)], sources)


def _load_all(
    db: Database, project_id: str, items: list[tuple[int, int, dict[str, Any], str]], sources: PageSources
) -> RemotePages:
    out = RemotePages(sources.files_dir)
    if not items:
        return out
    if len(items) > sources.max_pages:
        message = f"{len(items)} files to copy; at most {sources.max_pages} in one request"
        raise InvalidInput(
            f"Too many document pages to copy: {message}", [{"path": p, "message": message} for *_, p in items]
        )
    hosts: list[str] | None = None
    total = 0
    try:
        for i, j, page, path in items:
            uri = page["uri"]
            if not isinstance(uri, str):
                raise _refused(path, "must be a string")
            if hosts is None and uri.lower().startswith(("http://", "https://")):
                hosts = [] if sources.allow_private_urls else project_allowed_hosts(db, project_id)
            content, declared, inline = _load(uri, page, sources, hosts or [], path)
            total += len(content)
            if total > sources.max_total_bytes:
                raise _refused(path, f"the pages of one request are over {sources.max_total_bytes:,} bytes together")
            mime = sniff_type(content, declared or str(page.get("type") or ""))
            if mime is None:
                raise _refused(path, f"not one of the allowed types {sorted(ALLOWED_TYPES)}")
            name = _file_name(page, uri, inline)
            out.copied.append(_write(sources.files_dir, project_id, i, j, name, mime, content, inline))
    except BaseException:
        out.discard()
        raise
    return out


def _refused(path: str, message: str) -> InvalidInput:
    return InvalidInput(f"Unable to copy the document page: {message}", [{"path": path, "message": message}])


def _load(uri: str, page: dict[str, Any], sources: PageSources, hosts: list[str], path: str) -> tuple[bytes, str, bool]:
    """(content, declared type, inline) of one page."""
    limit = sources.max_file_bytes
    if uri[:5].lower() == "data:":
        header, comma, payload = uri[5:].partition(",")
        params = header.split(";")
        if not comma or "base64" not in (p.strip().lower() for p in params[1:]):
            raise _refused(path, "a data: URI must be base64 (data:<type>;base64,<data>)")
        return _decode(payload, limit, path), params[0], True
    if str(page.get("provider") or "").lower() == "base64":
        return _decode(uri, limit, path), "", True
    scheme = urlsplit(uri).scheme.lower() if "://" in uri else ""
    host = (urlsplit(uri).hostname or "").lower() if scheme else ""
    if scheme == "http" and not (sources.allow_private_urls or host in {h.lower() for h in hosts}):
        raise _refused(path, "http:// is not allowed (use https://)")
    if scheme not in ("http", "https"):
        raise _refused(path, "only https:// URLs and data:<type>;base64 URIs can be copied")
    egress = EgressPolicy(allow_private=sources.allow_private_urls, allowed_hosts=hosts)
    try:
        fetched = fetch_document(uri, egress, limit, sources.timeout)
    except FetchFailed as exc:
        raise _refused(path, f"cannot be fetched: {exc}") from exc
    if not fetched.content:
        raise _refused(path, "the file is empty")
    return fetched.content, fetched.content_type, False


def _decode(payload: str, limit: int, path: str) -> bytes:
    text = "".join(payload.split())
    if len(text) > (limit // 3 + 1) * 4:
        raise _refused(path, f"the file is over {limit:,} bytes")
    try:
        content = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _refused(path, "not valid base64") from exc
    if len(content) > limit:
        raise _refused(path, f"the file is over {limit:,} bytes")
    if not content:
        raise _refused(path, "the file is empty")
    return content


def _file_name(page: dict[str, Any], uri: str, inline: bool) -> str:
    name = page.get("fileName")
    if not (isinstance(name, str) and name.strip()) and not inline:
        name = PurePosixPath(urlsplit(uri).path).name
    return Path(name if isinstance(name, str) and name.strip() else "page").name[:500] or "page"


def _write(
    files_dir: Path, project_id: str, doc: int, page: int, name: str, mime: str, content: bytes, inline: bool
) -> _Copied:
    file_id = new_id()
    target = files_dir / project_id / file_id
    make_private_dir(target.parent)
    write_private_file(target, content)
    return _Copied(
        doc=doc,
        page=page,
        file_id=file_id,
        file_name=name,
        mime_type=mime,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        storage_path=str(target.relative_to(files_dir)),
        inline=inline,
    )
