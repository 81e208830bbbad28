"""Case Management in English and German (SQLite and PostgreSQL): the catalogue covers every template string,
`Accept-Language` picks the language, the picker's choice is remembered and beats the header, and dates and
numbers follow the language."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from starlette.testclient import TestClient
from web_helpers import csrf_of, first_queue, seed_site, sign_in

from arabesque.app.access.principal import Principal
from arabesque.app.cases.list_cases import STATUSES
from arabesque.app.cases.reviewer_actions import _TAG_LABELS
from arabesque.app.workflows.run_workflow import run_workflow
from arabesque.store import Database
from arabesque.web import i18n
from arabesque.web.case_list import SORT_LABELS
from arabesque.web.case_view import TABS

WEB = Path(i18n.__file__).resolve().parent
PO = WEB / "locale" / "de" / "LC_MESSAGES" / "messages.po"


def _template_msgids() -> set[str | tuple[str, ...]]:
    found = extract_from_dir(
        str(WEB / "templates"),
        method_map=[("**.html", "jinja2")],
        options_map={"**.html": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}},
    )
    return {message for _file, _line, message, _comments, _context in found}


def test_every_template_string_and_python_label_has_a_german_translation() -> None:
    with PO.open("rb") as file:
        catalog = read_po(file, locale="de")
    translated = {
        m.id for m in catalog if m.id and not m.fuzzy and (all(m.string) if isinstance(m.string, tuple) else m.string)
    }
    wanted = _template_msgids()
    assert len(wanted) > 100  # the extraction found the marked strings
    # Labels made in Python and translated by the templates with `_(label)`.
    wanted |= {label for _id, label in TABS} | set(SORT_LABELS.values()) | {s.capitalize() for s in STATUSES}
    wanted |= {
        "Approved",
        "Rejected",
        "Revision",
        "Pending",
        "Open cases",
        "Median time to decision",
        "Overdue",
        "Unassigned",
    }
    wanted |= set(_TAG_LABELS.values())
    missing = {m if isinstance(m, str) else m[0] for m in wanted} - {
        m if isinstance(m, str) else m[0] for m in translated
    }
    assert missing == set()


def test_accept_language_picks_german_else_english(client: TestClient, db: Database) -> None:
    page = client.get("/login", headers={"Accept-Language": "de-CH,de;q=0.9,en;q=0.5"}).text
    assert '<html lang="de">' in page and "Beim Fallmanagement anmelden" in page and ">Anmelden</button>" in page
    page = client.get("/login", headers={"Accept-Language": "fr-FR, en;q=0.1"}).text
    assert '<html lang="en">' in page and "Sign in to Case Management" in page
    page = client.get("/login", headers={"Accept-Language": "fr, de;q=0"}).text  # q=0: not acceptable
    assert '<html lang="en">' in page
    page = client.get("/login", headers={"Accept-Language": "de;q=x," * 2000}).text  # hostile: bounded, English
    assert '<html lang="en">' in page


def test_the_pickers_choice_is_remembered_and_beats_the_header(client: TestClient, db: Database) -> None:
    site = seed_site(db)
    who = Principal(site.project_id, "api-key:test")
    entity = {
        "type": "business",
        "id": "b-1",
        "data": {"companyName": "Acme Ltd", "country": "US", "registrationNumber": "1"},
    }
    case = run_workflow(db, who, {"workflowId": "till_basic_kyb_demo", "context": {"entity": entity}})
    token = sign_in(client, site.reviewer)
    english = {"Accept-Language": "en"}
    assert ">Home</a>" in client.get("/", headers=english).text
    refused = client.post("/language", data={"lang": "de", "next": "/"}, follow_redirects=False)
    assert refused.status_code == 403  # CSRF like every other form
    bad = client.post("/language", data={"lang": "xx", "csrf_token": token}, headers=english)
    assert bad.status_code == 400 and "lang" in bad.text
    chosen = client.post(
        "/language", data={"lang": "de", "next": "/", "csrf_token": token}, headers=english, follow_redirects=False
    )
    assert chosen.status_code == 303 and chosen.headers["location"] == "/"
    home = client.get("/", headers=english).text  # the choice beats the header, on every later request
    assert '<html lang="de">' in home and ">Startseite</a>" in home and "Willkommen, Rita Test" in home
    queue_path = first_queue(client)
    queue = client.get(queue_path, headers=english).text
    assert "<th>Bearbeiter</th>" in queue and "Fall manuell anlegen" in queue
    assert re.search(r"<strong>1</strong> Fall</p>", queue)
    created = datetime.now(UTC)
    german_month = ["Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.", "Nov.", "Dez."]
    assert f"{created:%d}. {german_month[created.month - 1]} {created:%Y}" in queue
    shown = client.get(f"/cases/{case['workflowRuntimeId']}", headers=english).text
    assert "Prüfprotokoll" in shown and ">Zusammenfassung" in shown and "Bearbeiter" in shown
    # A message made in Python (the bulk assignment's) is translated too, with its number.
    assigned = client.post(
        queue_path + "/assign",
        data={"ids": [case["workflowRuntimeId"]], "assignee": "me", "csrf_token": token, "back": queue_path},
    )
    assert "1 Fall zugewiesen" in assigned.text
    # Signing out and in again keeps the language: it belongs to the browser's user, not the session.
    client.post("/logout", data={"csrf_token": csrf_of(home)})
    assert "Beim Fallmanagement anmelden" in client.get("/login", headers=english).text
    sign_in(client, site.reviewer)
    assert ">Startseite</a>" in client.get("/", headers=english).text


def test_dates_and_numbers_follow_the_language() -> None:
    when = datetime(2026, 3, 2, 20, 5, tzinfo=UTC)
    with i18n.language("de"):
        assert i18n.format_when(when) == "02. März 2026 20:05 UTC" and i18n.format_count(12345) == "12.345"
    with i18n.language("en"):
        assert i18n.format_when(when) == "02 Mar 2026 20:05 UTC" and i18n.format_count(12345) == "12,345"


def test_a_message_made_elsewhere_is_translated_but_never_formatted() -> None:
    from arabesque.web.render import templates

    page = templates.env.from_string(
        "{{ error|translate }} · {{ label|translate }} · {{ _('Welcome, %(name)s', name=who) }}"
    )
    with i18n.language("de"):
        shown = page.render(error="Queue '50% off' <b>", label="Summary", who="<Ada>")
    assert shown == "Queue &#39;50% off&#39; &lt;b&gt; · Zusammenfassung · Willkommen, &lt;Ada&gt;"


def test_the_admin_pages_and_the_add_case_form_speak_german(client: TestClient, db: Database) -> None:
    site = seed_site(db)
    sign_in(client, site.admin)
    german = {"Accept-Language": "de"}
    users = client.get("/admin/users", headers=german).text
    assert "<h2>Benutzer hinzufügen</h2>" in users and ">Rolle wählen</option>" in users
    webhooks = client.get("/admin/webhooks", headers=german).text
    assert "<h2>Abonnement hinzufügen</h2>" in webhooks and "Keine Webhook-Abonnements." in webhooks
    assert "<h1>Neue Warteschlange</h1>" in client.get("/admin/queues/new", headers=german).text
    queue = first_queue(client)
    form = client.get(f"{queue}/new?definition=till_basic_kyb_demo", headers=german).text
    assert "<h1>Fall hinzufügen</h1>" in form and "Falldaten" in form and ">Fall anlegen</button>" in form
