"""Sessions live in the database (SQLite and PostgreSQL): signing out, changing the password, a role change and
disabling a membership end them, so a copy of the cookie is worth nothing afterwards."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient
from typer.testing import CliRunner
from web_helpers import PASSWORD, cookie_payload, csrf_of, seed_site, sign_in

from arabesque.app.access.principal import Principal
from arabesque.app.access.users import verify_login
from arabesque.app.access.web_sessions import prune_expired, resume_session, start_session
from arabesque.app.workflows.run_workflow import run_workflow
from arabesque.cli import app
from arabesque.store import Database, RuntimeEvent, User, WebSession, utcnow
from service_fixtures import SEED, TEST_SECRET_KEY

COOKIE = "arabesque_session"


def _case(db: Database, project_id: str) -> str:
    return str(run_workflow(db, Principal(project_id, "api-key:test"), SEED)["workflowRuntimeId"])


def _notes(db: Database, case: str) -> list[str]:
    with db.read() as s:
        rows = s.scalars(select(RuntimeEvent).where(RuntimeEvent.runtime_id == case, RuntimeEvent.kind == "note"))
        return [r.details["text"] for r in rows]


def _replay(client: TestClient, cookie: str) -> TestClient:
    """Another browser holding a copy of `cookie` (the same application and database)."""
    other = TestClient(client.app, raise_server_exceptions=False)
    other.cookies.set(COOKIE, cookie)
    return other


def _refused(client: TestClient, case: str, token: str) -> None:
    """Reads and note writes get the sign-in redirect (401 with HX-Redirect for htmx)."""
    read = client.get(f"/cases/{case}", follow_redirects=False)
    assert read.status_code == 303 and read.headers["location"].startswith("/login"), read.status_code
    note = client.post(f"/cases/{case}/notes", data={"csrf_token": token, "text": "replayed"}, follow_redirects=False)
    assert note.status_code == 303 and note.headers["location"].startswith("/login")
    hx = client.post(f"/cases/{case}/notes", data={"text": "replayed"}, headers={"HX-Request": "true",
                     "X-CSRF-Token": token}, follow_redirects=False)  # fmt: skip
    assert hx.status_code == 401 and hx.headers["hx-redirect"].startswith("/login")


def test_a_cookie_copied_before_logout_is_refused_afterwards(client: TestClient, db: Database) -> None:
    site = seed_site(db)
    case = _case(db, site.project_id)
    token = sign_in(client, site.reviewer)
    copy = client.cookies[COOKIE]
    thief = _replay(client, copy)
    assert thief.get(f"/cases/{case}").status_code == 200  # the copy works while the session lives
    assert client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    _refused(thief, case, token)
    assert _notes(db, case) == []
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(WebSession)) == 0


def test_the_cookie_holds_a_token_the_database_keeps_only_hashed(client: TestClient, db: Database) -> None:
    site = seed_site(db)
    sign_in(client, site.reviewer)
    with db.read() as s:
        (stored,) = s.scalars(select(WebSession.token_hash)).all()
    signed = client.cookies[COOKIE]
    assert stored not in signed
    token = re.search(r'"sid":"([^"]+)"', cookie_payload(signed))
    assert token and hashlib.sha256(token.group(1).encode()).hexdigest() == stored


def test_changing_the_password_ends_the_other_sessions(client: TestClient, db: Database) -> None:
    site = seed_site(db)
    case = _case(db, site.project_id)
    token = sign_in(client, site.reviewer)
    other = _replay(client, "")
    other_token = sign_in(other, site.reviewer)  # a second browser
    form = {"csrf_token": token, "current_password": PASSWORD, "new_password": "a brand new password",
            "confirm_password": "a brand new password"}  # fmt: skip
    changed = client.post("/account/password", data=form)
    assert changed.status_code == 200 and "Password changed" in changed.text
    _refused(other, case, other_token)
    assert client.get(f"/cases/{case}").status_code == 200  # the session that changed it stays
    assert verify_login(db, site.reviewer, "a brand new password")


def test_a_wrong_or_weak_password_change_is_refused_with_each_field_named(client: TestClient, db: Database) -> None:
    site = seed_site(db)
    token = sign_in(client, site.reviewer)
    assert "Change your password" in client.get("/account").text
    form = {"csrf_token": token, "current_password": "wrong", "new_password": "short", "confirm_password": "other"}
    r = client.post("/account/password", data=form)
    assert r.status_code == 400
    errors = dict(re.findall(r'<p class="error" data-for="([^"]+)">([^<]+)</p>', r.text))
    assert errors == {"current_password": "Wrong password.", "new_password": "At least 10 characters.",
                      "confirm_password": "The two new passwords differ."}  # fmt: skip
    assert verify_login(db, site.reviewer, PASSWORD)
    assert client.post("/account/password", data={**form, "csrf_token": "x"}).status_code == 403


def test_a_role_change_or_a_disabled_membership_ends_the_members_sessions(client: TestClient, db: Database) -> None:
    site = seed_site(db)
    case = _case(db, site.project_id)
    rita = _replay(client, "")
    rita_token = sign_in(rita, site.reviewer)
    with db.read() as s:
        rita_id = s.scalars(select(User.id).where(User.email == site.reviewer)).one()
    admin = sign_in(client, site.admin)
    client.post(f"/admin/users/{rita_id}", data={"csrf_token": admin, "role": "viewer", "status": "active"})
    _refused(rita, case, rita_token)
    rita_token = sign_in(rita, site.reviewer)  # signed in again, with the new role
    assert "Add a note" not in rita.get(f"/cases/{case}").text
    client.post(f"/admin/users/{rita_id}", data={"csrf_token": admin, "role": "viewer", "status": "disabled"})
    _refused(rita, case, rita_token)
    page = rita.get("/login")
    again = rita.post("/login", data={"email": site.reviewer, "password": PASSWORD, "csrf_token": csrf_of(page.text)})
    assert again.status_code == 401


def test_the_command_line_password_reset_ends_every_session(
    client: TestClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = seed_site(db)
    case = _case(db, site.project_id)
    token = sign_in(client, site.reviewer)
    monkeypatch.setenv("ARABESQUE_DATABASE_URL", db.url)
    monkeypatch.setenv("ARABESQUE_SECRET_KEY", TEST_SECRET_KEY)  # required on PostgreSQL
    monkeypatch.delenv("ARABESQUE_USER_PASSWORD", raising=False)
    out = CliRunner().invoke(app, ["users", "set-password", "--email", site.reviewer])
    assert out.exit_code == 0, out.output
    new = out.output.strip().splitlines()[-1]
    _refused(client, case, token)
    assert verify_login(db, site.reviewer, new)
    missing = CliRunner().invoke(app, ["users", "set-password", "--email", "nobody@example.com"])
    assert missing.exit_code == 1 and "No user" in missing.output


def test_expired_sessions_are_refused_and_pruned(db: Database) -> None:
    site = seed_site(db)
    user_id = verify_login(db, site.reviewer, PASSWORD)
    live = start_session(db, user_id)
    old = start_session(db, user_id, now=utcnow() - timedelta(hours=13))  # expired an hour ago
    assert resume_session(db, old.token) is None and resume_session(db, live.token) is not None
    assert resume_session(db, live.token, now=utcnow() + timedelta(hours=12, seconds=1)) is None
    assert prune_expired(db, utcnow()) == 1
    with db.read() as s:
        assert s.scalars(select(WebSession.token_hash)).all() == [live.session.token_hash]
    start_session(db, user_id, now=utcnow() + timedelta(hours=13))  # a sign-in prunes what expired by then
    with db.read() as s:
        assert live.session.token_hash not in s.scalars(select(WebSession.token_hash)).all()
