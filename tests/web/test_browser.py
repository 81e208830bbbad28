"""The Case Management application in a real browser (Debian's Chromium) against a real server on SQLite.

One server and one browser for the module; each test gets a fresh browser context (its own cookies).
Set ARABESQUE_SCREENSHOTS=docs/screenshots to (re)write the README's screenshots while the tests run.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import struct
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from web_helpers import PASSWORD, Site, seed_site

from arabesque.store import Database, upgrade
from service_fixtures import SECRET_BOX, missing_component

CHROMIUM = "/usr/bin/chromium"
SHOTS = os.environ.get("ARABESQUE_SCREENSHOTS")

pytestmark = pytest.mark.browser


def _png(width: int = 480, height: int = 300) -> bytes:
    """A small document-like picture: a light card with dark bars."""
    rows = []
    for y in range(height):
        row = bytearray([0])
        for x in range(width):
            bar = 40 <= x <= width - 40 and (y // 18) % 3 == 1 and y > 60
            header = y < 40
            rgb = (40, 70, 160) if header else (60, 60, 70) if bar else (244, 241, 232)
            row.extend(rgb)
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )


@dataclass(frozen=True)
class Server:
    url: str
    site: Site
    other_case: str  # a case of another project
    other_project: str
    doc_case: str  # a KYC case with three documents, in manual review
    db: Database


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    import uvicorn

    from arabesque.app.access import users
    from arabesque.app.access.principal import Principal
    from arabesque.app.files.store_file import store_file
    from arabesque.app.workflows.run_workflow import run_workflow
    from arabesque.asgi import create_app

    saved = users._hasher
    users._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    base = tmp_path_factory.mktemp("browser")
    db = Database(f"sqlite:///{base / 'arabesque.db'}", secret_box=SECRET_BOX)
    upgrade(db.engine)
    site = seed_site(db)
    other = seed_site(db, "globex", prefix="g-")
    files = base / "files"
    who = Principal(site.project_id, "api-key:test")
    image = store_file(db, files, who, "passport.png", "image/png", _png())
    docs = [
        {
            "category": cat,
            "type": typ,
            "issuer": {"country": "GB"},
            "pages": [
                {
                    "ballerineFileId": image["id"],
                    "type": "image/png",
                    "fileName": "passport.png",
                    "metadata": {"side": "front"},
                }
            ],
        }
        for cat, typ in (("identification", "passport"), ("proof_of_address", "utility_bill"), ("selfie", "photo"))
    ]
    body = {
        "workflowId": "kyc_document_review",
        "context": {
            "entity": {
                "type": "individual",
                "id": "kyc-1",
                "data": {"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com"},
            },
            "documents": docs,
        },
    }
    doc_case = run_workflow(db, who, body)["workflowRuntimeId"]
    globex = {"companyName": "Globex", "country": "US", "registrationNumber": "9"}
    entity = {"type": "business", "id": "g-1", "data": globex}
    seed = {"workflowId": "till_basic_kyb_demo", "context": {"entity": entity}}
    other_case = run_workflow(db, Principal(other.project_id, "api-key:test"), seed)["workflowRuntimeId"]

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)  # listening before the server thread starts: requests wait in the backlog
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(db, files), log_level="warning", lifespan="off")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{port}", site, other_case, other.project_id, doc_case, db)
    finally:
        uv.should_exit = True
        thread.join(timeout=10)
        sock.close()
        db.dispose()
        users._hasher = saved


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


@pytest.fixture
def page(browser: Any, server: Server) -> Iterator[Any]:
    """A page in a fresh browser context; the test fails if the page broke the Content-Security-Policy."""
    context = browser.new_context(base_url=server.url, viewport={"width": 1360, "height": 900})
    context.set_default_timeout(15_000)
    pg = context.new_page()
    violations: list[str] = []
    pg.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    yield pg
    context.close()
    assert violations == []


def shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def login(page: Any, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)  # the home dashboard; these tests start at the first queue
    page.get_by_role("navigation", name="Businesses").get_by_role("link").first.click()
    page.wait_for_url(re.compile(r"/queues/"))


def test_login_then_the_seed_five_steps(page: Any, server: Server) -> None:
    from playwright.sync_api import expect

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=/"))
    shot(page, "login")
    login(page, server.site.reviewer)
    # 1. the queue
    page.get_by_role("navigation", name="Businesses").get_by_role("link", name="Businesses").click()
    expect(page.get_by_role("heading", name="Businesses")).to_be_visible()
    # 2. Add Case Manually
    page.get_by_role("link", name=re.compile("Add Case Manually.*Basic KYB")).click()
    expect(page.get_by_role("heading", name="Add a case")).to_be_visible()
    # 3. fill
    page.get_by_label("Company name").fill("Till Company Limited")
    page.get_by_label("Registration number").fill("756OPOPOP08238")
    page.get_by_label("Country").fill("US")
    page.get_by_label("Email").fill("email@ballerine.com")
    page.get_by_label("First name").fill("First")
    page.get_by_label("Last name").fill("Last")
    shot(page, "add-case")
    # 4. submit
    page.get_by_role("button", name="Add Case").click()
    # 5. the case opens in the state its initial event leads to
    expect(page).to_have_url(re.compile(r"/cases/[0-9a-f-]+"))
    expect(page.locator("#case-name")).to_have_text("Till Company Limited")
    expect(page.locator("#case-state")).to_have_text("manual_review")
    expect(page.locator(".timeline")).to_contain_text("Created the case")
    page.get_by_role("link", name="← Back to the queue").click()
    expect(page.get_by_role("link", name="Till Company Limited").first).to_be_visible()
    shot(page, "case-list")


def test_validation_errors_are_shown_next_to_fields_and_values_kept(page: Any, server: Server) -> None:
    from playwright.sync_api import expect

    login(page, server.site.reviewer)
    page.get_by_role("link", name=re.compile("Add Case Manually.*Basic KYB")).click()
    page.get_by_label("Registration number").fill("KEEP-ME-123")
    page.get_by_label("Country").fill("usa")
    page.get_by_role("button", name="Add Case").click()
    expect(page.get_by_role("alert")).to_contain_text("The case was not created")
    expect(page.locator('[data-for="entity.data.companyName"]')).to_have_text("This field is required.")
    expect(page.locator('[data-for="entity.data.country"]')).to_contain_text("Choose a country")
    expect(page.get_by_label("Registration number")).to_have_value("KEEP-ME-123")
    expect(page.get_by_label("Country")).to_have_value("usa")
    shot(page, "add-case-errors")


def test_assign_to_me_then_document_approve_and_revision(page: Any, server: Server) -> None:
    from playwright.sync_api import expect

    login(page, server.site.reviewer)
    page.goto(f"/cases/{server.doc_case}")
    expect(page.get_by_role("button", name="Re-upload needed")).to_have_count(0)  # not assigned yet
    page.get_by_role("button", name="Assign to me").click()
    expect(page.locator("#assignee")).to_have_text("Rita Test")
    expect(page.locator('[data-tab="summary"]')).to_have_attribute("aria-current", "page")
    expect(page.locator("article.document")).to_have_count(0)  # the documents have their own tab
    page.locator("#case-tabs").get_by_role("link", name=re.compile(r"^Documents \(3\)")).click()
    page.wait_for_url(re.compile(r"activeTab=documents"))
    expect(page.locator('[data-tab="documents"]')).to_have_attribute("aria-current", "page")
    shot(page, "case-review")
    passport = page.locator("article.document", has_text="Identification - Passport")
    passport.locator("summary", has_text="Approve").click()
    passport.get_by_role("button", name="Approve document").click()
    passport = page.locator("article.document", has_text="Identification - Passport")
    expect(passport.locator("[data-decision]")).to_have_text("Approved")
    expect(page.locator("#case-state")).to_have_text("document_review")
    bill = page.locator("article.document", has_text="Proof of address - Utility bill")
    bill.locator("summary", has_text="Re-upload needed").click()
    revision = bill.locator("form", has=page.locator('input[value="revision"]'))
    revision.get_by_label("Reason").fill("Blurry image")
    revision.get_by_label("Comment (optional)").fill("The address is unreadable")
    bill.get_by_role("button", name="Ask for re-upload").click()
    bill = page.locator("article.document", has_text="Proof of address - Utility bill")
    expect(bill.locator("[data-decision]")).to_have_text("Re-upload needed")
    assert "activeTab=documents" in page.url  # the actions keep the reviewer on the tab
    expect(page.locator("#case-state")).to_have_text("revision")  # the definition's rule moved the case
    expect(page.locator(".timeline")).to_contain_text("Asked to re-upload the document")
    expect(page.locator(".timeline")).to_contain_text("Blurry image")


def test_case_approve_moves_the_case_to_a_final_state(page: Any, server: Server) -> None:
    from playwright.sync_api import expect

    login(page, server.site.reviewer)
    page.get_by_role("link", name=re.compile("Add Case Manually.*Basic KYB")).click()
    page.get_by_label("Company name").fill("Approve Me Ltd")
    page.get_by_label("Registration number").fill("A-1")
    page.get_by_label("Country").fill("GB")
    page.get_by_role("button", name="Add Case").click()
    expect(page.locator("#case-state")).to_have_text("manual_review")
    page.get_by_role("button", name="Assign to me").click()
    page.locator("summary", has_text="Approve").click()
    page.get_by_label("Reason (optional)").first.fill("All checks passed")
    page.get_by_role("button", name="Confirm: approve").click()
    expect(page.locator("#case-state")).to_have_text("approved")
    expect(page.locator("#case-status")).to_have_text("completed")
    expect(page.locator("#case-actions")).to_have_count(0)
    page.get_by_label("Add a note").fill("Customer informed by phone.")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator(".timeline li").first).to_contain_text("Customer informed by phone.")
    expect(page.locator(".timeline")).to_contain_text("All checks passed")
    expect(page.locator("svg.diagram .node.current")).to_have_attribute("data-state", "approved")
    shot(page, "case-approved")


def test_a_viewer_cannot_act(page: Any, server: Server) -> None:
    from playwright.sync_api import expect

    login(page, server.site.viewer)
    page.goto(f"/cases/{server.doc_case}")
    expect(page.locator("#case-name")).to_have_text("Ada Lovelace")
    expect(page.get_by_role("button", name="Assign to me")).to_have_count(0)
    expect(page.locator("summary", has_text="Approve")).to_have_count(0)
    expect(page.get_by_label("Add a note")).to_have_count(0)
    token = page.locator('input[name="csrf_token"]').first.get_attribute("value")
    for path, form in (("event", {"event": "approve"}), ("assign", {"assignee": "me"}), ("notes", {"text": "x"})):
        forged = page.request.post(f"/cases/{server.doc_case}/{path}", form={**form, "csrf_token": token})
        assert forged.status == 403, path


def test_a_post_without_its_csrf_token_is_refused(page: Any, server: Server) -> None:
    login(page, server.site.reviewer)
    response = page.request.post(f"/cases/{server.doc_case}/notes", form={"text": "no token"})
    assert response.status == 403
    assert "CSRF" in response.text()


def test_another_projects_case_is_404(page: Any, server: Server) -> None:
    from playwright.sync_api import expect

    login(page, server.site.reviewer)
    response = page.goto(f"/cases/{server.other_case}")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="404")).to_be_visible()


def test_admin_pages(page: Any, server: Server) -> None:
    from playwright.sync_api import expect

    login(page, server.site.admin)
    page.get_by_role("link", name="Workflow definitions").click()
    page.get_by_role("link", name="v1").first.click()
    expect(page.locator("svg.diagram")).to_be_visible()
    shot(page, "definition")
    page.goto("/admin/users")
    expect(page.get_by_role("cell", name=server.site.viewer)).to_be_visible()
    shot(page, "users")


def test_the_project_switcher_and_confirmations_work_without_inline_script(page: Any, server: Server) -> None:
    """The handlers the templates used to carry inline (`onchange`, `onsubmit`) come from /static/app.js."""
    from playwright.sync_api import expect

    from arabesque.app.access.users import create_user

    create_user(server.db, "switch@example.com", "reviewer", server.site.project_id, PASSWORD, "Switch Test")
    create_user(server.db, "switch@example.com", "admin", server.other_project)
    login(page, "switch@example.com")
    expect(page.locator(".me .role")).to_have_text("reviewer")
    page.get_by_label("Project").select_option(server.other_project)  # submits itself
    expect(page.locator(".me .role")).to_have_text("admin")
    response = page.goto(f"/cases/{server.other_case}")
    assert response is not None and response.status == 200
    expect(page.locator("#case-name")).to_have_text("Globex")

    page.goto("/admin/webhooks")
    page.get_by_label("URL").fill("https://hooks.example.test/arabesque")
    page.get_by_label("every event (*)").check()
    page.get_by_role("button", name="Add subscription").click()
    expect(page.locator("#new-secret")).to_be_visible()
    asked: list[str] = []

    def answer(accept: bool) -> None:
        page.once("dialog", lambda d: (asked.append(d.message), d.accept() if accept else d.dismiss()))

    answer(False)
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("link", name="https://hooks.example.test/arabesque")).to_be_visible()
    answer(True)
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_text("No webhook subscriptions.")).to_be_visible()
    assert asked == ["Delete this subscription? Pending retries are dead-lettered."] * 2


def _kyb_case(server: Server, name: str) -> str:
    """A Basic KYB case in manual review with two documents (no pages), created through the API's use case."""
    from arabesque.app.access.principal import Principal
    from arabesque.app.workflows.run_workflow import run_workflow

    docs = [
        {"id": f"{name[:3].lower()}-{n}", "category": "registration", "type": typ, "issuer": {"country": "GB"},
         "pages": []}
        for n, typ in enumerate(("certificate_of_incorporation", "bank_statement"))
    ]
    entity = {"type": "business", "id": f"kyb-{name}", "data": {"companyName": name, "country": "GB",
                                                                "registrationNumber": "R-9"}}
    body = {"workflowId": "till_basic_kyb_demo", "context": {"entity": entity, "documents": docs}}
    who = Principal(server.site.project_id, "api-key:test")
    return str(run_workflow(server.db, who, body)["workflowRuntimeId"])


def test_approve_is_disabled_with_a_pending_reupload_and_refused_when_forged(page: Any, server: Server) -> None:
    from playwright.sync_api import expect

    case_id = _kyb_case(server, "Guarded Trading Ltd")
    login(page, server.site.reviewer)
    page.goto(f"/cases/{case_id}")
    page.get_by_role("button", name="Assign to me").click()
    approve = page.locator('#case-actions button[data-event="approve"]')
    expect(approve).to_be_disabled()  # two documents undecided
    page.locator("#case-tabs").get_by_role("link", name=re.compile(r"^Documents")).click()
    statement = page.locator("article.document", has_text="Bank statement")
    statement.locator("summary", has_text="Re-upload needed").click()
    box = statement.locator("details[open] .popover").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 1360  # the popover stays on screen
    statement.locator("details[open]").get_by_label("Reason").fill("Older than three months")
    statement.get_by_role("button", name="Ask for re-upload").click()
    certificate = page.locator("article.document", has_text="Certificate of incorporation")
    certificate.locator("summary", has_text="Approve").click()
    certificate.get_by_role("button", name="Approve document").click()
    expect(page.locator("#case-state")).to_have_text("manual_review")

    expect(approve).to_be_disabled()
    expect(page.locator("#blocked-approve")).to_contain_text("Bank statement (Registration): awaiting re-upload")
    expect(page.locator("#ask-reuploads summary")).to_have_text("Ask for all re-uploads (1)")
    # the trail names who decided which document, and why
    entry = page.locator("#trail li", has_text="Asked to re-upload the document").first
    expect(entry).to_contain_text("Bank statement (Registration)")
    expect(entry).to_contain_text("Rita Test")
    expect(entry).to_contain_text("Older than three months")
    expect(page.locator("#trail")).not_to_contain_text("None")
    shot(page, "case-guarded-approve")

    token = page.locator('input[name="csrf_token"]').first.get_attribute("value")
    forged = page.request.post(f"/cases/{case_id}/event", form={"event": "approve", "csrf_token": token})
    assert forged.status == 409 and "awaiting re-upload" in forged.text()
    page.reload()
    expect(page.locator("#case-state")).to_have_text("manual_review")

    page.locator("#ask-reuploads summary").click()
    page.locator("#ask-reuploads").get_by_label("Reason").fill("The statement is too old")
    page.locator("#ask-reuploads").get_by_role("button", name=re.compile("Confirm")).click()
    expect(page.locator("#case-state")).to_have_text("revision")
    expect(page.locator(".flash")).to_contain_text("Ask for re-uploads: Manual review → Revisions")


def test_no_internal_event_buttons_on_the_ubo_parent(page: Any, server: Server) -> None:
    from playwright.sync_api import expect

    from arabesque.app.access.principal import Principal
    from arabesque.app.errors import InvalidInput
    from arabesque.app.workflows.run_workflow import run_workflow
    from arabesque.app.workflows.send_event import send_event

    who = Principal(server.site.project_id, "api-key:test")
    ubos = [{"id": "u-1", "firstName": "Una", "lastName": "Bo"}]
    entity = {"type": "business", "id": "kyb-ubo", "data": {"companyName": "Parent Holdings",
                                                            "additionalInfo": {"ubos": ubos}}}
    case_id = run_workflow(server.db, who, {"workflowId": "kyb_with_ubos_demo", "context": {"entity": entity}})[
        "workflowRuntimeId"
    ]
    with contextlib.suppress(InvalidInput):  # the UBO plugin's success event, unless the worker sent it already
        send_event(server.db, who, case_id, "CONTINUE")
    # now waiting for the UBO's KYC callback
    login(page, server.site.admin)
    page.goto(f"/cases/{case_id}")
    expect(page.locator("#case-state")).to_have_text("pending_kyc_response_to_finish")
    expect(page.locator("[data-event]")).to_have_count(0)  # no "Kyc responded", no "Update context"
    expect(page.locator("#case-actions")).to_have_count(0)
    token = page.locator('input[name="csrf_token"]').first.get_attribute("value")
    for internal in ("KYC_RESPONDED", "UPDATE_CONTEXT"):
        refused = page.request.post(f"/cases/{case_id}/event", form={"event": internal, "csrf_token": token})
        assert refused.status == 403, internal


def test_a_viewer_gets_403_on_a_form_page(page: Any, server: Server) -> None:
    login(page, server.site.viewer)
    queue = page.url.split("?")[0]
    response = page.goto(f"{queue}/new?definition=till_basic_kyb_demo")
    assert response is not None and response.status == 403
    response = page.goto("/admin/keys")
    assert response is not None and response.status == 403


def test_api_key_revoke_asks_first(page: Any, server: Server) -> None:
    from playwright.sync_api import expect

    login(page, server.site.admin)
    page.goto("/admin/keys")
    page.get_by_role("button", name="Create key").click()  # a name is required: the browser stops it
    expect(page.locator("#new-key")).to_have_count(0)
    page.get_by_label("Name").fill("Browser test key")
    page.get_by_role("button", name="Create key").click()
    expect(page.locator("#new-key")).to_be_visible()
    page.locator("tr", has_text="Browser test key").get_by_role("link", name="Revoke…").click()
    expect(page.locator("#revoke-key")).to_contain_text("Browser test key")
    shot(page, "api-key-revoke")
    page.get_by_role("link", name="Cancel").click()
    expect(page.locator("tr", has_text="Browser test key")).to_contain_text("active")
    page.locator("tr", has_text="Browser test key").get_by_role("link", name="Revoke…").click()
    page.get_by_role("button", name="Revoke the key").click()
    expect(page.locator("tr", has_text="Browser test key")).to_contain_text("revoked")


def test_checkbox_groups_stay_inside_their_cards(page: Any, server: Server) -> None:
    login(page, server.site.admin)
    for path in ("/admin/webhooks", "/admin/queues/new"):
        page.goto(path)
        card = page.locator("form.narrow-form, form.card", has=page.locator("fieldset.checks")).first.bounding_box()
        assert card is not None
        for label in page.locator("fieldset.checks label").all():
            box = label.bounding_box()
            assert box is not None and box["x"] + box["width"] <= card["x"] + card["width"] + 1, path


def test_german_ui(page: Any, server: Server) -> None:
    """Switching to Deutsch in the account menu: the queue and the case page speak German, dates included, and
    the choice stays for the next pages."""
    from playwright.sync_api import expect

    login(page, server.site.viewer)  # read only: changes nothing the other tests see
    page.get_by_label("Language").select_option("de")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    page.get_by_role("navigation", name="Privatpersonen").get_by_role("link").first.click()
    page.wait_for_url(re.compile(r"/queues/"))
    page.goto(page.url + "?assignee=any")
    expect(page.get_by_role("columnheader", name="Bearbeiter")).to_be_visible()
    expect(page.get_by_role("button", name="Anwenden")).to_be_visible()
    german_date = re.compile(
        r"\d\d\. (Jan\.|Feb\.|März|Apr\.|Mai|Juni|Juli|Aug\.|Sept\.|Okt\.|Nov\.|Dez\.) \d{4} \d\d:\d\d UTC"
    )
    row = page.locator(f'tr[data-case="{server.doc_case}"]')
    expect(row).to_contain_text(german_date)
    shot(page, "case-list-de")
    row.get_by_role("link").first.click()
    page.wait_for_url(re.compile(re.escape(server.doc_case)))
    expect(page.get_by_role("heading", name="Prüfprotokoll")).to_be_visible()
    expect(page.locator("#case-tabs")).to_contain_text("Zusammenfassung")
    expect(page.locator(".case-head .meta")).to_contain_text(german_date)
    expect(page.get_by_label("Sprache")).to_have_value("de")
