from service_fixtures import backend, client, db, other_tenant, tenant  # noqa: F401
