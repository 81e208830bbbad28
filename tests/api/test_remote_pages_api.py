"""Document pages given by `uri` on `/run` and PATCH: copied into the file store (`ballerineFileId` set, the type
sniffed) from `https://` (a real HTTP server on loopback, reached with private URLs allowed) and `data:` URIs; a
page that cannot be had is a 400 naming `context.documents[i].pages[j].uri`, and then nothing is created: no
runtime, no entity, no file row, no file on disk (SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from arabesque.api import create_api
from arabesque.api.deps import OutboundOptions
from arabesque.app.access.projects import EGRESS_HOSTS
from arabesque.app.files.store_file import MAX_FILE_BYTES
from arabesque.asgi import create_app
from arabesque.store import Business, Database, File, ProjectSetting, WorkflowRuntime
from registry_server import Registry, registry
from service_fixtures import SEED, Tenant

RUN = "/api/v1/external/workflows/run"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%test\n"


@pytest.fixture
def files(tmp_path: Path) -> Path:
    return tmp_path / "files"


@pytest.fixture
def private_client(db: Database, files: Path) -> Iterator[TestClient]:
    """A client whose outbound calls may reach loopback (`ARABESQUE_ALLOW_PRIVATE_URLS=true`)."""
    with TestClient(create_app(db, files, allow_private_urls=True, metrics=False)) as c:
        yield c


@pytest.fixture
def server() -> Iterator[Registry]:
    with registry() as reg:
        reg.rule = lambda path: (200, PNG, {"Content-Type": "image/png"}) if path == "/passport.png" else (404, b"", {})
        yield reg


def with_pages(*pages: dict[str, Any]) -> dict[str, Any]:
    body = copy.deepcopy(SEED)
    body["context"]["documents"] = [
        {"category": "id", "type": "passport", "issuer": {"country": "GB"}, "pages": list(pages), "properties": {}}
    ]
    return body


def stored_pages(client: TestClient, tenant: Tenant, runtime_id: str) -> list[dict[str, Any]]:
    ctx = client.get(f"/api/v1/external/workflows/{runtime_id}/context", headers=tenant.headers).json()["context"]
    pages: list[dict[str, Any]] = ctx["documents"][0]["pages"]
    return pages


def nothing_created(db: Database, files: Path) -> None:
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(WorkflowRuntime)) == 0
        assert s.scalar(select(func.count()).select_from(Business)) == 0
        assert s.scalar(select(func.count()).select_from(File)) == 0
    assert not [p for p in files.rglob("*") if p.is_file()]


def data_uri(content: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(content).decode()}"


def test_an_https_page_is_fetched_into_storage(
    private_client: TestClient, tenant: Tenant, server: Registry, db: Database
) -> None:
    uri = f"{server.url}/passport.png"
    resp = private_client.post(
        RUN, json=with_pages({"provider": "http", "uri": uri, "fileName": "passport.png"}), headers=tenant.headers
    )
    assert resp.status_code == 200, resp.text
    [page] = stored_pages(private_client, tenant, resp.json()["workflowRuntimeId"])
    # Ballerine's shape (external-api.md §14.2): uri and provider kept, type sniffed, fileName moved to the file
    assert page == {"provider": "http", "uri": uri, "type": "image/png", "ballerineFileId": page["ballerineFileId"]}
    content = private_client.get(f"/api/v1/external/storage/content/{page['ballerineFileId']}", headers=tenant.headers)
    assert content.status_code == 200 and content.content == PNG
    meta = private_client.get(f"/api/v1/external/storage/{page['ballerineFileId']}", headers=tenant.headers).json()
    assert meta["fileName"] == "passport.png" and meta["mimeType"] == "image/png"


def test_data_and_base64_pages_are_decoded_into_storage(
    client: TestClient, tenant: Tenant, db: Database, files: Path
) -> None:
    pages = ({"uri": data_uri(PDF, "application/pdf")}, {"provider": "base64", "uri": base64.b64encode(PNG).decode()})
    resp = client.post(RUN, json=with_pages(*pages), headers=tenant.headers)
    assert resp.status_code == 200, resp.text
    first, second = stored_pages(client, tenant, resp.json()["workflowRuntimeId"])
    # the bytes are in the store: the context does not carry them twice
    assert first == {"type": "application/pdf", "ballerineFileId": first["ballerineFileId"]}
    assert second == {"provider": "base64", "type": "image/png", "ballerineFileId": second["ballerineFileId"]}
    got = client.get(f"/api/v1/external/storage/content/{first['ballerineFileId']}", headers=tenant.headers)
    assert got.content == PDF
    assert len([p for p in files.rglob("*") if p.is_file()]) == 2


def test_pages_with_a_file_id_are_left_alone(client: TestClient, tenant: Tenant, db: Database) -> None:
    page = {"ballerineFileId": "file123", "type": "image/png", "uri": "https://example.invalid/x.png"}
    resp = client.post(RUN, json=with_pages(page), headers=tenant.headers)
    assert resp.status_code == 200, resp.text
    assert stored_pages(client, tenant, resp.json()["workflowRuntimeId"]) == [page]
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(File)) == 0


def test_an_unreachable_page_is_400_with_its_path_and_nothing_is_created(
    private_client: TestClient, tenant: Tenant, server: Registry, db: Database, files: Path
) -> None:
    good = {"uri": f"{server.url}/passport.png"}
    missing = {"uri": f"{server.url}/gone.png"}
    resp = private_client.post(RUN, json=with_pages(good, missing), headers=tenant.headers)
    assert resp.status_code == 400, resp.text
    [error] = resp.json()["errors"]
    assert error["path"] == "context.documents[0].pages[1].uri" and "404" in error["message"]
    nothing_created(db, files)  # the first page, fetched and written, is gone again


def test_a_closed_port_is_400_with_its_path(
    private_client: TestClient, tenant: Tenant, server: Registry, db: Database, files: Path
) -> None:
    with registry() as closed:
        url = f"{closed.url}/passport.png"
    resp = private_client.post(RUN, json=with_pages({"uri": url}), headers=tenant.headers)
    assert resp.status_code == 400
    assert resp.json()["errors"][0]["path"] == "context.documents[0].pages[0].uri"
    nothing_created(db, files)


def test_a_private_address_is_refused_when_private_urls_are_not_allowed(
    client: TestClient, tenant: Tenant, server: Registry, db: Database, files: Path
) -> None:
    https = server.url.replace("http://", "https://") + "/passport.png"
    for uri, says in ((https, "non-public address"), (f"{server.url}/passport.png", "http:// is not allowed")):
        resp = client.post(RUN, json=with_pages({"uri": uri}), headers=tenant.headers)
        assert resp.status_code == 400, resp.text
        [error] = resp.json()["errors"]
        assert error["path"] == "context.documents[0].pages[0].uri" and says in error["message"]
    assert server.requests == []
    nothing_created(db, files)


@pytest.mark.parametrize(
    ("uri", "says"),
    [
        ("file:///etc/passwd", "only https://"),
        ("ftp://example.com/a.png", "only https://"),
        ("data:image/png,plain", "must be base64"),
        ("data:image/png;base64,@@@@", "not valid base64"),
        (data_uri(b"<html>hi</html>", "text/html"), "not one of the allowed types"),
    ],
)
def test_a_page_that_cannot_be_decoded_or_is_not_allowed_is_400(
    client: TestClient, tenant: Tenant, db: Database, files: Path, uri: str, says: str
) -> None:
    resp = client.post(RUN, json=with_pages({"uri": uri}), headers=tenant.headers)
    assert resp.status_code == 400, resp.text
    [error] = resp.json()["errors"]
    assert error["path"] == "context.documents[0].pages[0].uri" and says in error["message"]
    nothing_created(db, files)


def test_an_oversize_page_is_400_and_read_no_further_than_the_limit(
    private_client: TestClient, tenant: Tenant, server: Registry, db: Database, files: Path
) -> None:
    big = PNG + b"\x00" * MAX_FILE_BYTES
    server.rule = lambda path: (200, big, {"Content-Type": "image/png"})
    resp = private_client.post(RUN, json=with_pages({"uri": f"{server.url}/big.png"}), headers=tenant.headers)
    assert resp.status_code == 400
    assert "over 10,485,760 bytes" in resp.json()["errors"][0]["message"]
    nothing_created(db, files)


def test_too_many_pages_are_refused_before_any_is_fetched(
    private_client: TestClient, tenant: Tenant, server: Registry
) -> None:
    pages = [{"uri": f"{server.url}/passport.png"} for _ in range(11)]
    resp = private_client.post(RUN, json=with_pages(*pages), headers=tenant.headers)
    assert resp.status_code == 400 and len(resp.json()["errors"]) == 11
    assert server.requests == []


def test_an_unknown_key_fetches_nothing(private_client: TestClient, server: Registry) -> None:
    resp = private_client.post(
        RUN, json=with_pages({"uri": f"{server.url}/passport.png"}), headers={"Authorization": "Bearer arb_nope"}
    )
    assert resp.status_code == 401
    assert server.requests == []


def test_an_invalid_context_leaves_no_file_behind(
    client: TestClient, tenant: Tenant, db: Database, files: Path
) -> None:
    body = with_pages({"uri": data_uri(PNG)})
    body["context"]["entity"]["id"] = ""
    assert client.post(RUN, json=body, headers=tenant.headers).status_code == 400
    nothing_created(db, files)


def test_patch_copies_pages_of_its_context(
    private_client: TestClient, tenant: Tenant, server: Registry, db: Database
) -> None:
    runtime_id = private_client.post(RUN, json=SEED, headers=tenant.headers).json()["workflowRuntimeId"]
    patch = {"context": with_pages({"uri": f"{server.url}/passport.png"})["context"]}
    patch["context"].pop("entity")
    resp = private_client.patch(f"/api/v1/external/workflows/{runtime_id}", json=patch, headers=tenant.headers)
    assert resp.status_code == 200, resp.text
    [page] = resp.json()["context"]["documents"][0]["pages"]
    assert page["type"] == "image/png" and page["ballerineFileId"]
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(File).where(File.id == page["ballerineFileId"])) == 1


def test_patch_with_a_bad_page_changes_nothing(client: TestClient, tenant: Tenant, files: Path) -> None:
    runtime_id = client.post(RUN, json=SEED, headers=tenant.headers).json()["workflowRuntimeId"]
    url = f"/api/v1/external/workflows/{runtime_id}"
    before = client.get(url, headers=tenant.headers).json()
    patch = {"context": {"documents": [{"pages": [{"uri": data_uri(PNG)}, {"uri": "file:///etc/passwd"}]}]}}
    resp = client.patch(url, json=patch, headers=tenant.headers)
    assert resp.status_code == 400
    assert resp.json()["errors"][0]["path"] == "context.documents[0].pages[1].uri"
    assert client.get(url, headers=tenant.headers).json() == before
    assert not [p for p in files.rglob("*") if p.is_file()]


def test_a_page_that_does_not_come_in_time_is_400(db: Database, tenant: Tenant, server: Registry, files: Path) -> None:
    server.hold = True  # the server never answers (until the test ends)
    outbound = OutboundOptions(allow_private_urls=True, page_timeout=0.3)
    with TestClient(create_api(db, files, outbound=outbound)) as client:
        resp = client.post(RUN, json=with_pages({"uri": f"{server.url}/passport.png"}), headers=tenant.headers)
    assert resp.status_code == 400
    assert "no answer within 0.3 s" in resp.json()["errors"][0]["message"]
    nothing_created(db, files)


def test_a_redirect_is_not_followed(
    private_client: TestClient, tenant: Tenant, server: Registry, db: Database, files: Path
) -> None:
    server.rule = lambda path: (302, b"", {"Location": f"{server.url}/passport.png"})
    resp = private_client.post(RUN, json=with_pages({"uri": f"{server.url}/moved.png"}), headers=tenant.headers)
    assert resp.status_code == 400 and "answered 302" in resp.json()["errors"][0]["message"]
    assert len(server.requests) == 1
    nothing_created(db, files)


def test_http_reaches_a_host_on_the_projects_allow_list(
    client: TestClient, tenant: Tenant, server: Registry, db: Database
) -> None:
    with db.write() as s:
        s.add(ProjectSetting(project_id=tenant.project_id, key=EGRESS_HOSTS, value=["127.0.0.1"]))
    resp = client.post(RUN, json=with_pages({"uri": f"{server.url}/passport.png"}), headers=tenant.headers)
    assert resp.status_code == 200, resp.text
    [page] = stored_pages(client, tenant, resp.json()["workflowRuntimeId"])
    assert page["type"] == "image/png"


def test_a_replayed_run_keeps_only_the_first_copy(
    client: TestClient, tenant: Tenant, db: Database, files: Path
) -> None:
    body = with_pages({"uri": data_uri(PNG)})
    headers = {**tenant.headers, "Idempotency-Key": "run-with-pages"}
    first = client.post(RUN, json=body, headers=headers)
    again = client.post(RUN, json=body, headers=headers)
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(File)) == 1
    assert len([p for p in files.rglob("*") if p.is_file()]) == 1
