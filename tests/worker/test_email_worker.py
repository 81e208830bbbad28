"""E-mail and vendor plugins delivered by the worker, on SQLite and PostgreSQL: an invitation from a running workflow
reaches a real SMTP server on loopback; a 4xx reply is retried, a 5xx one ends in the error action; the log sender
records the message in the audit; a project's template replaces the built-in one; Ballerine's vendor kinds call the
project's `UNIFIED_API_URL`, and say so when it is not set. No password or token reaches the audit."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from definitions import install
from receiver import serve, wait_for
from sqlalchemy import select

from arabesque.app.secrets.project_secrets import set_project_secret
from arabesque.app.workflows.queries import get_workflow
from arabesque.app.workflows.run_workflow import run_workflow
from arabesque.effects.email import EmailSettings, SmtpServer
from arabesque.effects.retry import Backoff
from arabesque.store import Database, RuntimeEvent
from arabesque.worker import Worker, WorkerSettings
from paths import ROOT
from service_fixtures import Tenant
from smtp_server import Mailbox, smtp_server

PUBLIC = "https://kyc.example"
TOKEN = "5b0e-collection-token"
FAST = WorkerSettings(concurrency=2, lease=5.0, poll=0.5, backoff=Backoff(base=0.02, cap=0.1), allow_private=True)


def _dynamic_ui() -> dict[str, Any]:
    record = json.loads((ROOT / "tests/fixtures/ballerine/kyb_dynamic_ui_session_example.json").read_text())
    del record["_about"]
    return dict(record)


def _run(db: Database, tenant: Tenant, entity: str = "zed") -> str:
    body = {
        "workflowId": "kyb_dynamic_ui_session_example",
        "context": {
            "entity": {
                "type": "business",
                "id": entity,
                "data": {
                    "companyName": "Zed & Co",
                    "additionalInfo": {"mainRepresentative": {"email": "ada@zed.example", "firstName": "Ada"}},
                },
            },
            "metadata": {"token": TOKEN, "customerName": "Acme Bank"},
            "documents": [],
        },
    }
    return str(run_workflow(db, tenant.who, body)["workflowRuntimeId"])


def _worker(db: Database, **email: Any) -> Worker:
    return Worker(db, replace(FAST, email=EmailSettings(public_url=PUBLIC, **email)))


@pytest.fixture
def box() -> Iterator[Mailbox]:
    with smtp_server() as mailbox:
        yield mailbox


def _settled(db: Database, tenant: Tenant, rid: str) -> dict[str, Any] | None:
    wf = get_workflow(db, tenant.who, rid)
    return wf if wf["state"] != "collection_invite" else None


def _audit(db: Database, rid: str) -> list[RuntimeEvent]:
    with db.read() as s:
        return list(s.scalars(select(RuntimeEvent).where(RuntimeEvent.runtime_id == rid).order_by(RuntimeEvent.seq)))


def _outcome(db: Database, rid: str) -> dict[str, Any]:
    [event] = [e for e in _audit(db, rid) if e.kind == "plugin outcome"]
    return dict(event.details["payload"])


def test_an_invitation_from_a_running_workflow_reaches_the_smtp_server(
    db: Database, tenant: Tenant, box: Mailbox
) -> None:
    install(db, tenant.project_id, _dynamic_ui())
    worker = _worker(db, sender="smtp", smtp=SmtpServer(box.host, box.port, "none"))
    worker.start()
    try:
        rid = _run(db, tenant)
        wf = wait_for(lambda: _settled(db, tenant, rid), what="the invitation's outcome")
    finally:
        worker.stop()
    assert wf["state"] == "collection_flow" and wf["context"]["pluginsOutput"] == {"invitation": {}}
    [message] = box.messages
    assert message["To"] == "ada@zed.example"
    assert f"{PUBLIC}/collection-flow?token={TOKEN}&lng=en" in box.text_of(message)
    assert "Acme Bank" in message["Subject"] and "Zed &amp; Co" in box.html_of(message)
    outcome = _outcome(db, rid)
    assert outcome["email"]["sender"] == "smtp" and outcome["email"]["to"] == ["ada@zed.example"]
    assert TOKEN not in json.dumps([e.details for e in _audit(db, rid)])


def test_a_transient_smtp_reply_is_retried_then_delivered(db: Database, tenant: Tenant, box: Mailbox) -> None:
    box.reply = lambda n: "451 4.3.0 try again later" if n == 1 else None
    install(db, tenant.project_id, _dynamic_ui())
    worker = _worker(db, sender="smtp", smtp=SmtpServer(box.host, box.port, "none"))
    worker.start()
    try:
        rid = _run(db, tenant)
        wf = wait_for(lambda: _settled(db, tenant, rid), what="the invitation's outcome")
    finally:
        worker.stop()
    assert wf["state"] == "collection_flow" and len(box.messages) == 1 and box.attempts == 2
    [retry] = [e for e in _audit(db, rid) if e.kind == "plugin attempt"]
    assert "451" in retry.details["error"] and retry.details["attempt"] == 1
    assert _outcome(db, rid)["attempts"] == 2


def test_a_permanent_smtp_reply_ends_in_the_error_action(db: Database, tenant: Tenant, box: Mailbox) -> None:
    box.reply = lambda n: "550 5.1.1 no such mailbox"
    install(db, tenant.project_id, _dynamic_ui())
    worker = _worker(db, sender="smtp", smtp=SmtpServer(box.host, box.port, "none"))
    worker.start()
    try:
        rid = _run(db, tenant)
        wf = wait_for(lambda: _settled(db, tenant, rid), what="the invitation's outcome")
    finally:
        worker.stop()
    assert wf["state"] == "failed" and box.attempts == 1 and box.messages == []
    error = wf["context"]["pluginsOutput"]["invitation"]
    assert error["status"] == "ERROR" and error["name"] == "invitation" and "550" in error["error"]


def test_the_log_sender_records_the_message_and_a_project_template_replaces_the_built_in_one(
    db: Database, tenant: Tenant
) -> None:
    install(db, tenant.project_id, _dynamic_ui())
    template = "{% block subject %}Hello {{ firstName }} from {{ customerName }}{% endblock %}"
    template += "{% block body %}<p>{{ collectionFlowUrl }}</p>{% endblock %}"
    set_project_secret(db, tenant.who, "EMAIL_TEMPLATE_INVITATION", template)
    worker = _worker(db)  # the default sender: log
    worker.start()
    try:
        rid = _run(db, tenant)
        wf = wait_for(lambda: _settled(db, tenant, rid), what="the invitation's outcome")
    finally:
        worker.stop()
    assert wf["state"] == "collection_flow"
    email = _outcome(db, rid)["email"]
    assert email["sender"] == "log" and email["subject"] == "Hello Ada from Acme Bank"
    assert email["text"] == f"{PUBLIC}/collection-flow?token=[redacted]&lng=en\n"


def test_smtp_settings_from_the_project_secrets_win(db: Database, tenant: Tenant, box: Mailbox) -> None:
    install(db, tenant.project_id, _dynamic_ui())
    for name, value in {"MAIL_ADAPTER": "smtp", "SMTP_HOST": box.host, "SMTP_PORT": str(box.port)}.items():
        set_project_secret(db, tenant.who, name, value)
    set_project_secret(db, tenant.who, "SMTP_SECURITY", "none")
    set_project_secret(db, tenant.who, "EMAIL_FROM", "onboarding@acme.example")
    worker = _worker(db)  # the settings say log; the project says smtp
    worker.start()
    try:
        rid = _run(db, tenant)
        wait_for(lambda: _settled(db, tenant, rid), what="the invitation's outcome")
    finally:
        worker.stop()
    [message] = box.messages
    assert message["From"] == "onboarding@acme.example"


def test_the_sendgrid_sender_posts_from_the_worker(db: Database, tenant: Tenant) -> None:
    install(db, tenant.project_id, _dynamic_ui())
    with serve() as rx:
        rx.rule = lambda r, n: (202, {}, {})
        set_project_secret(db, tenant.who, "MAIL_ADAPTER", "sendgrid")
        set_project_secret(db, tenant.who, "EMAIL_API_URL", rx.url + "/v3/mail/send")
        set_project_secret(db, tenant.who, "EMAIL_API_TOKEN", "SG.secret-token")
        worker = _worker(db)
        worker.start()
        try:
            rid = _run(db, tenant)
            wf = wait_for(lambda: _settled(db, tenant, rid), what="the invitation's outcome")
        finally:
            worker.stop()
        [request] = rx.requests
    assert wf["state"] == "collection_flow"
    body = json.loads(request.body)
    assert body["personalizations"][0]["to"] == [{"email": "ada@zed.example"}]
    assert request.headers["authorization"] == "Bearer SG.secret-token"
    assert request.headers["idempotency-key"] == f"{rid}:e1"
    assert "SG.secret-token" not in json.dumps([e.details for e in _audit(db, rid)])


# -- Ballerine's vendor kinds ------------------------------------------------------------------------------------


def _registry_flow() -> dict[str, Any]:
    return {
        "id": "registry_flow",
        "name": "registry_flow",
        "definition": {
            "initial": "idle",
            "states": {
                "idle": {"on": {"START": "get_vendor_data"}},
                "get_vendor_data": {"on": {"VENDOR_DONE": "manual_review", "VENDOR_FAILED": "failed"}},
                "manual_review": {"on": {"approve": "approved"}},
                "approved": {"type": "final"},
                "failed": {"type": "final"},
            },
        },
        "extensions": {
            "apiPlugins": [
                {
                    "name": "businessInformation",
                    "vendor": "asia-verify",
                    "pluginKind": "registry-information",
                    "stateNames": ["get_vendor_data"],
                    "successAction": "VENDOR_DONE",
                    "errorAction": "VENDOR_FAILED",
                }
            ]
        },
        "config": {"initialEvent": "START"},
    }


def _run_registry(db: Database, tenant: Tenant) -> dict[str, Any]:
    install(db, tenant.project_id, _registry_flow())
    data = {"companyName": "Zed", "country": "GB", "registrationNumber": "0123"}
    body = {"workflowId": "registry_flow", "context": {"entity": {"type": "business", "id": "zed", "data": data}}}
    worker = Worker(db, FAST)
    worker.start()
    try:
        rid = run_workflow(db, tenant.who, body)["workflowRuntimeId"]
        return dict(
            wait_for(
                lambda: (wf := get_workflow(db, tenant.who, rid))["state"] != "get_vendor_data" and wf,
                what="the vendor call's outcome",
            )
        )
    finally:
        worker.stop()


def test_a_vendor_kind_calls_the_projects_unified_api(db: Database, tenant: Tenant) -> None:
    with serve() as rx:
        rx.rule = lambda r, n: (200, {"companyName": "ZED LTD"}, {})
        set_project_secret(db, tenant.who, "UNIFIED_API_URL", rx.url + "/unified")
        set_project_secret(db, tenant.who, "UNIFIED_API_TOKEN", "uapi-token-1")
        wf = _run_registry(db, tenant)
        [request] = rx.requests
    assert wf["state"] == "manual_review"
    assert wf["context"]["pluginsOutput"]["businessInformation"] == {
        "companyName": "ZED LTD",
        "name": "businessInformation",
        "status": "SUCCESS",
    }
    assert request.path == "/unified/companies-v2/GB/0123?vendor=asia-verify"
    assert request.headers["authorization"] == "Bearer uapi-token-1"
    audit = json.dumps([e.details for e in _audit(db, wf["id"])])
    assert "uapi-token-1" not in audit


def test_a_vendor_kind_without_the_unified_api_takes_the_error_action(db: Database, tenant: Tenant) -> None:
    wf = _run_registry(db, tenant)
    assert wf["state"] == "failed"
    error = wf["context"]["pluginsOutput"]["businessInformation"]
    assert error["status"] == "ERROR" and error["name"] == "businessInformation"
    assert "UNIFIED_API_URL" in error["error"]
