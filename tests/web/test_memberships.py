"""Memberships: a role and a status per (user, project), changed by that project's admins only (SQLite and
PostgreSQL). The attack these tests reproduce: an admin of project B attached project A's users to B and,
because roles and status lived on the user row, promoted A's viewer to admin of A and disabled A's admin."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from web_helpers import PASSWORD, Site, seed_site

from arabesque.app.access.api_keys import create_key
from arabesque.app.access.members import Member
from arabesque.app.access.users import (
    add_user,
    create_user,
    list_members,
    list_users,
    load_member,
    update_user,
    verify_login,
)
from arabesque.app.access.web_sessions import resume_session, start_session, switch_project
from arabesque.app.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from arabesque.store import Database, User


def _id(db: Database, email: str) -> str:
    with db.read() as s:
        return s.scalars(select(User.id).where(User.email == email)).one()


def _member(db: Database, email: str, project_id: str) -> Member:
    member = load_member(db, _id(db, email), project_id)
    assert member is not None, (email, project_id)
    return member


@pytest.fixture
def two(db: Database) -> tuple[Site, Site]:
    return seed_site(db, "acme"), seed_site(db, "globex", prefix="g-")


def test_another_projects_admin_cannot_promote_or_disable_a_member_here(db: Database, two: tuple[Site, Site]) -> None:
    a, b = two
    b_admin = _member(db, b.admin, b.project_id)
    # B's admin attaches A's viewer to B and makes them admin there...
    victor = add_user(db, b_admin, a.viewer, "viewer", "")
    update_user(db, b_admin, victor.id, role="admin")
    assert _member(db, a.viewer, b.project_id).role == "admin"
    # ...which changes nothing in A: still a viewer, who may not create A's API keys.
    in_a = _member(db, a.viewer, a.project_id)
    assert in_a.role == "viewer"
    with pytest.raises(Forbidden):
        create_key(db, in_a, "stolen")
    # B's admin attaches A's admin to B and disables them there: they still sign in, and are still A's admin.
    a_admin = add_user(db, b_admin, a.admin, "viewer", "").id
    update_user(db, b_admin, a_admin, status="disabled")
    assert verify_login(db, a.admin, PASSWORD) == a_admin
    assert _member(db, a.admin, a.project_id).is_admin
    assert load_member(db, a_admin, b.project_id) is None
    assert [u["email"] for u in list_users(db, _member(db, a.admin, a.project_id))].count(a.admin) == 1


def test_adding_an_existing_user_adds_a_membership_and_changes_nothing_else(
    db: Database, two: tuple[Site, Site]
) -> None:
    a, b = two
    a_admin = _member(db, a.admin, a.project_id)
    added = add_user(db, a_admin, b.admin, "viewer", "a password chosen by A", "Renamed By A")
    # The role named is the one they have here, not their highest anywhere (the old message said "admin").
    assert (added.role, added.existing, added.password) == ("viewer", True, "")
    assert _member(db, b.admin, a.project_id).role == "viewer"
    assert _member(db, b.admin, b.project_id).role == "admin"
    assert verify_login(db, b.admin, PASSWORD)  # A's admin did not set their password
    with pytest.raises(Unauthorized):
        verify_login(db, b.admin, "a password chosen by A")
    assert _member(db, b.admin, b.project_id).name == "Admin Test"
    assert _member(db, b.admin, b.project_id).projects == ((a.project_id, "default"), (b.project_id, "default"))
    with pytest.raises(Conflict):
        add_user(db, a_admin, b.admin, "admin", "")


def test_each_project_lists_its_own_members_with_their_roles_here(db: Database, two: tuple[Site, Site]) -> None:
    a, b = two
    add_user(db, _member(db, b.admin, b.project_id), a.reviewer, "admin", "")
    in_a = {u["email"]: u["role"] for u in list_users(db, _member(db, a.admin, a.project_id))}
    in_b = {u["email"]: u["role"] for u in list_users(db, _member(db, b.admin, b.project_id))}
    assert in_a == {a.admin: "admin", a.reviewer: "reviewer", a.viewer: "viewer", a.other_reviewer: "reviewer"}
    assert in_b == {b.admin: "admin", b.reviewer: "reviewer", b.viewer: "viewer", b.other_reviewer: "reviewer",
                    a.reviewer: "admin"}  # fmt: skip
    assert {m["email"]: m["status"] for m in list_members(db, b.project_id)}[a.reviewer] == "active"


def test_update_user_changes_only_this_projects_members_and_not_ones_own(db: Database, two: tuple[Site, Site]) -> None:
    a, b = two
    a_admin, b_admin = _member(db, a.admin, a.project_id), _member(db, b.admin, b.project_id)
    with pytest.raises(NotFound):  # A's reviewer exists, but is no member of B
        update_user(db, b_admin, _id(db, a.reviewer), role="admin")
    assert _member(db, a.reviewer, a.project_id).role == "reviewer"
    with pytest.raises(InvalidInput) as own:
        update_user(db, a_admin, a_admin.user_id, status="disabled")
    assert [e["path"] for e in own.value.errors or []] == ["user"]
    with pytest.raises(InvalidInput) as bad:
        update_user(db, a_admin, _id(db, a.viewer), role="owner", status="gone")
    assert [e["path"] for e in bad.value.errors or []] == ["role", "status"]
    with pytest.raises(Forbidden):
        update_user(db, _member(db, a.reviewer, a.project_id), _id(db, a.viewer), role="admin")
    update_user(db, a_admin, _id(db, a.viewer), role="reviewer", status="disabled")
    assert load_member(db, _id(db, a.viewer), a.project_id) is None
    update_user(db, a_admin, _id(db, a.viewer), status="active")
    assert _member(db, a.viewer, a.project_id).role == "reviewer"


def test_sign_in_uses_the_active_memberships(db: Database, two: tuple[Site, Site]) -> None:
    a, b = two
    rita = _id(db, a.reviewer)
    add_user(db, _member(db, b.admin, b.project_id), a.reviewer, "viewer", "")
    update_user(db, _member(db, a.admin, a.project_id), rita, status="disabled")
    started = start_session(db, verify_login(db, a.reviewer, PASSWORD))  # disabled in A: signed in to B
    assert (started.session.member.project_id, started.session.member.role) == (b.project_id, "viewer")
    assert started.session.member.projects == ((b.project_id, "default"),)
    active = resume_session(db, started.token)
    assert active is not None and not switch_project(db, active, a.project_id)  # no switching into A
    update_user(db, _member(db, b.admin, b.project_id), rita, status="disabled")
    with pytest.raises(Unauthorized):  # disabled everywhere
        verify_login(db, a.reviewer, PASSWORD)


def test_a_role_change_ends_the_members_sessions_in_that_project_only(db: Database, two: tuple[Site, Site]) -> None:
    a, b = two
    rita = _id(db, a.reviewer)
    add_user(db, _member(db, b.admin, b.project_id), a.reviewer, "reviewer", "")
    in_a, in_b = start_session(db, rita), start_session(db, rita)
    assert switch_project(db, in_b.session, b.project_id)
    update_user(db, _member(db, b.admin, b.project_id), rita, role="viewer")
    assert resume_session(db, in_b.token) is None  # B's admin ended the session in B...
    still = resume_session(db, in_a.token)  # ...and not the one in A
    assert still is not None and still.member.role == "reviewer"
    update_user(db, _member(db, a.admin, a.project_id), rita, role="reviewer")  # no change: nothing ends
    assert resume_session(db, in_a.token) is not None


def test_create_user_from_the_command_line_names_the_project(db: Database, two: tuple[Site, Site]) -> None:
    a, b = two
    created = create_user(db, "New@Example.com", "admin", b.project_id, None, "New Person")
    assert (created.email, created.role, created.existing, len(created.password) >= 15) == (
        "new@example.com", "admin", False, True)  # fmt: skip
    assert _member(db, "new@example.com", b.project_id).is_admin
    assert load_member(db, created.id, a.project_id) is None
    with pytest.raises(NotFound):  # two projects are named "default": the name is ambiguous
        create_user(db, "other@example.com", "viewer", "default")
