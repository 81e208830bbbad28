"""API keys: only a hash is stored; revocation and expiry end authentication."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from arabesque.app.access.api_keys import authenticate, create_api_key, hash_key, revoke_api_key
from arabesque.app.errors import NotFound, Unauthorized
from arabesque.cli.bootstrap import create_tenant
from arabesque.store import ApiKey, Database, utcnow


def test_key_is_stored_hashed_and_authenticates(db: Database) -> None:
    project = create_tenant(db, "acme")
    created = create_api_key(db, project, name="ci")
    assert created.key.startswith(created.prefix + "_")
    with db.read() as s:
        row = s.scalars(select(ApiKey)).one()
    assert row.key_hash == hash_key(created.key) and created.key not in (row.key_hash, row.prefix)
    who = authenticate(db, f"Bearer {created.key}")
    assert who.project_id == project and who.actor == f"api-key:{created.prefix}"
    assert authenticate(db, f"bearer   {created.key}  ").project_id == project


@pytest.mark.parametrize("header", [None, "", "Bearer", "Token abc", "Bearer arb_00000000_nope"])
def test_bad_headers_are_unauthorized(db: Database, header: str | None) -> None:
    with pytest.raises(Unauthorized):
        authenticate(db, header)


def test_revoke_by_prefix_id_or_key(db: Database) -> None:
    project = create_tenant(db, "acme")
    keys = [create_api_key(db, project) for _ in range(3)]
    revoke_api_key(db, keys[0].prefix)
    revoke_api_key(db, keys[1].id)
    revoke_api_key(db, keys[2].key)
    for k in keys:
        with pytest.raises(Unauthorized, match="revoked"):
            authenticate(db, f"Bearer {k.key}")
    with pytest.raises(NotFound):
        revoke_api_key(db, "arb_missing")


def test_expired_key_is_refused(db: Database) -> None:
    project = create_tenant(db, "acme")
    key = create_api_key(db, project, expires_at=utcnow() - timedelta(minutes=1))
    with pytest.raises(Unauthorized, match="expired"):
        authenticate(db, f"Bearer {key.key}")


def test_project_is_resolved_by_name_or_must_be_named(db: Database) -> None:
    with pytest.raises(NotFound):
        create_api_key(db)  # no project at all
    create_tenant(db, "acme", project="alpha")
    assert create_api_key(db).project_id  # the only one
    create_tenant(db, "globex", project="beta")
    with pytest.raises(NotFound, match="several"):
        create_api_key(db)
    assert create_api_key(db, "beta").project_id != create_api_key(db, "alpha").project_id
    with pytest.raises(NotFound):
        create_api_key(db, "gamma")
