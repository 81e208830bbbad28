"""The collection flow in a real browser (Debian's Chromium) against a real server on SQLite, with its worker sending
e-mail to a real SMTP server on loopback (aiosmtpd): the demo run over the API, its link from the invitation e-mail,
every page filled (one validation error on the way), documents uploaded, submitted, the case in manual review with
the data and the documents; then a revision: the resubmission e-mail's link, the reason shown, the document
re-uploaded, submitted again, and the reviewer approves. Also an expired link, another runtime's link (from
create-collection-flow-url), a forged upload name and a 20 MB file (refused, naming the limit), a phone-sized screen
and the keyboard.

Set ARABESQUE_SCREENSHOTS=docs/screenshots to (re)write the README's screenshots of the end-user pages.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from sqlalchemy import update

from arabesque.app.collection_flow.tokens import hash_token
from arabesque.effects.email import EmailSettings, SmtpServer
from arabesque.effects.retry import Backoff
from arabesque.store import CollectionFlowToken, Database, upgrade, utcnow
from arabesque.worker import Worker, WorkerSettings
from collection_flow_helpers import DOCUMENTS, OWNERS, PAGES, PNG, REP, WORKFLOWS, run_body
from polling import wait_for
from service_fixtures import SECRET_BOX, Tenant, make_tenant, missing_component
from smtp_server import Mailbox, smtp_server

CHROMIUM = "/usr/bin/chromium"
SHOTS = os.environ.get("ARABESQUE_SCREENSHOTS")

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Server:
    url: str
    tenant: Tenant
    db: Database
    mailbox: Mailbox

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers=self.tenant.headers, timeout=30)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    import uvicorn

    from arabesque.asgi import create_app

    base = tmp_path_factory.mktemp("portal-browser")
    db = Database(f"sqlite:///{base / 'arabesque.db'}", secret_box=SECRET_BOX)
    upgrade(db.engine)
    tenant = make_tenant(db, "Acme Onboarding")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    uv = uvicorn.Server(uvicorn.Config(create_app(db, base / "files"), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    with smtp_server() as mailbox:
        email = EmailSettings(sender="smtp", smtp=SmtpServer(mailbox.host, mailbox.port, "none"), public_url=url)
        worker = Worker(db, WorkerSettings(concurrency=2, poll=0.5, backoff=Backoff(base=0.05, cap=0.5), email=email))
        thread.start()
        worker.start()
        try:
            yield Server(url, tenant, db, mailbox)
        finally:
            worker.stop()
            uv.should_exit = True
            thread.join(timeout=10)
            sock.close()
            db.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        missing_component(f"Chromium is needed at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing_component("the playwright package is needed (pip install -e '.[dev]')")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield b
        b.close()


def _new_page(browser: Any, server: Server, width: int = 1280, height: int = 900) -> Any:
    context = browser.new_context(base_url=server.url, viewport={"width": width, "height": height})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.violations = []
    page.on("console", lambda m: page.violations.append(m.text) if "Content Security Policy" in m.text else None)
    return page


@pytest.fixture
def page(browser: Any, server: Server) -> Iterator[Any]:
    """A page in a fresh browser context; the test fails if the page broke the Content-Security-Policy."""
    pg = _new_page(browser, server)
    yield pg
    pg.context.close()
    assert pg.violations == []


def shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"collection-flow-{name}.png"), full_page=True)


def _link(server: Server, entity_id: str) -> tuple[str, str]:
    """(runtime id, the flow's link) of a new demo run: the link from create-collection-flow-url."""
    with server.api() as api:
        run = api.post("/api/v1/external/workflows/run", json=run_body(entity_id))
        assert run.status_code == 200, run.text
        out = run.json()
        end_user = next(e["id"] for e in out["entities"] if e["type"] == "individual")
        body = {"workflowRuntimeDataId": out["workflowRuntimeId"], "endUserId": end_user}
        made = api.post(f"{WORKFLOWS}/create-collection-flow-url", json=body)
        assert made.status_code == 200, made.text
    token = parse_qs(urlparse(made.json()["collectionFlowUrl"]).query)["token"][0]
    return out["workflowRuntimeId"], f"/collection-flow?token={token}"


def _mailed_link(server: Server, subject: str, seen: int) -> str:
    """The collection-flow link of the first e-mail after the `seen` first ones whose subject has `subject`."""

    def arrived() -> Any:
        return next((m for m in server.mailbox.messages[seen:] if subject in str(m["Subject"])), None)

    message = wait_for(arrived, timeout=60, what=f"an e-mail about {subject!r}")
    text = server.mailbox.text_of(message)
    [link] = {word for word in text.split() if "/collection-flow?token=" in word}
    assert link.startswith(server.url), link
    return link[len(server.url) :]


def _workflow(server: Server, runtime_id: str) -> dict[str, Any]:
    with server.api() as api:
        out: dict[str, Any] = api.get(f"{WORKFLOWS}/{runtime_id}").json()
    return out


def _field(page: Any, name: str) -> Any:
    return page.locator(f'[name="{name}"]:not([type=hidden])')


def _fill(page: Any, values: dict[str, str]) -> None:
    for name, value in values.items():
        field = _field(page, name)
        kind = field.evaluate("e => e.tagName.toLowerCase() + ':' + (e.type || '')")
        if kind.startswith("select"):
            field.select_option(value)
        elif kind.endswith("checkbox"):
            field.check() if value == "true" else field.uncheck()
        else:
            field.fill(value)


def _continue(page: Any) -> None:
    page.locator("#page-form button.primary").click()


def _file_input(document: str) -> str:
    index = DOCUMENTS.index(document)
    return f"#file-f-documents-{index}-pages-0-ballerineFileId"


def _upload(page: Any, document: str, name: str, content: bytes = PNG, mime: str = "image/png") -> None:
    from playwright.sync_api import expect

    selector = _file_input(document)
    page.locator(selector).set_input_files({"name": name, "mimeType": mime, "buffer": content})
    form = page.locator(selector).get_attribute("form")
    page.locator(f'button[form="{form}"]').click()
    expect(page.locator(selector).locator("xpath=..").locator(".file-name")).to_contain_text(name.split("/")[-1])


def test_the_demo_flow_in_the_browser_then_a_revision(page: Any, server: Server) -> None:
    from playwright.sync_api import expect

    seen = len(server.mailbox.messages)
    with server.api() as api:
        run = api.post("/api/v1/external/workflows/run", json=run_body("browser-gmbh"))
        assert run.status_code == 200, run.text
    runtime_id = run.json()["workflowRuntimeId"]
    link = _mailed_link(server, "invit", seen)  # the invitation, sent by the worker with a token of its own
    page.goto(link)
    expect(page.get_by_text("Step 1 of 5")).to_be_visible()
    expect(page.locator(".brand img")).to_be_visible()  # the theme's logo
    shot(page, "personal-details")

    # one validation error on the way: shown under the field, the other values kept
    _fill(page, {**PAGES["personal_details"], f"{REP}.phone": "12"})
    _continue(page)
    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.get_by_text("Phone number must be 10 to 15 digits")).to_be_visible()
    expect(_field(page, f"{REP}.additionalInfo.jobTitle")).to_have_value("CFO")
    expect(_field(page, f"{REP}.phone")).to_be_focused()  # the first error has the focus
    shot(page, "validation-error")
    _fill(page, {f"{REP}.phone": PAGES["personal_details"][f"{REP}.phone"]})
    _continue(page)

    expect(page.get_by_text("Step 2 of 5")).to_be_visible()
    _fill(page, PAGES["company_information"])
    shot(page, "company-information")
    _continue(page)
    expect(page.get_by_text("Step 3 of 5")).to_be_visible()
    _fill(page, PAGES["business_address_information"])
    _continue(page)

    expect(page.get_by_text("Step 4 of 5")).to_be_visible()
    page.locator('button[name="__add"][value="ubos-form"]').click()
    page.locator('button[name="__add"][value="directors-form"]').click()
    _fill(page, OWNERS)
    shot(page, "company-ownership")
    _continue(page)

    expect(page.get_by_text("Step 5 of 5")).to_be_visible()
    # a 20 MB file is refused before it is sent, naming the limit
    page.locator(_file_input("document-bank-statement")).set_input_files(
        {"name": "huge.png", "mimeType": "image/png", "buffer": PNG + b"0" * (20 * 1024 * 1024)}
    )
    expect(page.get_by_text("File size exceeds 10 MB")).to_be_visible()
    form = page.locator(_file_input("document-bank-statement")).get_attribute("form")
    page.locator(f'button[form="{form}"]').click()
    expect(page.get_by_text("File size exceeds 10 MB")).to_be_visible()
    for i, document in enumerate(DOCUMENTS):
        name = "../../<img src=x onerror=alert(1)>.png" if i == 0 else f"{document}.png"
        _upload(page, document, name)
    # a forged name: the path dropped, the markup shown as text (the CSP check of the fixture sees no script)
    expect(page.get_by_text("Uploaded: <img src=x onerror=alert(1)>.png")).to_be_visible()
    shot(page, "company-documents")
    _continue(page)
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    shot(page, "submitted")

    workflow = _workflow(server, runtime_id)
    assert workflow["state"] == "manual_review"
    data = workflow["context"]["entity"]["data"]
    assert data["additionalInfo"]["headquarters"]["city"] == "Berlin"
    assert data["additionalInfo"]["directors"][0]["additionalInfo"]["nationality"] == "GB"
    documents = {d["id"]: d for d in workflow["context"]["documents"]}
    assert set(documents) == set(DOCUMENTS)
    assert documents["document-bank-statement"]["pages"][0]["fileName"] == "<img src=x onerror=alert(1)>.png"

    # the reviewer asks for a new bank statement
    reason = "The statement is older than 6 months"
    with server.api() as api:
        decided = api.patch(
            f"{WORKFLOWS}/{runtime_id}/decision/document-bank-statement",
            json={"decision": "revision", "reason": reason},
        )
        assert decided.status_code == 200, decided.text
        seen = len(server.mailbox.messages)
        assert api.post(f"{WORKFLOWS}/{runtime_id}/event", json={"name": "revision"}).status_code == 200
    link = _mailed_link(server, "", seen)  # the resubmission e-mail
    page.goto(link)
    expect(page.get_by_text(reason).first).to_be_visible()
    expect(page.get_by_text("Step 5 of 5")).to_be_visible()
    shot(page, "revision")
    _upload(page, "document-bank-statement", "new-statement.pdf", b"%PDF-1.4\n%new\n", "application/pdf")
    _continue(page)
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    workflow = _workflow(server, runtime_id)
    assert workflow["state"] == "manual_review"
    bank = next(d for d in workflow["context"]["documents"] if d["id"] == "document-bank-statement")
    assert bank["decision"] == {} and bank["pages"][0]["fileName"] == "new-statement.pdf"

    # the reviewer approves the documents, then the case; the finished case's links are closed
    with server.api() as api:
        for document in DOCUMENTS:
            decided = api.patch(f"{WORKFLOWS}/{runtime_id}/decision/{document}", json={"decision": "approve"})
            assert decided.status_code == 200, decided.text
        assert api.post(f"{WORKFLOWS}/{runtime_id}/event", json={"name": "approve"}).status_code == 200
    assert _workflow(server, runtime_id)["state"] == "approved"
    response = page.goto(link)
    assert response is not None and response.status == 401


def test_an_expired_link_and_another_runtimes_link(page: Any, server: Server) -> None:
    from playwright.sync_api import expect

    _, first = _link(server, "first-kg")
    _, second = _link(server, "second-kg")
    page.goto(first)
    _fill(page, {**PAGES["personal_details"], f"{REP}.lastName": "Babbage"})
    _continue(page)
    expect(page.get_by_text("Step 2 of 5")).to_be_visible()
    page.goto(second)
    expect(_field(page, f"{REP}.lastName")).to_have_value("Lovelace")  # its own runtime's data only

    token = parse_qs(urlparse(first).query)["token"][0]
    with server.db.engine.begin() as conn:
        conn.execute(
            update(CollectionFlowToken)
            .where(CollectionFlowToken.token_hash == hash_token(token))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    response = page.goto(first)
    assert response is not None and response.status == 401
    expect(page.get_by_role("heading", name="This link cannot be opened")).to_be_visible()
    assert "Babbage" not in page.content()
    shot(page, "invalid-link")


def test_phone_sized_german_and_keyboard(browser: Any, server: Server) -> None:
    from playwright.sync_api import expect

    page = _new_page(browser, server, 390, 844)
    try:
        _, link = _link(server, "phone-ag")
        page.goto(link)
        page.locator("#lng").select_option("de")
        page.get_by_role("button", name="Change").click()
        expect(page.get_by_text("Schritt 1 von 5")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scrolling
        shot(page, "phone-de")
        # the keyboard alone: the skip link, then the fields in order
        page.keyboard.press("Tab")
        expect(page.get_by_role("link", name="Zum Formular springen")).to_be_focused()
        page.locator(f'[name="{REP}.firstName"]').focus()
        page.keyboard.press("Tab")
        expect(_field(page, f"{REP}.lastName")).to_be_focused()
        page.keyboard.press("Enter")  # submits the page: the errors are announced in German
        expect(page.get_by_text("Bitte korrigieren Sie die markierten Felder.")).to_be_visible()
        assert page.violations == []
    finally:
        page.context.close()
