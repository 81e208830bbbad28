"""`effects/email.py`: each sender against a real counterpart on loopback (aiosmtpd, an HTTP receiver), the
failure classes the retry policy reads, the templates and their per-project override, and what is never logged."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import structlog

from arabesque.effects.egress import EgressPolicy
from arabesque.effects.email import EmailExecutor, EmailSettings, SmtpServer
from arabesque.effects.email_render import override_secret
from arabesque.effects.retry import Backoff, GiveUp, Retry, plugin_decision
from arabesque.engine import EmailCall
from smtp_server import Mailbox, smtp_server
from worker.receiver import Receiver, serve

PUBLIC = "https://onboarding.example"
TOKEN = "0f1e2d3c-token-4b5a"


def _invitation(**data: Any) -> EmailCall:
    variables = {"customerName": "Acme Bank", "firstName": "Ada", "companyName": "Zed & Co", "language": "en"}
    return EmailCall(
        "e1",
        "invitation-email",
        "invitation",
        ("ada@zed.example",),
        {**variables, **data},
        True,
        links={"collectionFlowUrl": {"token": TOKEN, "lng": "en"}},
    )


def _executor(
    secrets: dict[str, str] | None = None,
    sender: str = "log",
    smtp: SmtpServer | None = None,
    client: httpx.Client | None = None,
    egress: EgressPolicy | None = None,
) -> EmailExecutor:
    settings = EmailSettings(
        sender=sender,  # type: ignore[arg-type]
        public_url=PUBLIC,
        smtp=smtp or SmtpServer(),
        timeout=5.0,
    )
    store = secrets or {}
    return EmailExecutor(settings, store.get, client or httpx.Client(), egress=egress)


@pytest.fixture
def box() -> Iterator[Mailbox]:
    with smtp_server() as mailbox:
        yield mailbox


@pytest.fixture
def rx() -> Iterator[Receiver]:
    with serve() as receiver:
        yield receiver


def _smtp(box: Mailbox, **kw: Any) -> SmtpServer:
    return SmtpServer(host=box.host, port=box.port, security="none", **kw)


# -- the log sender ------------------------------------------------------------------------------------------


def test_the_log_sender_logs_the_rendered_message_and_sends_nothing() -> None:
    with structlog.testing.capture_logs() as logs:
        attempt = _executor().attempt(_invitation(), "rt:e1")
    assert attempt.failure is None and attempt.outcome.error is None
    [line] = [entry for entry in logs if entry["event"] == "e-mail logged, not sent"]
    record = line["email"]
    assert record == attempt.outcome.body  # the same record goes to the audit
    assert record["sender"] == "log" and record["to"] == ["ada@zed.example"]
    assert record["subject"] == "Acme Bank invite you to complete Zed & Co's onboarding"
    assert f"{PUBLIC}/collection-flow?token=[redacted]&lng=en" in record["text"]
    assert TOKEN not in json.dumps(logs)


def test_a_mapping_that_asks_for_the_log_adapter_is_logged_whatever_the_sender(box: Mailbox) -> None:
    call = EmailCall("e1", "mail", "generic", ("a@b.example",), {"subject": "Hi"}, True, adapter="log")
    attempt = _executor(sender="smtp", smtp=_smtp(box)).attempt(call, "k")
    assert attempt.failure is None and attempt.outcome.body["sender"] == "log" and box.messages == []


# -- SMTP ----------------------------------------------------------------------------------------------------


def test_smtp_delivers_the_invitation_with_its_link_escaped_in_html(box: Mailbox) -> None:
    attempt = _executor(sender="smtp", smtp=_smtp(box)).attempt(_invitation(customerName="<b>Acme</b>"), "rt:e1")
    assert attempt.failure is None and attempt.outcome.status == 250
    [message] = box.messages
    assert message["To"] == "ada@zed.example" and message["From"] == "no-reply@arabesque.local"
    link = f"{PUBLIC}/collection-flow?token={TOKEN}&lng=en"
    assert link in box.text_of(message)
    html = box.html_of(message)
    assert link.replace("&", "&amp;") in html and "&lt;b&gt;Acme&lt;/b&gt;" in html and "<b>Acme" not in html
    assert '<html lang="en">' in html
    again = _executor(sender="smtp", smtp=_smtp(box)).attempt(_invitation(), "rt:e1")
    assert again.failure is None
    assert box.messages[1]["Message-ID"] == message["Message-ID"]  # the same on a retry of the same effect


def test_smtp_logs_in_with_the_project_password_which_is_never_logged_or_recorded() -> None:
    password = "s3cret-smtp-pw"
    with smtp_server("mailer", password) as box, structlog.testing.capture_logs() as logs:
        secrets = {"SMTP_HOST": box.host, "SMTP_PORT": str(box.port), "SMTP_SECURITY": "none"}
        secrets |= {"SMTP_USER": "mailer", "SMTP_PASSWORD": password, "MAIL_ADAPTER": "smtp"}
        executor = _executor(secrets, egress=EgressPolicy(allow_private=True))
        attempt = executor.attempt(_invitation(), "k")
        wrong = _executor({**secrets, "SMTP_PASSWORD": "nope"}, egress=EgressPolicy(allow_private=True))
        refused = wrong.attempt(_invitation(), "k")
    assert attempt.failure is None and box.logins == ["mailer"] and len(box.messages) == 1
    assert refused.failure is not None and refused.failure.kind == "rejected"  # 535: final
    assert "535" in (refused.outcome.error or "")
    everything = json.dumps([logs, attempt.outcome.to_json(), refused.outcome.to_json()])
    assert password not in everything and "nope" not in everything


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_smtp_over_starttls_or_implicit_tls_with_a_login(security: str) -> None:
    with smtp_server("mailer", "pw-123", tls=security) as box:  # type: ignore[arg-type]
        server = SmtpServer(box.host, box.port, security, "mailer", "pw-123")  # type: ignore[arg-type]
        settings = EmailSettings(sender="smtp", public_url=PUBLIC, smtp=server, timeout=5.0)
        executor = EmailExecutor(settings, {}.get, httpx.Client(), ssl_context=box.client_context)
        attempt = executor.attempt(_invitation(), "k")
        plain = _executor(sender="smtp", smtp=SmtpServer(box.host, box.port, "none", "mailer", "pw-123"))
        refused = plain.attempt(_invitation(), "k", timeout=1.0)  # a TLS server never greets a plain client
    assert attempt.failure is None and box.logins == ["mailer"] and len(box.messages) == 1
    assert refused.failure is not None and len(box.messages) == 1  # no TLS, no delivery
    with smtp_server(tls=security) as other:  # type: ignore[arg-type]
        untrusted = _executor(sender="smtp", smtp=SmtpServer(other.host, other.port, security))  # type: ignore[arg-type]
        failed = untrusted.attempt(_invitation(), "k")  # the system's CAs do not know the test certificate
    assert failed.failure is not None and failed.failure.kind == "connect" and other.messages == []
    assert "CERTIFICATE_VERIFY_FAILED" in (failed.outcome.error or "")


def test_a_project_smtp_host_goes_through_the_egress_policy(box: Mailbox) -> None:
    secrets = {"MAIL_ADAPTER": "smtp", "SMTP_HOST": box.host, "SMTP_PORT": str(box.port), "SMTP_SECURITY": "none"}
    attempt = _executor(secrets, egress=EgressPolicy()).attempt(_invitation(), "k")
    assert attempt.failure is not None and attempt.failure.kind == "refused"
    assert "non-public address" in (attempt.outcome.error or "") and box.messages == []


@pytest.mark.parametrize(
    ("reply", "kind", "retried"),
    [("451 4.3.0 Mailbox busy, try later", "transient", True), ("550 5.1.1 No such user", "rejected", False)],
)
def test_smtp_replies_are_classified_for_the_retry_policy(box: Mailbox, reply: str, kind: str, retried: bool) -> None:
    box.reply = lambda n: reply
    attempt = _executor(sender="smtp", smtp=_smtp(box)).attempt(_invitation(), "k")
    assert attempt.failure is not None and attempt.failure.kind == kind
    assert reply.split()[0] in (attempt.outcome.error or "") and box.messages == []
    decision = plugin_decision(1, 5, attempt.failure, Backoff(), 0.5)
    assert isinstance(decision, Retry if retried else GiveUp)


def test_no_smtp_server_is_a_refusal_and_an_unreachable_one_is_retried() -> None:
    attempt = _executor(sender="smtp").attempt(_invitation(), "k")
    assert attempt.failure is not None and attempt.failure.kind == "refused"
    assert "ARABESQUE_SMTP_HOST" in (attempt.outcome.error or "")
    with smtp_server() as box:
        port = box.port
    gone = _executor(sender="smtp", smtp=SmtpServer("127.0.0.1", port, "none")).attempt(_invitation(), "k")
    assert gone.failure is not None and gone.failure.kind == "connect"


# -- SendGrid-compatible HTTP --------------------------------------------------------------------------------


def test_the_sendgrid_sender_posts_the_v3_body_with_the_token(rx: Receiver) -> None:
    rx.rule = lambda r, n: (202, {}, {})
    secrets = {"EMAIL_API_URL": rx.url + "/v3/mail/send", "EMAIL_API_TOKEN": "SG.api-token-123"}
    call = _invitation()
    call = EmailCall(**{**call.__dict__, "template_id": "d-123", "from_name": "Acme Team"})
    with structlog.testing.capture_logs() as logs:
        attempt = _executor(secrets, sender="sendgrid").attempt(call, "rt:e1")
    assert attempt.failure is None and attempt.outcome.status == 202
    [request] = rx.on("/v3/mail/send")
    assert request.headers["authorization"] == "Bearer SG.api-token-123"
    assert request.headers["idempotency-key"] == "rt:e1"
    body = json.loads(request.body)
    assert body["from"] == {"email": "no-reply@arabesque.local", "name": "Acme Team"}
    assert body["template_id"] == "d-123"
    [personalization] = body["personalizations"]
    assert personalization["to"] == [{"email": "ada@zed.example"}]
    assert personalization["dynamic_template_data"]["customerName"] == "Acme Bank"
    assert personalization["subject"] == "Acme Bank invite you to complete Zed & Co's onboarding"
    assert [c["type"] for c in body["content"]] == ["text/plain", "text/html"]
    assert "SG.api-token-123" not in json.dumps([logs, attempt.outcome.to_json()])


@pytest.mark.parametrize(("status", "kind"), [(503, "status"), (400, "status")])
def test_the_sendgrid_sender_reports_an_error_answer(rx: Receiver, status: int, kind: str) -> None:
    rx.rule = lambda r, n: (status, {"errors": [{"message": "nope"}]}, {})
    attempt = _executor({"EMAIL_API_URL": rx.url + "/send"}, sender="sendgrid").attempt(_invitation(), "k")
    assert attempt.failure is not None and attempt.failure.kind == kind and attempt.failure.status == status
    assert "Request Failed" in (attempt.outcome.error or "") and "authorization" not in rx.on("/send")[0].headers


def test_the_sendgrid_sender_needs_the_api_url() -> None:
    attempt = _executor(sender="sendgrid").attempt(_invitation(), "k")
    assert attempt.failure is not None and attempt.failure.kind == "refused"
    assert "EMAIL_API_URL" in (attempt.outcome.error or "")


def test_an_unknown_adapter_secret_is_refused() -> None:
    attempt = _executor({"MAIL_ADAPTER": "pigeon"}).attempt(_invitation(), "k")
    assert attempt.failure is not None and attempt.failure.kind == "refused"
    assert "MAIL_ADAPTER" in (attempt.outcome.error or "")


# -- templates -----------------------------------------------------------------------------------------------


def test_a_project_template_replaces_the_built_in_one(box: Mailbox) -> None:
    source = (
        "{% block subject %}Welcome, {{ firstName|upper }}{% endblock %}"
        '{% block body %}<p>{{ customerName }}: <a href="{{ collectionFlowUrl }}">go</a></p>{% endblock %}'
    )
    secrets = {override_secret("invitation"): source}
    assert override_secret("associated-company-email") == "EMAIL_TEMPLATE_ASSOCIATED_COMPANY_EMAIL"
    attempt = _executor(secrets, sender="smtp", smtp=_smtp(box)).attempt(_invitation(customerName="<i>A</i>"), "k")
    assert attempt.failure is None
    [message] = box.messages
    assert message["Subject"] == "Welcome, ADA"
    assert "&lt;i&gt;A&lt;/i&gt;" in box.html_of(message)
    assert f"go: {PUBLIC}/collection-flow?token={TOKEN}&lng=en" in box.text_of(message)


@pytest.mark.parametrize(
    ("source", "needle"),
    [
        ("{% block subject %}{% endblock %}{% block body %}{% for i in range(9) %}x{% endfor %}{% endblock %}", "For"),
        ("{% block subject %}{{ 'x' * 99999999 }}{% endblock %}{% block body %}{% endblock %}", "Mul"),
        ("{% block subject %}{{ lipsum() }}{% endblock %}{% block body %}{% endblock %}", "Call"),
        ("{% block subject %}{% endblock %}{% block body %}{% include 'x' %}{% endblock %}", "Include"),
        ("{% block subject %}{{ x|map('upper') }}{% endblock %}{% block body %}{% endblock %}", "filter 'map'"),
        ("{% block subject %}hi{% endblock %}", "no body block"),
        ("{% if %}", "invalid"),
        ("x" * 70_000, "over"),
    ],
)
def test_a_project_template_outside_the_bounded_subset_is_refused(source: str, needle: str) -> None:
    attempt = _executor({override_secret("invitation"): source}).attempt(_invitation(), "k")
    assert attempt.failure is not None and attempt.failure.kind == "refused"
    assert needle in (attempt.outcome.error or "")


@pytest.mark.parametrize(
    ("template", "data", "links", "phrase"),
    [
        ("resubmission", {"kybCompanyName": "Zed", "revisionReason": "blurry passport"}, "resubmissionLink", "blurry"),
        ("associated-company-email", {"kybCompanyName": "Zed", "companyName": "Sub"}, "collectionFlowUrl", "Sub"),
        ("session", {"kycLink": "https://kyc.example/s/1"}, None, "https://kyc.example/s/1"),
        ("generic", {"subject": "Note", "text": "A <note>"}, None, "A &lt;note&gt;"),
    ],
)
def test_every_built_in_template_renders(
    box: Mailbox, template: str, data: dict[str, Any], links: str | None, phrase: str
) -> None:
    link = {links: {"token": TOKEN}} if links else {}
    call = EmailCall("e1", "p", template, ("x@y.example",), data, True, links=link)
    attempt = _executor(sender="smtp", smtp=_smtp(box)).attempt(call, "k")
    assert attempt.failure is None
    [message] = box.messages
    assert phrase in box.html_of(message) and message["Subject"]
    if links:
        assert f"{PUBLIC}/collection-flow?token={TOKEN}" in box.text_of(message)
