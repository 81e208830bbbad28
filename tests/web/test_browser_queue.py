"""Working the queue, the home dashboard and the KYB review views in a real browser (Debian's Chromium)
against a real server on SQLite: the list's count after its 15-second refresh, "next case" after a decision,
the dashboard's charts with the seeded numbers, the UBO tab's row, the tabs swapped by htmx.

Set ARABESQUE_SCREENSHOTS=docs/screenshots to (re)write the README's screenshots of these pages.
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from test_browser import browser, login, page, shot  # noqa: F401  (the fixtures, and helpers)
from test_case_review import seed_kyb_review
from web_helpers import Site, seed_site

from arabesque.store import Database, Queue, User, upgrade
from service_fixtures import SECRET_BOX
from stats_seed import seed_statistics

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Server:
    url: str
    site: Site  # the dashboard's and the KYB review's project
    queue_site: Site  # the project whose queue is worked
    queue: str  # its business queue
    cases: dict[str, str]  # name -> id, in the queue project
    kyb: dict[str, str]
    db: Database


def _business_queue(db: Database, project_id: str) -> str:
    with db.read() as s:
        return s.scalars(select(Queue.id).where(Queue.project_id == project_id, Queue.entity == "businesses")).one()


def add_case(db: Database, project_id: str, name: str) -> str:
    from arabesque.app.access.principal import Principal
    from arabesque.app.workflows.run_workflow import run_workflow

    entity = {"type": "business", "id": f"q-{name}", "data": {"companyName": name}}
    body = {"workflowId": "kyb_with_ubos_demo", "context": {"entity": entity, "documents": []}}
    return run_workflow(db, Principal(project_id, "api-key:test"), body)["workflowRuntimeId"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    import uvicorn

    from arabesque.app.access import users
    from arabesque.asgi import create_app

    saved = users._hasher
    users._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    base = tmp_path_factory.mktemp("browser-queue")
    db = Database(f"sqlite:///{base / 'arabesque.db'}", secret_box=SECRET_BOX)
    upgrade(db.engine)
    site = seed_site(db)
    with db.read() as s:
        rita = s.scalars(select(User.id).where(User.email == site.reviewer)).one()
    seed_statistics(db, site.project_id, rita)
    kyb = seed_kyb_review(db, site.project_id)
    queue_site = seed_site(db, "queue-co", prefix="q-")
    cases = {name: add_case(db, queue_site.project_id, name)
             for name in ("Alpha Ltd", "Beta Ltd", "Gamma Ltd", "Refresh One", "Refresh Two")}

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    uv = uvicorn.Server(uvicorn.Config(create_app(db, base / "files"), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{port}", site, queue_site, _business_queue(db, queue_site.project_id),
                     cases, kyb, db)
    finally:
        uv.should_exit = True
        thread.join(timeout=10)
        sock.close()
        db.dispose()
        users._hasher = saved


def test_the_list_count_matches_the_rows_after_the_refresh(page: Any, server: Server) -> None:  # noqa: F811 (the imported fixture)
    from playwright.sync_api import expect

    page.clock.install()  # the list's 15-second refresh runs on a clock the test moves
    login(page, server.queue_site.reviewer)
    page.goto(f"/queues/{server.queue}?q=Refresh")
    expect(page.locator("#case-rows tr[data-case]")).to_have_count(2)
    expect(page.locator("p.count")).to_have_text("2 cases")
    add_case(server.db, server.queue_site.project_id, "Refresh Three")
    with page.expect_response(lambda r: "partial=rows" in r.url):
        page.clock.run_for(16_000)
    expect(page.locator("#case-rows tr[data-case]")).to_have_count(3)
    expect(page.locator("p.count")).to_have_text("3 cases")
    shot(page, "case-list")


def test_next_case_after_a_decision(page: Any, server: Server) -> None:  # noqa: F811 (the imported fixture)
    from playwright.sync_api import expect

    login(page, server.queue_site.reviewer)
    page.goto(f"/queues/{server.queue}?sort=name&dir=asc&q=Ltd")
    page.get_by_role("link", name="Alpha Ltd").click()
    expect(page.locator("#case-name")).to_have_text("Alpha Ltd")
    expect(page.locator("#previous-case")).to_have_count(0)
    page.get_by_role("button", name="Assign to me").click()
    page.locator("summary", has_text=re.compile("^Approve$")).click()
    page.get_by_role("button", name="Confirm: approve").click()
    expect(page.locator("#case-status")).to_have_text("completed")
    next_case = page.locator("#next-case")
    expect(next_case).to_have_class(re.compile("primary"))
    next_case.click()
    expect(page).to_have_url(re.compile(f"/cases/{server.cases['Beta Ltd']}"))
    expect(page.locator("#case-name")).to_have_text("Beta Ltd")
    expect(page.locator("#previous-case")).to_have_count(0)  # Alpha, decided, has left the (active) view
    page.locator("#next-case").click()
    expect(page.locator("#case-name")).to_have_text("Gamma Ltd")


def test_dashboard_charts_show_the_seeded_numbers(page: Any, server: Server) -> None:  # noqa: F811 (the imported fixture)
    from playwright.sync_api import expect

    login(page, server.site.reviewer)
    page.goto("/")
    expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()
    expect(page.locator('[data-tile="open"] .tile-value')).to_have_text("6")  # 4 seeded, the KYB case, its sister
    expect(page.locator('[data-tile="overdue"] .tile-value')).to_have_text("1")
    days = page.locator("#chart-decided svg g.day")
    expect(days).to_have_count(30)
    today = days.last
    expect(today).to_have_attribute("data-approved", "2")  # the seeded approval, and Una's KYC case
    expect(today).to_have_attribute("data-rejected", "2")  # the sanctioned country, and Otto's
    expect(today).to_have_attribute("data-revision", "1")
    expect(today.locator("rect.seg-approved")).to_have_count(1)
    expect(page.locator('#chart-workload g[data-label="Rita Test"]')).to_have_attribute("data-total", "2")
    expect(page.locator('#chart-queues g[data-label="Businesses"]')).to_be_visible()
    shot(page, "home-dashboard")


def test_the_ubo_tab_row_and_tabs_by_htmx(page: Any, server: Server) -> None:  # noqa: F811 (the imported fixture)
    from playwright.sync_api import expect

    login(page, server.site.reviewer)
    page.goto(f"/cases/{server.kyb['parent']}")
    expect(page.locator("#overview-children")).to_contain_text("1 of 3 owners rejected")
    expect(page.locator("#overview-risk")).to_contain_text("75")
    page.evaluate("window.__same_document = true")  # survives an htmx swap, not a page load
    page.locator('#case-tabs a[data-tab="ubos"]').click()
    expect(page).to_have_url(re.compile("activeTab=ubos"))
    row = page.locator('tr[data-ubo="Otto Wner"]')
    expect(row.locator(".ubo-decision")).to_contain_text("Rejected")
    expect(row.locator(".ubo-screening")).to_contain_text("2 hits")
    expect(page.locator('tr[data-ubo="Una Bo"] .ubo-screening')).to_contain_text("No hits")
    assert page.evaluate("window.__same_document") is True  # swapped by htmx
    shot(page, "case-ubos")
    page.locator('#case-tabs a[data-tab="companyInformation"]').click()
    expect(page.locator("#company-information table.nested").first).to_be_visible()
    page.locator("#diagram > summary").click()
    expect(page.locator("#diagram svg .node.current")).to_have_count(1)
    shot(page, "case-company")


def test_bulk_assign_holds_the_refresh_while_rows_are_checked(page: Any, server: Server) -> None:  # noqa: F811
    from playwright.sync_api import expect

    page.clock.install()
    login(page, server.queue_site.reviewer)
    page.goto(f"/queues/{server.queue}?q=Refresh&sort=name&dir=asc")
    first = page.locator("#case-rows tr[data-case]").first
    first.locator('input[name="ids"]').check()
    polled: list[str] = []
    page.on("request", lambda r: polled.append(r.url) if "partial=rows" in r.url else None)
    page.clock.run_for(46_000)  # three refresh periods: none may replace the checked rows
    assert polled == []
    expect(first.locator('input[name="ids"]')).to_be_checked()
    page.get_by_role("button", name="Assign checked to me").click()
    expect(page.get_by_role("status")).to_contain_text("Assigned 1 case")
    expect(page.locator("#case-rows tr[data-case]").first.locator("td").nth(4)).to_have_text("Rita Test")
    page.locator("th.pick input[data-check-all]").check()
    expect(page.locator('#case-rows input[name="ids"]:checked')).to_have_count(
        page.locator("#case-rows tr[data-case]").count())
