"""A real SMTP server on loopback (aiosmtpd) for the e-mail tests: it keeps every message it accepts, can answer
the DATA command with a reply of the test's choosing, and can require a login (AUTH PLAIN)."""

from __future__ import annotations

import ipaddress
import socket
import ssl
import tempfile
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

__all__ = ["Mailbox", "smtp_server"]


@dataclass
class Mailbox:
    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    # (attempt number, 1-based) -> an SMTP reply such as "451 4.3.0 try later", or None to accept
    reply: Callable[[int], str | None] = lambda n: None
    attempts: int = 0
    client_context: ssl.SSLContext | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def html_of(self, message: EmailMessage) -> str:
        part = message.get_body(("html",))
        assert part is not None
        return str(part.get_content())

    def text_of(self, message: EmailMessage) -> str:
        part = message.get_body(("plain",))
        assert part is not None
        return str(part.get_content())


class _Handler:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.box.lock:
            self.box.attempts += 1
            reply = self.box.reply(self.box.attempts)
            if reply is not None:
                return reply
            message = message_from_bytes(envelope.content, policy=policy.default)
            assert isinstance(message, EmailMessage)
            self.box.messages.append(message)
        return "250 OK"


def _certificate(directory: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A self-signed certificate for 127.0.0.1: (the server's context, a client context that trusts only it)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cafile=str(cert_file))
    return server, client


@contextmanager
def smtp_server(
    user: str | None = None, password: str | None = None, tls: Literal["starttls", "tls"] | None = None
) -> Iterator[Mailbox]:
    """An SMTP server on 127.0.0.1 (a free port); with `user`, AUTH PLAIN is required (over plain text, which
    aiosmtpd allows only when told: this is a loopback test); with `tls`, STARTTLS is required or the whole
    connection is TLS, with a self-signed certificate that `Mailbox.client_context` trusts."""
    box = Mailbox("127.0.0.1", 0)

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.login.decode() == user and data.password.decode() == password
        if ok:
            box.logins.append(user or "")
        return AuthResult(success=ok, handled=False)

    options: dict[str, Any] = {}
    if user is not None:
        options = {"authenticator": authenticate, "auth_required": True, "auth_require_tls": False}
        options["auth_exclude_mechanism"] = ["LOGIN"]  # smtplib falls back from PLAIN to LOGIN, which hangs here
    with tempfile.TemporaryDirectory() as directory:
        if tls is not None:
            server_context, box.client_context = _certificate(Path(directory))
            if tls == "starttls":
                options |= {"tls_context": server_context, "require_starttls": True}
            else:
                options["ssl_context"] = server_context
    with socket.socket() as probe:  # aiosmtpd's controller cannot start on port 0: take a free port first
        probe.bind(("127.0.0.1", 0))
        box.port = probe.getsockname()[1]
    controller = Controller(_Handler(box), hostname="127.0.0.1", port=box.port, **options)
    with warnings.catch_warnings():  # "AUTH without TLS": deliberate, on loopback
        warnings.simplefilter("ignore")
        controller.start()
    try:
        yield box
    finally:
        controller.stop()
