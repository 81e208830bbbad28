from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher

from service_fixtures import backend, client, db, other_tenant, tenant  # noqa: F401


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Production argon2 parameters take about a second per hash on a CI machine; tests need no such cost."""
    from arabesque.app.access import users

    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    monkeypatch.setattr(users, "_dummy", [])
    yield
