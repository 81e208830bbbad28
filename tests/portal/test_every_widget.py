"""Every element type, widget, rule type and action type of the format, rendered and written (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from gallery import DEFINITION, G
from starlette.testclient import TestClient

from arabesque.app.definitions.create_definition import insert_definition
from arabesque.store import Database
from service_fixtures import Tenant

FLOW = "/collection-flow"


@pytest.fixture
def token_and_runtime(client: TestClient, tenant: Tenant, db: Database) -> tuple[str, str]:
    with db.write() as s:
        insert_definition(s, tenant.project_id, DEFINITION, created_by="test")
    body = {
        "workflowId": "widget_gallery",
        "context": {
            "entity": {
                "type": "business",
                "id": "gallery-co",
                "data": {
                    "companyName": "Gallery Co",
                    "additionalInfo": {
                        "mainRepresentative": {"firstName": "Ada", "lastName": "L", "email": "a@g.test"}
                    },
                },
            },
            "documents": [],
        },
    }
    resp = client.post("/api/v1/external/workflows/run", json=body, headers=tenant.headers)
    assert resp.status_code == 200, resp.text
    out = resp.json()
    return parse_qs(urlparse(out["collectionFlowUrl"]).query)["token"][0], out["workflowRuntimeId"]


def _context(client: TestClient, tenant: Tenant, runtime_id: str) -> dict[str, Any]:
    out: dict[str, Any] = client.get(f"/api/v1/external/workflows/{runtime_id}", headers=tenant.headers).json()
    return out


def test_every_element_and_widget_is_drawn(client: TestClient, token_and_runtime: tuple[str, str]) -> None:
    token, _ = token_and_runtime
    html = client.get(f"{FLOW}?token={token}").text
    assert (
        '<h2 class="title">Every widget</h2>' in html
        and "<h3>A subtitle</h3>" in html
        and "<h4>A smaller one</h4>" in html
    )
    assert "Some <b>bold</b> text &lt;script&gt;" in html and "<hr>" in html  # description: harmless tags only
    name = f'name="{G}.'
    assert f'type="number" {name}employees"' in html.replace("\n", " ") or re.search(
        rf'type="number" name="{G}\.employees"', html
    )
    for dest, kind in (("founded", "date"), ("phone", "tel"), ("email", "email"), ("text", "text")):
        assert re.search(rf'type="{kind}" name="{re.escape(G)}\.{dest}"', html), dest
    assert 'inputmode="decimal"' in html  # currency
    for dest, option in (
        ("size", "Large"),
        ("legalForm", "GmbH"),
        ("country", "Germany"),
        ("nationality", "France"),
        ("industry", "Software and IT"),
    ):
        assert re.search(rf'<select id="[^"]+" name="{re.escape(G)}\.{dest}"', html), dest
        assert f">{option}</option>" in html, option
    assert html.count(f'type="checkbox" name="{G}.channels"') == 2
    assert html.count(f'type="radio" name="{G}.risk"') == 2
    assert f'name="{G}.hasVat" value="true"' in html
    assert f'name="{G}.euRegister"' not in html  # visibleOn: only for DE and AT
    assert re.search(rf'name="{re.escape(G)}\.locked"[^>]*\s+disabled', html.replace("\n", " "))  # availableOn
    assert "Add an owner" in html and "Step 1 of 2" in html and "hsl(160, 80%, 30%)" in html


def test_values_are_written_with_their_types_and_rules_apply(
    client: TestClient, tenant: Tenant, token_and_runtime: tuple[str, str]
) -> None:
    token, runtime_id = token_and_runtime
    url = f"{FLOW}/page?token={token}"
    assert (
        client.post(url, data={"_state": "everything", "__add": "owners-form"}, follow_redirects=False).status_code
        == 303
    )
    assert (
        client.post(url, data={"_state": "everything", "__add": "owners-form"}, follow_redirects=False).status_code
        == 303
    )
    page = client.get(f"{FLOW}?token={token}").text
    assert "Owner 2" in page and "Add an owner" not in page  # canAdd: at most two
    assert re.search(r'Note on owners <span class="req"', page)  # requiredOn: owners.length >= 1

    values = {
        "_state": "everything",
        f"{G}.text": "hello",
        f"{G}.employees": "12",
        f"{G}.turnover": "1,250,000.50",
        f"{G}.founded": "2001-02-03",
        f"{G}.country": "DE",
        f"{G}.state": "DE-BE",
        f"{G}.industry": "Software and IT",
        f"{G}.channels": ["online", "shop", "forged"],
        f"{G}.risk": "low",
        f"{G}.tags": "kyb, onboarding ,",
        f"{G}.hasVat": "true",
        f"{G}.owners[0].name": "Grace",
        f"{G}.owners[1].name": "Alan",
    }
    bad = client.post(url, data=values, follow_redirects=False)
    assert bad.status_code == 422  # if/then: VAT registered needs a number
    assert "A VAT number is needed when VAT registered" in bad.text
    assert 'value="hello"' in bad.text and f'name="{G}.euRegister"' in bad.text  # DE chosen: the EU field shows
    ok = client.post(url, data={**values, f"{G}.vatNumber": "DE123", f"{G}.email": "x@y.co"}, follow_redirects=False)
    assert ok.status_code == 303, re.findall(r'class="error-text"[^>]*>([^<]*)', ok.text)
    gallery = _context(client, tenant, runtime_id)["context"]["entity"]["data"]["gallery"]
    assert gallery["employees"] == 12 and gallery["turnover"] == 1250000.5
    assert gallery["founded"] == "2001-02-03T00:00:00.000Z" and gallery["state"] == "DE-BE"
    assert gallery["channels"] == ["online", "shop"] and gallery["tags"] == ["kyb", "onboarding"]
    assert gallery["hasVat"] is True and gallery["reviewed"] is True  # valueApply ran on the click
    assert [o["name"] for o in gallery["owners"]] == ["Grace", "Alan"]
    assert "locked" not in gallery  # disabled (availableOn) before a country was stored: not written


def test_the_documents_page_and_the_definitions_own_finish_event(
    client: TestClient, tenant: Tenant, token_and_runtime: tuple[str, str]
) -> None:
    token, runtime_id = token_and_runtime
    first = {"_state": "everything", f"{G}.text": "hello"}
    assert client.post(f"{FLOW}/page?token={token}", data=first, follow_redirects=False).status_code == 303
    early = client.post(f"{FLOW}/page?token={token}", data={"_state": "documents"}, follow_redirects=False)
    assert early.status_code == 422 and "The registry extract is needed" in early.text
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
    up = client.post(
        f"{FLOW}/upload?token={token}",
        data={"_state": "documents", "_field": "registry"},
        files={"file": ("extract.png", png, "image/png")},
        follow_redirects=False,
    )
    assert up.status_code == 303
    back = client.get(f"{FLOW}?token={token}&page=everything")
    assert 'value="hello"' in back.text  # Back shows the page as saved
    done = client.post(f"{FLOW}/page?token={token}", data={"_state": "documents"}, follow_redirects=False)
    assert done.status_code == 303
    workflow = _context(client, tenant, runtime_id)
    assert workflow["state"] == "manual_review"  # by GALLERY_DONE, the event the UI definition sends
    document = workflow["context"]["documents"][0]
    assert document["id"] == "registry" and document["category"] == "registration_document"
    thanks = client.get(f"{FLOW}?token={token}")
    assert "Thank you" in thanks.text and 'href="https://example.org/onboarding/done"' in thanks.text
