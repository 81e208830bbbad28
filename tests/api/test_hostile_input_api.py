"""Hostile input is a 400 naming where the problem is, never a 500 (SQLite and PostgreSQL).

PostgreSQL cannot store a NUL character (text, jsonb) and no driver can encode a lone UTF-16 surrogate;
both are refused at the edge with the path of each. Paging is bounded (page x limit within a 64-bit
OFFSET).
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from starlette.testclient import TestClient

from arabesque.api.schemas import MAX_LIMIT, MAX_PAGE
from arabesque.store import Database
from service_fixtures import SEED, Tenant

RUN = "/api/v1/external/workflows/run"
WORKFLOWS = "/api/v1/external/workflows"


def refused(resp: Any, *paths: str) -> list[dict[str, str]]:
    """A 400 in the error shape whose `errors` name exactly `paths`."""
    assert resp.status_code == 400, resp.text
    body = resp.json()
    assert body["statusCode"] == 400 and isinstance(body["message"], str)
    assert sorted(e["path"] for e in body["errors"]) == sorted(paths), body
    return list(body["errors"])


def post_json(client: TestClient, url: str, raw: str, tenant: Tenant, method: str = "POST") -> Any:
    """`raw` is sent as it is written: `\\ud800` and `\\u0000` stay JSON escapes on the wire."""
    headers = {**tenant.headers, "Content-Type": "application/json"}
    return client.request(method, url, content=raw.encode("ascii"), headers=headers)


def seed_with(**data: Any) -> str:
    body = copy.deepcopy(SEED)
    body["context"]["entity"]["data"].update(data)
    return json.dumps(body)


def a_runtime(client: TestClient, tenant: Tenant) -> str:
    resp = client.post(RUN, json=SEED, headers=tenant.headers)
    assert resp.status_code == 200, resp.text
    return str(resp.json()["workflowRuntimeId"])


# --- paging -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [WORKFLOWS, "/api/v1/workflow-definition"])
def test_paging_out_of_bounds_is_400_with_the_parameter(client: TestClient, tenant: Tenant, url: str) -> None:
    get = lambda query: client.get(f"{url}?{query}", headers=tenant.headers)  # noqa: E731
    refused(get("page=4611686018427387904"), "query.page")
    refused(get(f"page={MAX_PAGE + 1}"), "query.page")
    refused(get("page=0"), "query.page")
    refused(get(f"limit={MAX_LIMIT + 1}"), "query.limit")
    refused(get("page=99999999999999999999999&limit=0"), "query.page", "query.limit")
    last = get(f"page={MAX_PAGE}&limit={MAX_LIMIT}")
    assert last.status_code == 200, last.text


# --- lone surrogates (both databases) -------------------------------------------------------------------


def test_a_lone_surrogate_in_a_body_is_400_with_its_path(client: TestClient, tenant: Tenant) -> None:
    raw = seed_with(note="x").replace('"note": "x"', '"note": "a\\ud800b"')
    refused(post_json(client, RUN, raw, tenant), "context.entity.data.note")
    raw = seed_with(note="x").replace('"note": "x"', '"\\udfff": "x"')
    refused(post_json(client, RUN, raw, tenant), "context.entity.data.\\udfff")
    runtime = a_runtime(client, tenant)
    refused(
        post_json(client, f"{WORKFLOWS}/{runtime}/event", '{"name": "approve", "payload": {"a": ["\\ud83d"]}}', tenant),
        "payload.a.0",
    )
    refused(post_json(client, f"{WORKFLOWS}/{runtime}", '{"tags": ["\\udc00"]}', tenant, "PATCH"), "tags.0")


def test_paired_surrogates_and_escaped_backslashes_are_ordinary_text(client: TestClient, tenant: Tenant) -> None:
    raw = seed_with(note="x").replace('"note": "x"', '"note": "\\ud83d\\ude00", "plain": "\\\\u0000 \\\\ud800"')
    resp = post_json(client, RUN, raw, tenant)
    assert resp.status_code == 200, resp.text
    runtime = resp.json()["workflowRuntimeId"]
    data = client.get(f"{WORKFLOWS}/{runtime}", headers=tenant.headers).json()["context"]["entity"]["data"]
    assert data["note"] == "\U0001f600" and data["plain"] == "\\u0000 \\ud800"


# --- NUL characters (PostgreSQL's 500s; refused on both databases) ---------------------------------------


def test_nul_in_a_json_value_or_key_is_400_with_its_path(client: TestClient, tenant: Tenant) -> None:
    raw = seed_with(note="x").replace('"note": "x"', '"note": "a\\u0000", "k\\u0000": {"deep": ["\\u0000"]}')
    errors = refused(
        post_json(client, RUN, raw, tenant),
        "context.entity.data.note",
        "context.entity.data.k\\u0000",
        "context.entity.data.k\\u0000.deep.0",
    )
    assert {e["message"] for e in errors} == {"contains a NUL character", "the key contains a NUL character"}
    refused(post_json(client, RUN, '{"workflowId": "till\\u0000", "context": {}}', tenant), "workflowId")


def test_nul_in_a_path_id_is_400_naming_the_parameter(client: TestClient, tenant: Tenant) -> None:
    runtime = a_runtime(client, tenant)
    for url, param in [
        (f"{WORKFLOWS}/ab%00c", "runtime_id"),
        (f"{WORKFLOWS}/ab%00c/context", "runtime_id"),
        ("/api/v1/workflow-definition/till%00", "definition_id"),
        ("/api/v1/external/businesses/acme%00", "key"),
        ("/api/v1/external/end-users/%00", "key"),
        ("/api/v1/external/files/f%00", "file_id"),
        ("/api/v1/external/webhooks/w%00/deliveries", "subscription_id"),
    ]:
        refused(client.get(url, headers=tenant.headers), f"path.{param}")
    refused(
        client.patch(f"{WORKFLOWS}/{runtime}/decision/d%00", json={"decision": "approve"}, headers=tenant.headers),
        "path.document_id",
    )
    refused(client.delete("/api/v1/external/webhooks/w%00", headers=tenant.headers), "path.subscription_id")
    refused(client.put("/api/v1/external/secrets/k%00", json={"value": "v"}, headers=tenant.headers), "path.name")


def test_nul_in_a_filter_is_400_naming_the_parameter(client: TestClient, tenant: Tenant) -> None:
    resp = client.get(f"{WORKFLOWS}?workflowDefinitionId=a%00&entityId=%00", headers=tenant.headers)
    refused(resp, "query.workflowDefinitionId", "query.entityId")


def test_nul_in_a_secret_value_or_a_webhook_url_is_400(client: TestClient, tenant: Tenant) -> None:
    refused(post_json(client, "/api/v1/external/secrets/token", '{"value": "s\\u0000"}', tenant, "PUT"), "value")
    raw = '{"url": "https://example.com/\\u0000", "events": ["workflow.completed"], "description": "\\u0000"}'
    refused(post_json(client, "/api/v1/external/webhooks", raw, tenant), "url", "description")


def test_nul_in_an_uploaded_file_name_is_400(client: TestClient, tenant: Tenant) -> None:
    # Written by hand: HTTP clients percent-encode a NUL in a file name, a hostile client need not.
    body = (
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="scan\x00.png"\r\n'
        b"Content-Type: image/png\r\n\r\n\x89PNG\x00\r\n--b--\r\n"
    )
    headers = {**tenant.headers, "Content-Type": "multipart/form-data; boundary=b"}
    refused(client.post("/api/v1/external/files", content=body, headers=headers), "file.filename")
    ok = client.post(
        "/api/v1/external/files",
        files={"file": ("scan.png", b"\x89PNG\r\n\x1a\n\x00\x00", "image/png")},
        headers=tenant.headers,
    )
    assert ok.status_code == 201, ok.text  # NUL bytes in the content itself are fine


def test_nul_in_a_header_the_api_reads_is_400(client: TestClient, tenant: Tenant) -> None:
    # HTTP clients refuse to send such a header; the guard sees it at the ASGI level, as a server could pass it.
    import anyio

    app = client.app
    headers = [(b"authorization", tenant.headers["Authorization"].encode()), (b"idempotency-key", b"k\x00")]
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": RUN,
        "raw_path": RUN.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [*headers, (b"content-type", b"application/json")],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": json.dumps(SEED).encode(), "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def call() -> None:
        await app(scope, receive, send)  # type: ignore[arg-type]

    anyio.run(call)
    assert sent[0]["status"] == 400
    body = json.loads(b"".join(m.get("body", b"") for m in sent[1:]))
    assert body["errors"] == [{"path": "headers.idempotency-key", "message": "contains a NUL character"}]


def test_a_body_that_is_not_utf8_is_400_in_the_error_shape(client: TestClient, tenant: Tenant) -> None:
    resp = client.post(
        RUN, content=b'{"workflowId": "\xff\xfe"}', headers={**tenant.headers, "Content-Type": "application/json"}
    )
    refused(resp, "body")


def test_a_body_nested_past_the_parser_limit_is_400_even_with_an_escape(client: TestClient, tenant: Tenant) -> None:
    headers = {**tenant.headers, "Content-Type": "application/json"}
    for inner in (b'"x"', b'"\\u0000"'):
        deep = b'{"workflowId": "x", "context": {"a": ' + b"[" * 100_000 + inner + b"]" * 100_000 + b"}}"
        refused(client.post(RUN, content=deep, headers=headers), "body")


# --- values longer than their columns (PostgreSQL's varchar limits; SQLite stores them) ---------------------


def test_a_value_too_long_for_its_column_is_400_not_500(client: TestClient, tenant: Tenant, db: Database) -> None:
    long = "x" * 5000
    webhook = {"url": "https://example.com/" + long, "events": ["workflow.completed"], "description": long}
    refused(client.post("/api/v1/external/webhooks", json=webhook, headers=tenant.headers), "url", "description")
    body = copy.deepcopy(SEED)
    body["context"]["entity"]["id"] = long  # the entity's correlation id: varchar(200)
    definition = {"id": long, "name": long, "definition": {"id": "d", "initial": "a", "states": {"a": {}}}}
    for resp in (
        client.post(RUN, json=body, headers=tenant.headers),
        client.post("/api/v1/workflow-definition", json=definition, headers=tenant.headers),
    ):
        if db.sqlite:
            assert resp.status_code < 300, resp.text
        else:  # the net under the use cases' own checks: PostgreSQL's "value too long" (SQLSTATE 22001)
            assert refused(resp, "body") == [{"path": "body", "message": "a value is too long or out of range"}]
