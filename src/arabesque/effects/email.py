"""Execute an `EmailCall` effect: choose the sender, render the message, send it once, report an `Attempt`.

Senders (`ARABESQUE_EMAIL_SENDER`, or the project secret `MAIL_ADAPTER`, Ballerine's name for it):

- `log` (default): nothing leaves the process; the message is written to the process log (logger
  `arabesque.email`) and returned in the outcome, which the worker puts in the runtime's audit record;
- `smtp`: the standard library's `smtplib` (a worker thread blocks on it like on an HTTP call; nothing here needs
  asyncio), to `ARABESQUE_SMTP_*` or the project secrets `SMTP_HOST`, `SMTP_PORT`, `SMTP_SECURITY`
  (`starttls`, `tls`, `none`), `SMTP_USER`, `SMTP_PASSWORD`; a host from the project's secrets goes through the
  egress policy like a plugin URL;
- `sendgrid`: `POST` of the SendGrid v3 body to the project secret `EMAIL_API_URL` with
  `Authorization: Bearer <EMAIL_API_TOKEN>`, through `HttpExecutor` (the egress policy, timeouts, the same
  failure classes as a plugin call).

An e-mail plugin's mapping that says `adapter: "log"` is logged whatever the sender (as in Ballerine).

Failures are classified for the plugin retry policy like HTTP ones: no connection or a timeout is retried, an
SMTP 4xx reply is `transient` (retried), a 5xx reply `rejected` (final), an invalid configuration or template
`refused` (final). Nothing logged or returned holds a password, an API token or the collection-flow token
(each link's `token` is replaced by `[redacted]` in the copy that is logged and audited).
"""

from __future__ import annotations

import hashlib
import json
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from email.utils import formataddr
from typing import Any, Literal
from urllib.parse import quote_plus

import httpx

from arabesque.effects.egress import EgressPolicy, EgressRefused, Unresolved
from arabesque.effects.email_render import Rendered, TemplateRefused, override_secret, render
from arabesque.effects.http import Attempt, HttpExecutor, Secrets, describe
from arabesque.effects.retry import Failure, FailureKind
from arabesque.engine import EmailCall, HttpCall, HttpOutcome, HttpRequest
from arabesque.observability.logs import get_logger

__all__ = ["SENDERS", "EmailExecutor", "EmailSettings", "SmtpServer"]

LOGGER = "arabesque.email"

SenderName = Literal["log", "smtp", "sendgrid"]
SENDERS: tuple[SenderName, ...] = ("log", "smtp", "sendgrid")
Security = Literal["starttls", "tls", "none"]
MAX_LOGGED_CHARS = 20_000  # of each body in the log record and the audit


@dataclass(frozen=True)
class SmtpServer:
    host: str | None = None
    port: int = 587
    security: Security = "starttls"
    user: str | None = None
    password: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class EmailSettings:
    """What the service's settings say (each overridable by the project's secrets)."""

    sender: SenderName = "log"
    from_email: str = "no-reply@arabesque.local"
    public_url: str = "http://localhost:3000"
    smtp: SmtpServer = field(default_factory=SmtpServer)
    timeout: float = 30.0


Lookup = Callable[[str], str | None]


class _Failed(Exception):
    def __init__(
        self, kind: FailureKind, message: str, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.kind, self.status, self.retry_after = kind, status, retry_after


class EmailExecutor:
    def __init__(
        self,
        settings: EmailSettings,
        secret: Lookup,
        client: httpx.Client,
        egress: EgressPolicy | None = None,
        trusted_client: httpx.Client | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        """`secret(name)` reads the project's secret (None when it has none)."""
        self.settings, self.secret, self.client, self.egress = settings, secret, client, egress
        self.trusted_client, self.ssl_context = trusted_client, ssl_context

    def attempt(self, call: EmailCall, idempotency_key: str, timeout: float | None = None) -> Attempt:
        """Render and send `call` once; the outcome's `body` is the (redacted) record of what was sent."""
        timeout = timeout if timeout is not None else self.settings.timeout
        record: dict[str, Any] = {"template": call.template, "to": list(call.to)}
        try:
            sender = self._sender(call)
            record["sender"] = sender
            sender_address = self.secret("EMAIL_FROM") or call.from_email or self.settings.from_email
            override = self.secret(override_secret(call.template))
            rendered = render(call, self.settings.public_url, override)
            record.update(_message_record(call, rendered, sender_address))
            if sender == "log":
                # A logger per call: bound to the logging set-up of the moment, not the first one's.
                get_logger(LOGGER).info("e-mail logged, not sent", email=record)
                status = None
            elif sender == "smtp":
                status = self._smtp(call, rendered, sender_address, idempotency_key, timeout)
            else:
                status = self._sendgrid(call, rendered, sender_address, idempotency_key, timeout)
        except _Failed as exc:
            error = f"The {call.template} e-mail was not sent: {exc}"
            record["error"] = str(exc)
            return Attempt(
                HttpOutcome(call.id, status=exc.status, error=error, body=record),
                Failure(exc.kind, exc.status, exc.retry_after),
            )
        except TemplateRefused as exc:
            return Attempt(
                HttpOutcome(call.id, error=f"The {call.template} e-mail was not sent: {exc}", body=record),
                Failure("refused"),
            )
        return Attempt(HttpOutcome(call.id, status=status, status_text="sent", body=record), None)

    def _sender(self, call: EmailCall) -> SenderName:
        if call.adapter == "log":
            return "log"
        chosen = (self.secret("MAIL_ADAPTER") or self.settings.sender).strip().lower()
        for name in SENDERS:
            if chosen == name:
                return name
        raise _Failed("refused", f"the project secret MAIL_ADAPTER is {chosen!r}; one of {', '.join(SENDERS)}")

    # -- SMTP -----------------------------------------------------------------------------------------------

    def _smtp_server(self) -> tuple[SmtpServer, bool]:
        """The server, and whether it came from the project's secrets (then it is subject to the egress policy)."""
        base = self.settings.smtp
        host = self.secret("SMTP_HOST")
        server = replace(
            base,
            host=host or base.host,
            user=self.secret("SMTP_USER") or base.user,
            password=self.secret("SMTP_PASSWORD") or base.password,
        )
        port, security = self.secret("SMTP_PORT"), self.secret("SMTP_SECURITY")
        if port:
            if not port.strip().isdigit() or not 0 < int(port) < 65536:
                raise _Failed("refused", "the project secret SMTP_PORT is not a port number")
            server = replace(server, port=int(port))
        if security:
            value = security.strip().lower()
            if value not in ("starttls", "tls", "none"):
                raise _Failed("refused", "the project secret SMTP_SECURITY is not one of starttls, tls, none")
            server = replace(server, security=value)  # type: ignore[arg-type]
        if not server.host:
            raise _Failed("refused", "no SMTP server: set ARABESQUE_SMTP_HOST or the project secret SMTP_HOST")
        return server, bool(host)

    def _smtp(self, call: EmailCall, rendered: Rendered, sender: str, key: str, timeout: float) -> int:
        server, from_project = self._smtp_server()
        assert server.host is not None
        if from_project and self.egress is not None:
            try:
                self.egress.check(f"https://{server.host}:{server.port}/")
            except EgressRefused as exc:
                raise _Failed("refused", f"refused: {exc}") from None
            except Unresolved as exc:
                raise _Failed("connect", str(exc)) from None
        try:
            message = _mime(call, rendered, sender, key)
        except (ValueError, TypeError) as exc:  # an address or name no header can carry
            raise _Failed("refused", f"the message cannot be built: {describe(exc)}") from None
        context = self.ssl_context or ssl.create_default_context()
        try:
            client: smtplib.SMTP
            if server.security == "tls":
                client = smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=context)
            else:
                client = smtplib.SMTP(server.host, server.port, timeout=timeout)
            with client:
                if server.security == "starttls":
                    client.starttls(context=context)
                if server.user:
                    client.login(server.user, server.password or "")
                refused = client.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            kind: FailureKind = "transient" if all(400 <= c < 500 for c in codes) else "rejected"
            raise _Failed(kind, f"every recipient was refused ({', '.join(map(str, codes))})", max(codes)) from None
        except smtplib.SMTPResponseException as exc:
            kind = "transient" if 400 <= exc.smtp_code < 500 else "rejected"
            reply = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
            raise _Failed(kind, f"the SMTP server answered {exc.smtp_code} {reply}"[:500], exc.smtp_code) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise _Failed("refused", f"the SMTP server does not support it: {exc}") from None
        except TimeoutError as exc:
            raise _Failed("timeout", f"the SMTP server did not answer in time: {describe(exc)}") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise _Failed("connect", f"the SMTP server could not be reached: {describe(exc)}") from None
        if refused:  # some recipients were refused, the others accepted: sent (the refusals are in the record)
            get_logger(LOGGER).warning("SMTP server refused some recipients", refused=sorted(refused))
        return 250

    # -- SendGrid-compatible HTTP ----------------------------------------------------------------------------

    def _sendgrid(self, call: EmailCall, rendered: Rendered, sender: str, key: str, timeout: float) -> int:
        if not self.secret("EMAIL_API_URL"):
            raise _Failed("refused", "no e-mail API: set the project secret EMAIL_API_URL")
        headers = {"Content-Type": "application/json", "accept": "application/json"}
        if self.secret("EMAIL_API_TOKEN"):
            headers["Authorization"] = "Bearer {secrets.EMAIL_API_TOKEN}"  # resolved by the executor, never logged
        request = HttpRequest(
            "POST", "{secrets.EMAIL_API_URL}", headers, body=sendgrid_body(call, rendered, sender), has_body=True
        )
        executor = HttpExecutor(self.client, Secrets({}, self.secret), timeout, self.egress, self.trusted_client)
        attempt = executor.attempt(HttpCall(call.id, call.plugin, request, True), timeout, key)
        outcome, failure = attempt.outcome, attempt.failure
        if failure is None:
            return outcome.status or 200
        if outcome.error:
            raise _Failed(failure.kind, outcome.error, outcome.status)
        detail = f"Request Failed: {outcome.status_text} Error: {json.dumps(outcome.body)[:300]}"
        raise _Failed(failure.kind, detail, outcome.status, failure.retry_after)


def sendgrid_body(call: EmailCall, rendered: Rendered, sender: str) -> dict[str, Any]:
    """The SendGrid v3 `mail/send` body, as Ballerine's `email` plugin shapes it: `from`, one personalization with
    every recipient and the mapped variables as `dynamic_template_data`, and `template_id` when the plugin names one;
    plus the rendered subject and content, so a plain SendGrid-compatible API needs no template of its own. The
    subject sits in the personalization (where Ballerine's spread puts it), so no value from the context is a
    top-level string (the executor resolves `{secrets.NAME}` there)."""
    from_: dict[str, str] = {"email": sender}
    if call.from_name:
        from_["name"] = call.from_name
    personalization: dict[str, Any] = {
        "to": [{"email": to} for to in call.to],
        "subject": rendered.subject,
        "dynamic_template_data": call.data,
    }
    body: dict[str, Any] = {
        "from": from_,
        "personalizations": [personalization],
        "content": [{"type": "text/plain", "value": rendered.text}, {"type": "text/html", "value": rendered.html}],
    }
    if call.template_id:
        body["template_id"] = call.template_id
    return body


def _mime(call: EmailCall, rendered: Rendered, sender: str, key: str) -> EmailMessage:
    message = EmailMessage()
    name = " ".join((call.from_name or "").split())  # no line break reaches a header
    message["From"] = formataddr((name, sender)) if name else sender
    message["To"] = ", ".join(call.to)
    message["Subject"] = rendered.subject
    # The same on every retry of the effect, so a receiving system can recognise a repeated delivery.
    message["Message-ID"] = f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@arabesque>"
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    return message


def _message_record(call: EmailCall, rendered: Rendered, sender: str) -> dict[str, Any]:
    """What was sent, for the log and the audit: the collection-flow tokens redacted, the bodies bounded."""
    tokens = [q["token"] for q in call.links.values() if q.get("token")]
    tokens += [quote_plus(t) for t in tokens]  # as it appears in the link

    def redact(text: str) -> str:
        for token in sorted(set(tokens), key=len, reverse=True):
            text = text.replace(token, "[redacted]")
        return text[:MAX_LOGGED_CHARS]

    return {
        "from": sender,
        "subject": redact(rendered.subject),
        "text": redact(rendered.text),  # the HTML part says the same; the audit keeps one
    }
