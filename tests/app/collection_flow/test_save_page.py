"""save_page: a page's context, the end user's fields and the submit event commit together, or not at all."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from arabesque.app.collection_flow.save_page import save_page
from arabesque.app.errors import Conflict, Forbidden, InvalidInput, Unauthorized
from arabesque.store import Database
from collection_flow_helpers import run_demo
from service_fixtures import Tenant

WORKFLOWS = "/api/v1/external/workflows"


def _workflow(client: TestClient, tenant: Tenant, runtime_id: str) -> dict:  # type: ignore[type-arg]
    return client.get(f"{WORKFLOWS}/{runtime_id}", headers=tenant.headers).json()  # type: ignore[no-any-return]


def _entity(name: str) -> dict:  # type: ignore[type-arg]
    return {"entity": {"data": {"companyName": name, "additionalInfo": {"mainRepresentative": {"firstName": "Ada"}}}}}


def test_the_context_and_the_submit_event_commit_together(client: TestClient, tenant: Tenant, db: Database) -> None:
    runtime_id, token = run_demo(client, tenant.headers)
    out = save_page(
        db,
        token,
        _entity("Acme AG"),
        end_user={"firstName": "Ada", "phone": "+4930123"},
        submit_event="COLLECTION_FLOW_FINISHED",
    )
    assert out["state"] == "manual_review"
    workflow = _workflow(client, tenant, runtime_id)
    assert workflow["state"] == "manual_review" and workflow["context"]["entity"]["data"]["companyName"] == "Acme AG"

    # in manual review the event is refused: the page's change is not written either
    with pytest.raises(InvalidInput):
        save_page(db, token, _entity("Changed Ltd"), submit_event="COLLECTION_FLOW_FINISHED")
    assert _workflow(client, tenant, runtime_id)["context"]["entity"]["data"]["companyName"] == "Acme AG"


def test_a_reviewers_event_a_bad_token_and_a_finished_case_are_refused(
    client: TestClient, tenant: Tenant, db: Database
) -> None:
    runtime_id, token = run_demo(client, tenant.headers)
    with pytest.raises(Forbidden):
        save_page(db, token, _entity("X"), submit_event="approve")
    with pytest.raises(Unauthorized):
        save_page(db, "not-a-token", _entity("X"))
    save_page(db, token, {}, submit_event="COLLECTION_FLOW_FINISHED")
    client.post(f"{WORKFLOWS}/{runtime_id}/event", json={"name": "approve"}, headers=tenant.headers)
    with pytest.raises((Unauthorized, Conflict)):  # the token is revoked when the case finishes
        save_page(db, token, _entity("Late Ltd"))
