"""Security headers on every Case Management response, and pages a Content-Security-Policy without inline script
or style can serve (SQLite and PostgreSQL)."""

from __future__ import annotations

import re

from httpx import Response
from starlette.testclient import TestClient
from web_helpers import first_queue, seed_site, sign_in

from arabesque.app.access.principal import Principal
from arabesque.app.files.store_file import store_file
from arabesque.app.workflows.run_workflow import run_workflow
from arabesque.store import Database
from service_fixtures import SEED

_INLINE = re.compile(r"<[^>]*\son[a-z]+\s*=|<script(?![^>]*\ssrc=)[^>]*>|<style[\s>]|\sstyle\s*=|javascript:", re.I)


def _csp(response: Response) -> dict[str, str]:
    directives = (d.strip().split(" ", 1) for d in response.headers["content-security-policy"].split(";"))
    return {d[0]: d[1] if len(d) > 1 else "" for d in directives}


def _secured(response: Response, path: str) -> None:
    headers = response.headers
    assert headers.get("x-content-type-options") == "nosniff", path
    assert headers.get("referrer-policy") == "same-origin", path
    assert headers.get("x-frame-options") == "DENY", path
    csp = _csp(response)
    assert csp["script-src"] == "'self'" and csp["style-src"] == "'self'", path
    assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'", path
    assert "unsafe" not in headers["content-security-policy"], path


def test_every_page_carries_the_headers_and_no_inline_script_or_style(client: TestClient, db: Database) -> None:
    site = seed_site(db)
    case = run_workflow(db, Principal(site.project_id, "api-key:test"), SEED)["workflowRuntimeId"]
    login = client.get("/login")
    _secured(login, "/login")
    assert not _INLINE.search(login.text)
    sign_in(client, site.admin)
    queue = first_queue(client)
    paths = [queue, f"/cases/{case}", "/admin/users", "/admin/queues", "/admin/keys", "/admin/webhooks",
             "/admin/definitions", "/account", "/no-such-page", "/cases/no-such-case"]  # fmt: skip
    for path in paths:
        page = client.get(path)
        _secured(page, path)
        assert page.status_code in (200, 404), path
        found = _INLINE.search(page.text)
        assert found is None, (path, page.text[max(0, found.start() - 80) : found.end() + 80])
        assert '<script src="/static/app.js" defer></script>' in page.text, path
        assert '"includeIndicatorStyles": false' in page.text, path
    rows = client.get(f"{queue}?partial=rows", headers={"HX-Request": "true"})
    _secured(rows, "rows")
    _secured(client.get("/static/app.js"), "/static/app.js")
    forbidden = client.post("/admin/users", data={"email": "x@example.com"})  # no CSRF token: 403 page
    assert forbidden.status_code == 403
    _secured(forbidden, "403")


def test_uploaded_files_keep_their_own_policy_so_the_case_page_can_frame_pdfs(client: TestClient, db: Database) -> None:
    site = seed_site(db)
    who = Principal(site.project_id, "api-key:test")
    files = client.app.state.files_dir  # type: ignore[attr-defined]
    pdf = store_file(db, files, who, "doc.pdf", "application/pdf", b"%PDF-1.4\n%%EOF\n")
    png = store_file(db, files, who, "p.png", "image/png", b"\x89PNG\r\n\x1a\n" + b"\0" * 32)
    sign_in(client, site.reviewer)
    framed = client.get(f"/files/{pdf['id']}")
    assert framed.status_code == 200 and _csp(framed) == {"frame-ancestors": "'self'"}
    assert "x-frame-options" not in framed.headers and framed.headers["x-content-type-options"] == "nosniff"
    image = client.get(f"/files/{png['id']}")
    assert _csp(image) == {"sandbox": "", "frame-ancestors": "'self'"}
