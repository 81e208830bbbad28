"""The Case Management handlers through TestClient (SQLite and PostgreSQL): sessions, CSRF, roles, tenancy."""

from __future__ import annotations

import re

from sqlalchemy import select
from starlette.testclient import TestClient
from web_helpers import PASSWORD, csrf_of, first_queue, seed_site, sign_in

from arabesque.app.access.principal import Principal
from arabesque.app.workflows.run_workflow import run_workflow
from arabesque.store import Database, Queue, User


def _queue(client: TestClient) -> str:
    return first_queue(client)


def _new_case(client: TestClient, token: str, queue: str, company: str = "Acme Ltd") -> str:
    url = f"{queue}/new?definition=till_basic_kyb_demo"
    data = {
        "csrf_token": token,
        "entity.type": "business",
        "entity.data.companyName": company,
        "entity.data.country": "GB",
        "entity.data.registrationNumber": "R-1",
    }
    response = client.post(url, data=data, follow_redirects=False)
    assert response.status_code == 303, response.text[:400]
    return response.headers["location"].split("?")[0]


def test_pages_need_a_session_and_redirect_back_after_login(client: TestClient, db: Database) -> None:
    site = seed_site(db)
    response = client.get("/admin/definitions?x=1", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/admin/definitions%3Fx%3D1"
    page = client.get(response.headers["location"])
    login = client.post(
        "/login",
        data={
            "email": site.reviewer,
            "password": PASSWORD,
            "csrf_token": csrf_of(page.text),
            "next": "/admin/definitions?x=1",
        },
        follow_redirects=False,
    )
    assert login.status_code == 303 and login.headers["location"] == "/admin/definitions?x=1"
    cookie = login.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    assert client.get("/admin/definitions").status_code == 200


def test_wrong_password_is_refused_and_repeated_failures_are_limited(client: TestClient, db: Database) -> None:
    site = seed_site(db)
    token = csrf_of(client.get("/login").text)
    codes = []
    for _ in range(6):
        r = client.post("/login", data={"email": site.reviewer, "password": "nope", "csrf_token": token})
        codes.append(r.status_code)
    assert codes[:5] == [401] * 5 and codes[5] == 429
    assert "Too many failed sign-in attempts" in r.text
    ok = client.post("/login", data={"email": site.reviewer, "password": PASSWORD, "csrf_token": token})
    assert ok.status_code == 429  # the limit holds even for the right password


def test_open_redirects_are_refused(client: TestClient, db: Database) -> None:
    site = seed_site(db)
    token = csrf_of(client.get("/login").text)
    r = client.post(
        "/login",
        data={"email": site.reviewer, "password": PASSWORD, "csrf_token": token, "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert r.headers["location"] == "/"


def test_a_form_without_its_csrf_token_is_refused(client: TestClient, db: Database) -> None:
    site = seed_site(db)
    assert client.post("/login", data={"email": site.reviewer, "password": PASSWORD}).status_code == 403
    token = sign_in(client, site.reviewer)
    case = _new_case(client, token, _queue(client))
    refused = client.post(f"{case}/notes", data={"text": "no token"})
    assert refused.status_code == 403 and "CSRF" in refused.text
    wrong = client.post(f"{case}/notes", data={"text": "bad token", "csrf_token": "x" + token})
    assert wrong.status_code == 403
    assert "no token" not in client.get(case).text
    ok = client.post(f"{case}/notes", data={"text": "hx ok"}, headers={"X-CSRF-Token": token}, follow_redirects=False)
    assert ok.status_code == 303


def test_logout_ends_the_session(client: TestClient, db: Database) -> None:
    site = seed_site(db)
    token = sign_in(client, site.reviewer)
    assert client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert client.get("/", follow_redirects=False).headers["location"].startswith("/login")


def test_viewer_sees_no_actions_and_is_refused_on_the_server(client: TestClient, db: Database) -> None:
    site = seed_site(db)
    token = sign_in(client, site.reviewer)
    queue = _queue(client)
    case = _new_case(client, token, queue)
    client.post(f"{case}/assign", data={"csrf_token": token, "assignee": "me"})
    client.cookies.clear()
    token = sign_in(client, site.viewer)
    page = client.get(case).text
    assert "Confirm: approve" not in page and "Assign to me" not in page and "Add a note" not in page
    assert "Add Case Manually" not in client.get(queue).text
    for path, data in (
        ("/event", {"event": "approve"}),
        ("/assign", {"assignee": "me"}),
        ("/notes", {"text": "sneaky"}),
    ):
        assert client.post(case + path, data={**data, "csrf_token": token}).status_code == 403, path
    new = client.post(
        f"{queue}/new?definition=till_basic_kyb_demo",
        data={"csrf_token": token, "entity.data.companyName": "X", "entity.data.country": "GB"},
    )
    assert new.status_code == 403
    assert re.search(r'id="case-state">manual_review<', client.get(case).text)


def test_only_the_assignee_or_an_admin_may_act(client: TestClient, db: Database) -> None:
    site = seed_site(db)
    token = sign_in(client, site.reviewer)
    case = _new_case(client, token, _queue(client))
    client.cookies.clear()
    other = sign_in(client, site.other_reviewer)
    assert client.post(f"{case}/event", data={"csrf_token": other, "event": "approve"}).status_code == 403
    assert "Assign the case to yourself" in client.get(case).text
    client.cookies.clear()
    admin = sign_in(client, site.admin)
    client.post(f"{case}/event", data={"csrf_token": admin, "event": "approve"})
    assert re.search(r'id="case-state">approved<', client.get(case).text)


def test_another_projects_case_and_queue_are_404(client: TestClient, db: Database) -> None:
    site = seed_site(db)
    other = seed_site(db, "globex", prefix="g-")
    token = sign_in(client, other.reviewer)
    foreign_case = _new_case(client, token, _queue(client))
    foreign_queue = _queue(client)
    client.cookies.clear()
    sign_in(client, site.reviewer)
    assert client.get(foreign_case).status_code == 404
    assert client.get(foreign_queue).status_code == 404
    assert client.get("/cases/no-such-case").status_code == 404


def test_validation_errors_keep_the_values_and_name_the_fields(client: TestClient, db: Database) -> None:
    site = seed_site(db)
    token = sign_in(client, site.reviewer)
    url = f"{_queue(client)}/new?definition=till_basic_kyb_demo"
    r = client.post(
        url,
        data={
            "csrf_token": token,
            "entity.data.companyName": "",
            "entity.data.country": "gb",
            "entity.data.registrationNumber": "KEEP-ME",
            "entity.data.additionalInfo.mainRepresentative.email": "not-an-email",
        },
    )
    assert r.status_code == 400
    errors = dict(re.findall(r'<p class="error" data-for="([^"]+)">([^<]+)</p>', r.text))
    assert errors["entity.data.companyName"] == "This field is required."
    assert "Choose a country" in errors["entity.data.country"]
    assert "entity.data.additionalInfo.mainRepresentative.firstName" in errors
    assert 'value="KEEP-ME"' in r.text and 'value="gb"' in r.text


def test_list_search_sort_filters_and_count(client: TestClient, db: Database) -> None:
    site = seed_site(db)
    token = sign_in(client, site.reviewer)
    queue = _queue(client)
    for name in ("Alpha Trading", "Beta Foods", "Gamma Metals"):
        _new_case(client, token, queue, name)
    page = client.get(f"{queue}?q=beta").text
    assert "<strong>1</strong> case" in page and "Beta Foods" in page and "Alpha Trading" not in page
    by_name = client.get(f"{queue}?sort=name&dir=asc").text
    assert by_name.index("Alpha Trading") < by_name.index("Beta Foods") < by_name.index("Gamma Metals")
    assert "<strong>0</strong> cases" in client.get(f"{queue}?assignee=me").text
    assert "<strong>3</strong> cases" in client.get(f"{queue}?assignee=unassigned&tag=manual_review").text
    assert "<strong>0</strong> cases" in client.get(f"{queue}?tag=approved").text
    rows = client.get(f"{queue}?partial=rows", headers={"HX-Request": "true"}).text
    assert 'id="case-list"' in rows and "<strong>3</strong> cases" in rows and "<aside" not in rows


def test_admin_pages_are_for_admins(client: TestClient, db: Database) -> None:
    site = seed_site(db)
    token = sign_in(client, site.reviewer)
    for path in ("/admin/users", "/admin/queues", "/admin/keys"):
        assert client.get(path).status_code == 403
    assert client.post("/admin/users", data={"csrf_token": token, "email": "x@y.z", "role": "admin"}).status_code == 403
    client.cookies.clear()
    token = sign_in(client, site.admin)
    created = client.post(
        "/admin/users", data={"csrf_token": token, "email": "new@example.com", "role": "viewer", "password": ""}
    )
    assert created.status_code == 200 and "new@example.com" in created.text and "shown once" in created.text
    saved = client.post(
        "/admin/queues/new",
        data={"csrf_token": token, "name": "Docs", "entity": "individuals", "definitions": ["kyc_document_review"]},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert "Docs" in client.get(saved.headers["location"]).text
    key = client.post("/admin/keys", data={"csrf_token": token, "name": "ci"})
    assert re.search(r'id="new-key">arb_', key.text)
    bad = client.post("/admin/definitions", data={"csrf_token": token, "json": '{"name": "x", "definition": {}}'})
    assert bad.status_code == 400 and "<code>" in bad.text


def test_api_paths_keep_their_json_errors(client: TestClient, db: Database) -> None:
    assert client.get("/api/v1/nope").json()["statusCode"] == 404
    assert client.get("/static/htmx.min.js").status_code == 200


def _count(html: str) -> int:
    found = re.search(r'<p class="count"><strong>([\d,]+)</strong> case', html)
    assert found, "no count on the page"
    return int(found.group(1).replace(",", ""))


def _names(html: str) -> set[str]:
    return set(re.findall(r'<a href="/cases/[^"]+\?queue=[^"]+">([^<]+)</a>', html))


def test_the_default_view_is_me_and_unassigned_and_explicit_assignees_still_work(
    client: TestClient, db: Database
) -> None:
    site = seed_site(db)
    token = sign_in(client, site.reviewer)
    queue = _queue(client)
    mine, free, theirs = (_new_case(client, token, queue, n) for n in ("Mine Ltd", "Free Ltd", "Theirs Ltd"))
    client.post(f"{mine}/assign", data={"csrf_token": token, "assignee": "me"})
    with db.read() as s:
        otto = s.scalars(select(User.id).where(User.email == site.other_reviewer)).one()
    client.cookies.clear()
    admin = sign_in(client, site.admin)
    client.post(f"{theirs}/assign", data={"csrf_token": admin, "assignee": otto})
    client.post(f"{free}/notes", data={"csrf_token": admin, "text": "still unassigned"})
    client.cookies.clear()
    sign_in(client, site.reviewer)

    default = client.get(queue).text  # Ballerine's default: assigned to me + unassigned, active
    assert _names(default) == {"Mine Ltd", "Free Ltd"} and _count(default) == 2
    assert '<option value="me_or_unassigned" selected>' in default
    assert _names(client.get(f"{queue}?assignee=me_or_unassigned").text) == {"Mine Ltd", "Free Ltd"}
    for params, names in (  # bookmarked views with an explicit assignee keep their meaning; the count agrees
        ("assignee=any", {"Mine Ltd", "Free Ltd", "Theirs Ltd"}),
        ("assignee=me", {"Mine Ltd"}),
        ("assignee=unassigned", {"Free Ltd"}),
        (f"assignee={otto}", {"Theirs Ltd"}),
        ("assignee=any&q=ltd", {"Mine Ltd", "Free Ltd", "Theirs Ltd"}),
        ("q=ltd", {"Mine Ltd", "Free Ltd"}),
        ("assignee=", {"Mine Ltd", "Free Ltd"}),  # an empty value is the default
    ):
        page = client.get(f"{queue}?{params}").text
        assert _names(page) == names and _count(page) == len(names), params
    anyone = client.get(f"{queue}?assignee=any").text
    assert '<option value="any" selected>' in anyone
    assert "assignee=any" in anyone  # the refreshed rows and the page links keep the explicit choice
    client.cookies.clear()  # someone else's "me + unassigned" is their own
    sign_in(client, site.other_reviewer)
    assert _names(client.get(queue).text) == {"Free Ltd", "Theirs Ltd"}


def test_search_matches_phone_numbers_by_prefix(client: TestClient, db: Database) -> None:
    site = seed_site(db)
    actor = Principal(site.project_id, "api-key:test")
    businesses = [
        ("b-1", {"companyName": "Dial Co", "phone": "+44 20 7946 0958"}),
        ("b-2", {"companyName": "Ring Ltd", "phoneNumber": "+442079460000"}),
        ("b-3", {"companyName": "Rep Inc", "additionalInfo": {"mainRepresentative": {"phone": "020 7946 1111"}}}),
        ("b-4", {"companyName": "Quiet 12345 Ltd"}),
    ]
    for cid, data in businesses:
        entity = {"type": "business", "id": cid, "data": data}
        run_workflow(db, actor, {"workflowId": "kyb_with_ubos_demo", "context": {"entity": entity, "documents": []}})
    person = {"type": "individual", "id": "kyc-1", "data": {"firstName": "Ada", "lastName": "L", "phone": "+15550100"}}
    run_workflow(db, actor, {"workflowId": "kyc_document_review", "context": {"entity": person, "documents": []}})
    sign_in(client, site.reviewer)
    queue = _queue(client)
    with db.read() as s:
        individuals = s.scalars(
            select(Queue.id).where(Queue.project_id == site.project_id, Queue.entity == "individuals")
        ).one()
    for term, names in (
        ("%2B44 20 7946", {"Dial Co"}),  # the number as stored, from its start
        ("%2B4420794", {"Ring Ltd"}),
        ("020 7946 1111", {"Rep Inc"}),  # the main representative's
        ("7946", set()),  # too short to be a phone number, and matched nowhere else
        ("20 7946", set()),  # a prefix, not a substring
        ("12345", {"Quiet 12345 Ltd"}),  # phone-shaped terms still search the other fields
    ):
        page = client.get(f"{queue}?q={term}").text
        assert _names(page) == names and _count(page) == len(names), term
    for term, found in (("%2B155501", 1), ("%2B166601", 0)):
        assert _count(client.get(f"/queues/{individuals}?q={term}").text) == found, term
