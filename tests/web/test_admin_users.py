"""The admin's user pages (`/admin/users`, `/admin/users/{id}`) and the project switcher across two projects,
through HTTP (SQLite and PostgreSQL): an admin sees and changes their own project's memberships only."""

from __future__ import annotations

import re

from sqlalchemy import select
from starlette.testclient import TestClient
from web_helpers import PASSWORD, cookie_payload, csrf_of, seed_site, sign_in

from arabesque.store import Database, User


def _id(db: Database, email: str) -> str:
    with db.read() as s:
        return s.scalars(select(User.id).where(User.email == email)).one()


def _flash(html: str) -> list[str]:
    return re.findall(r'<div class="flash [a-z]+" role="status">([^<]*)', html)


def _rows(html: str) -> dict[str, tuple[str, str]]:
    """email -> (role, status) of the users table."""
    found = re.findall(r"<tr><td>[^<]*</td><td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td>", html)
    return {email: (role, status) for email, role, status in found}


def _add(client: TestClient, token: str, email: str, role: str, password: str = "") -> str:
    r = client.post("/admin/users", data={"csrf_token": token, "email": email, "role": role, "password": password})
    assert r.status_code == 200, r.text[:400]
    return r.text


def _set(client: TestClient, token: str, user_id: str, **fields: str) -> int:
    r = client.post(f"/admin/users/{user_id}", data={"csrf_token": token, **fields}, follow_redirects=False)
    return r.status_code


def _switch(client: TestClient, token: str, project_id: str) -> None:
    assert client.post("/project", data={"csrf_token": token, "project": project_id}).status_code == 200


def test_the_reproduced_attack_is_refused(client: TestClient, db: Database) -> None:
    a, b = seed_site(db), seed_site(db, "globex", prefix="g-")
    token = sign_in(client, b.admin)
    # B's admin adds A's viewer to B (the flash names the role they have in B) and promotes them there.
    page = _add(client, token, a.viewer, "viewer")
    assert _flash(page) == [f"Added {a.viewer} as viewer (an existing account: their password is unchanged)"]
    assert _set(client, token, _id(db, a.viewer), role="admin", status="active") == 303
    # B's admin adds A's admin to B and disables them there.
    _add(client, token, a.admin, "reviewer")
    assert _set(client, token, _id(db, a.admin), role="reviewer", status="disabled") == 303
    assert _rows(client.get("/admin/users").text)[a.admin] == ("reviewer", "disabled")

    client.cookies.clear()
    token = sign_in(client, a.viewer)  # signed in to A, their first project: still a viewer there
    assert client.get("/admin/keys").status_code == 403
    assert client.post("/admin/keys", data={"csrf_token": token, "name": "stolen"}).status_code == 403
    _switch(client, token, b.project_id)  # in B they are the admin B's admin made them
    assert client.get("/admin/keys").status_code == 200

    client.cookies.clear()
    token = sign_in(client, a.admin)  # disabled in B only: A's admin still signs in, to A, as admin
    page = client.get("/admin/users").text
    assert _rows(page)[a.admin] == ("admin", "active") and b.admin not in page
    assert f'<option value="{b.project_id}"' not in page  # no switching into the project they are disabled in


def test_the_message_names_the_role_in_this_project(client: TestClient, db: Database) -> None:
    a, b = seed_site(db), seed_site(db, "globex", prefix="g-")
    token = sign_in(client, a.admin)
    page = _add(client, token, b.admin, "viewer", password="ignored for an existing account")
    assert _flash(page) == [f"Added {b.admin} as viewer (an existing account: their password is unchanged)"]
    assert _rows(page)[b.admin] == ("viewer", "active")
    data = {"csrf_token": token, "email": "new@example.com", "role": "reviewer", "password": ""}
    created = client.post("/admin/users", data=data, follow_redirects=False)
    password = re.search(r'<code id="new-password">([^<]+)</code>', created.text)
    assert created.status_code == 200 and password and "Added new@example.com as reviewer" in created.text
    for header in created.headers.get_list("set-cookie"):  # shown in the page, never put in a cookie
        assert password.group(1) not in cookie_payload(header.split("=", 1)[1].split(";")[0])
    client.cookies.clear()
    token = sign_in(client, b.admin, PASSWORD)  # A's admin set neither B's admin's password nor their role in B
    assert client.get("/admin/users").status_code == 403  # signed in to A, their first project, as a viewer
    _switch(client, token, b.project_id)
    assert client.get("/admin/users").status_code == 200
    client.cookies.clear()
    sign_in(client, "new@example.com", password.group(1))
    assert client.get("/admin/users").status_code == 403


def test_an_admin_changes_only_members_of_their_project_and_not_themselves(client: TestClient, db: Database) -> None:
    a, b = seed_site(db), seed_site(db, "globex", prefix="g-")
    token = sign_in(client, b.admin)
    page = client.get("/admin/users").text
    assert set(_rows(page)) == {b.admin, b.reviewer, b.viewer, b.other_reviewer}
    assert _set(client, token, _id(db, a.reviewer), role="admin") == 404  # a user of A only
    assert _set(client, token, _id(db, b.admin), status="disabled") == 400  # their own membership
    assert _set(client, token, _id(db, b.viewer), role="owner") == 400
    assert _set(client, token, _id(db, b.viewer), role="reviewer") == 303
    page = client.get("/admin/users").text
    assert _rows(page)[b.viewer] == ("reviewer", "active") and _flash(page) == [
        "Membership updated; their sessions in this project were signed out"
    ]
    client.cookies.clear()
    token = sign_in(client, a.admin)
    assert _rows(client.get("/admin/users").text)[a.reviewer] == ("reviewer", "active")


def test_the_user_pages_are_for_admins(client: TestClient, db: Database) -> None:
    a = seed_site(db)
    token = sign_in(client, a.reviewer)
    assert client.get("/admin/users").status_code == 403
    assert _set(client, token, _id(db, a.viewer), role="admin") == 403
    add = client.post("/admin/users", data={"csrf_token": token, "email": "x@example.com", "role": "admin"})
    assert add.status_code == 403
    client.cookies.clear()
    token = sign_in(client, a.admin)
    bad = client.post("/admin/users", data={"csrf_token": token, "email": "nope", "role": "owner", "password": "x"})
    assert bad.status_code == 400 and "Enter a valid email address." in bad.text and "At least 10" in bad.text


def test_switching_projects_is_limited_to_active_memberships(client: TestClient, db: Database) -> None:
    a, b = seed_site(db), seed_site(db, "globex", prefix="g-")
    token = sign_in(client, b.admin)
    _add(client, token, a.reviewer, "admin")
    client.cookies.clear()
    token = sign_in(client, a.reviewer)
    page = client.get("/admin/definitions").text
    assert f'<option value="{b.project_id}"' in page
    assert client.get("/admin/users").status_code == 403  # a reviewer in A
    _switch(client, token, b.project_id)
    assert client.get("/admin/users").status_code == 200  # an admin in B
    _switch(client, token, "no-such-project")  # ignored: still in B
    assert client.get("/admin/users").status_code == 200
    assert csrf_of(client.get("/admin/users").text) == token  # the same session all along
