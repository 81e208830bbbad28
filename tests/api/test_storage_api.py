"""Ballerine's storage routes over the document file store: upload, metadata, content; the same store, limits
and checks as `/external/files`, which stays as an alias (SQLite and PostgreSQL)."""

from __future__ import annotations

from starlette.testclient import TestClient

from service_fixtures import Tenant

STORAGE = "/api/v1/external/storage"
FILES = "/api/v1/external/files"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def test_upload_then_metadata_then_content_with_the_stored_type(client: TestClient, tenant: Tenant) -> None:
    resp = client.post(STORAGE, files={"file": ("front.png", PNG, "image/png")}, headers=tenant.headers)
    assert resp.status_code == 201, resp.text
    stored = resp.json()
    assert stored == {"id": stored["id"], "fileName": "front.png", "mimeType": "image/png", "size": len(PNG)}

    meta = client.get(f"{STORAGE}/{stored['id']}", headers=tenant.headers)
    assert meta.status_code == 200
    assert meta.json() == {
        **stored,
        "projectId": tenant.project_id,
        "sha256": meta.json()["sha256"],
        "createdBy": tenant.who.actor,
        "createdAt": meta.json()["createdAt"],
    }
    assert len(meta.json()["sha256"]) == 64 and "storage" not in meta.text  # never where it is stored

    content = client.get(f"{STORAGE}/content/{stored['id']}", headers=tenant.headers)
    assert content.status_code == 200 and content.content == PNG
    assert content.headers["content-type"] == "image/png"
    assert content.headers["x-content-type-options"] == "nosniff"
    assert content.headers["content-disposition"].startswith("inline")


def test_storage_and_files_are_one_store(client: TestClient, tenant: Tenant) -> None:
    via_files = client.post(FILES, files={"file": ("a.png", PNG, "image/png")}, headers=tenant.headers).json()["id"]
    assert client.get(f"{STORAGE}/content/{via_files}", headers=tenant.headers).content == PNG
    via_storage = client.post(STORAGE, files={"file": ("b.png", PNG, "image/png")}, headers=tenant.headers).json()
    assert client.get(f"{FILES}/{via_storage['id']}", headers=tenant.headers).content == PNG


def test_the_same_limits_and_checks_as_files(client: TestClient, tenant: Tenant) -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    resp = client.post(STORAGE, files={"file": ("x.svg", svg, "image/svg+xml")}, headers=tenant.headers)
    assert resp.status_code == 400 and resp.json()["errors"][0]["path"] == "file"  # no SVG served inline
    resp = client.post(STORAGE, files={"file": ("x.png", b"not a png", "image/png")}, headers=tenant.headers)
    assert resp.status_code == 400  # the declared type must match the content
    big = PNG + b"0" * (10 * 1024 * 1024)
    resp = client.post(STORAGE, files={"file": ("x.png", big, "image/png")}, headers=tenant.headers)
    assert resp.status_code == 413 and resp.json()["statusCode"] == 413
    resp = client.post(STORAGE, headers=tenant.headers)  # no `file` part (Ballerine: 500)
    assert resp.status_code == 400 and resp.json()["errors"][0]["path"] == "file"


def test_an_unknown_file_is_404(client: TestClient, tenant: Tenant) -> None:
    for url in (f"{STORAGE}/nope", f"{STORAGE}/content/nope"):
        resp = client.get(url, headers=tenant.headers)
        assert resp.status_code == 404 and resp.json()["message"] == "No file with id [nope] was found"
