"""Helpers for the Case Management tests: a seeded project with users of every role, and sign-in."""

from __future__ import annotations

import base64
import re
import zlib
from dataclasses import dataclass

from starlette.testclient import TestClient

from arabesque.app.access.users import create_user
from arabesque.app.cases.queues import seed_queues
from arabesque.store import Database
from service_fixtures import make_tenant

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class Site:
    project_id: str
    admin: str
    reviewer: str
    viewer: str
    other_reviewer: str


def seed_site(db: Database, name: str = "acme", prefix: str = "") -> Site:
    """A project with the example definitions, the two seeded queues and one user per role."""
    tenant = make_tenant(db, name)
    with db.write() as s:
        seed_queues(s, tenant.project_id)
    emails = {}
    for role, who in (("admin", "admin"), ("reviewer", "rita"), ("viewer", "victor"), ("reviewer", "otto")):
        email = f"{prefix}{who}@example.com"
        create_user(db, email, role, tenant.project_id, PASSWORD, who.capitalize() + " Test")
        emails[who] = email
    return Site(tenant.project_id, emails["admin"], emails["rita"], emails["victor"], emails["otto"])


def cookie_payload(signed: str) -> str:
    """The JSON inside the signed session cookie (itsdangerous: `[.]payload.timestamp.signature`, a leading dot
    when the payload is zlib-compressed), to check what the cookie does and does not carry."""
    compressed = signed.startswith(".")
    data = signed.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    return (zlib.decompress(raw) if compressed else raw).decode()


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Sign in; returns the session's CSRF token."""
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_of(page.text), "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:500]
    return csrf_of(client.get("/admin/definitions").text)


def first_queue(client: TestClient) -> str:
    """The path of the first queue of the sidebar (businesses first), read from the home page."""
    found = re.search(r'href="(/queues/[A-Za-z0-9_-]+)"', client.get("/").text)
    assert found, "no queue in the sidebar"
    return found.group(1)
