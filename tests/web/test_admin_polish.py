"""Admin and polish (issue 13 item 9), through TestClient: revoking a key takes a confirmation step (a page, so it
works without JavaScript), keys need a name, the new-user role has no default, a private webhook URL is flagged,
viewers get 403 on form pages before filling them in, one date format with its time zone, a favicon."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from starlette.testclient import TestClient
from web_helpers import seed_site, sign_in

from arabesque.app.webhooks.url_warning import private_url_warning
from arabesque.store import ApiKey, Database
from arabesque.web.render import templates


def test_revoke_needs_a_confirmation_step(client: TestClient, db: Database) -> None:
    site = seed_site(db)
    token = sign_in(client, site.admin)
    page = client.post("/admin/keys", data={"csrf_token": token, "name": "Onboarding backend"}).text
    with db.read() as s:
        key = s.query(ApiKey).filter(ApiKey.name == "Onboarding backend").one()
    assert f'href="/admin/keys/{key.id}/revoke"' in page  # a link to the confirmation, not a one-click form
    confirm = client.get(f"/admin/keys/{key.id}/revoke")
    assert confirm.status_code == 200 and "Revoke <strong>Onboarding backend</strong>" in confirm.text
    # a POST without the confirmation (a forged or old one-click form) only leads to the confirmation page
    skipped = client.post(f"/admin/keys/{key.id}/revoke", data={"csrf_token": token}, follow_redirects=False)
    assert skipped.status_code == 303 and skipped.headers["location"] == f"/admin/keys/{key.id}/revoke"
    with db.read() as s:
        assert s.get(ApiKey, key.id).revoked_at is None  # type: ignore[union-attr]
    done = client.post(f"/admin/keys/{key.id}/revoke", data={"csrf_token": token, "confirm": "yes"})
    assert done.status_code == 200 and "Key revoked" in done.text
    with db.read() as s:
        assert s.get(ApiKey, key.id).revoked_at is not None  # type: ignore[union-attr]
    assert client.get("/admin/keys/no-such-key/revoke").status_code == 404


def test_key_names_are_required_and_roles_have_no_default(client: TestClient, db: Database) -> None:
    site = seed_site(db)
    token = sign_in(client, site.admin)
    blank = client.post("/admin/keys", data={"csrf_token": token, "name": "   "})
    assert blank.status_code == 400 and 'data-for="name"' in blank.text and 'id="new-key"' not in blank.text
    long = client.post("/admin/keys", data={"csrf_token": token, "name": "k" * 201})
    assert long.status_code == 400 and "At most 200 characters." in long.text
    users = client.get("/admin/users").text
    assert '<option value="" selected disabled>Choose a role</option>' in users
    no_role = client.post("/admin/users", data={"csrf_token": token, "email": "n@example.com", "role": ""})
    assert no_role.status_code == 400 and "Choose one of" in no_role.text


def test_private_webhook_urls_are_flagged(client: TestClient, db: Database) -> None:
    for url in (
        "http://10.0.0.5/hook",
        "http://127.0.0.1:8080/x",
        "http://[::1]/x",
        "http://localhost/h",
        "https://hooks.internal/h",
        "http://169.254.169.254/latest",
    ):
        assert private_url_warning(url), url
    for url in ("https://hooks.example.com/h", "http://8.8.8.8/x", "not a url", ""):
        assert private_url_warning(url) == "", url
    site = seed_site(db)
    token = sign_in(client, site.admin)
    created = client.post(
        "/admin/webhooks", data={"csrf_token": token, "url": "http://192.168.1.10/hook", "events": ["*"]}
    )
    assert created.status_code == 200 and 'id="private-url-warning"' in created.text
    assert "192.168.1.10 is a private address" in client.get("/admin/webhooks").text


def test_viewers_get_403_on_form_pages(client: TestClient, db: Database) -> None:
    site = seed_site(db)
    sign_in(client, site.viewer)
    queue = re.search(r'href="(/queues/[^"]+)"', client.get("/").text)
    assert queue
    for path in (
        f"{queue.group(1)}/new?definition=till_basic_kyb_demo",
        "/admin/users",
        "/admin/queues/new",
        "/admin/keys",
        "/admin/webhooks",
    ):
        assert client.get(path).status_code == 403, path


def test_one_date_format_with_its_time_zone_and_a_favicon(client: TestClient) -> None:
    dt = templates.env.filters["dt"]
    at = datetime(2026, 12, 2, 18, 5, tzinfo=UTC)
    assert dt(at) == "02 Dec 2026 18:05 UTC"
    assert dt(at.replace(tzinfo=None)) == dt(at) == dt("2026-12-02T18:05:00Z")
    assert dt(at.astimezone(timezone(timedelta(hours=2)))) == "02 Dec 2026 18:05 UTC"
    assert dt(None) == ""
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"
