"""The "Add Case Manually" form (issue 13 item 7), through TestClient: every missing required field flagged at
its own field, messages without regexes (a definition's `errorMessage` first), the country and industry
pickers, `type=email`, conditionally required fields marked, generated ids for UBO rows."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import func, select
from starlette.testclient import TestClient
from web_helpers import first_queue, seed_site, sign_in

from arabesque.app.cases.entity_form import friendly, parse_form, schema_errors
from arabesque.store import Database, File, WorkflowRuntime


def _queue(client: TestClient) -> str:
    return first_queue(client)


def _errors(html: str) -> dict[str, str]:
    return dict(re.findall(r'<p class="error" data-for="([^"]+)">([^<]+)</p>', html))


def test_an_empty_submit_flags_every_required_field_at_its_field(client: TestClient, db: Database) -> None:
    site = seed_site(db)
    token = sign_in(client, site.reviewer)
    r = client.post(f"{_queue(client)}/new?definition=till_basic_kyb_demo", data={"csrf_token": token})
    assert r.status_code == 400
    errors = _errors(r.text)
    assert errors == {
        "entity.data.companyName": "This field is required.",
        "entity.data.country": "This field is required.",
    }
    assert '<div class="flash error">' not in r.text  # no error left over above the form


def test_messages_pickers_and_markers(client: TestClient, db: Database) -> None:
    site = seed_site(db)
    token = sign_in(client, site.reviewer)
    url = f"{_queue(client)}/new?definition=till_basic_kyb_demo"
    page = client.get(url).text
    assert re.search(r'name="entity.data.country" id="f-entity.data.country" value=""\s+list="countries"', page)
    assert (
        '<option value="GB">United Kingdom</option>' in page
        and len(re.findall(r"<option value=\"[A-Z]{2}\">", page)) == 249
    )
    assert 'type="email" name="entity.data.additionalInfo.mainRepresentative.email"' in page
    # first name of the main representative: required once that section is filled in
    assert re.search(r'mainRepresentative.firstName">First Name <span class="req conditional"', page)
    r = client.post(
        url,
        data={
            "csrf_token": token,
            "entity.data.companyName": "X",
            "entity.data.country": "gb",
            "entity.data.additionalInfo.mainRepresentative.email": "nope",
        },
    )
    errors = _errors(r.text)
    assert errors["entity.data.country"] == "Choose a country from the list (its two-letter code, e.g. GB)."
    assert errors["entity.data.additionalInfo.mainRepresentative.email"] == "Please provide a valid email address."
    assert "^[" not in r.text.split("<form")[1]  # no regex shown anywhere in the form


def test_ubo_rows_get_generated_ids(client: TestClient, db: Database) -> None:
    site = seed_site(db)
    token = sign_in(client, site.reviewer)
    url = f"{_queue(client)}/new?definition=kyb_with_ubos_demo"
    page = client.get(url).text
    assert "Correlation ID" not in page.split("Ubos")[-1] and "ubos.0.id" not in page
    r = client.post(
        url,
        data={
            "csrf_token": token,
            "entity.data.companyName": "Owners Ltd",
            "__rows.entity.data.additionalInfo.ubos": "1",
            "entity.data.additionalInfo.ubos.0.firstName": "Una",
            "entity.data.additionalInfo.ubos.0.lastName": "Bo",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, _errors(r.text)
    case_id = r.headers["location"].split("/cases/")[1].split("?")[0]
    with db.read() as s:
        rt = s.get(WorkflowRuntime, case_id)
        assert rt is not None
        ubo = rt.context["entity"]["data"]["additionalInfo"]["ubos"][0]
    assert ubo["firstName"] == "Una" and len(ubo["id"]) == 36


def test_a_definition_may_word_its_own_messages() -> None:
    schema = {
        "type": "object",
        "required": ["data"],
        "properties": {
            "data": {
                "type": "object",
                "required": ["vat"],
                "properties": {
                    "vat": {
                        "type": "string",
                        "pattern": "^GB[0-9]{9}$",
                        "errorMessage": "A UK VAT number: GB + 9 digits.",
                    },
                    "code": {"type": "string", "pattern": "^[0-9]+$", "errorMessage": {"pattern": "Digits only."}},
                    "ref": {"type": "string", "pattern": "^R-"},
                },
            }
        },
    }
    form = {"entity.data.vat": "123", "entity.data.code": "abc", "entity.data.ref": "x"}
    assert schema_errors(schema, parse_form(schema, form)) == {
        "entity.data.vat": ["A UK VAT number: GB + 9 digits."],
        "entity.data.code": ["Digits only."],
        "entity.data.ref": ["Is not in the expected format."],
    }
    assert schema_errors(schema, parse_form(schema, {})) == {"entity.data.vat": ["This field is required."]}
    assert friendly("pattern", "'x' does not match '^[A-Z]{2}$'", "x", "^[A-Z]{2}$").startswith("Choose a country")


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_documents_can_be_attached(client: TestClient, db: Database) -> None:
    site = seed_site(db)
    token = sign_in(client, site.reviewer)
    url = f"{_queue(client)}/new?definition=till_basic_kyb_demo"
    page = client.get(url).text
    assert 'enctype="multipart/form-data"' in page and 'name="documents.0.file"' in page
    values = {
        "csrf_token": token,
        "entity.data.companyName": "Files Ltd",
        "entity.data.country": "GB",
        "entity.data.registrationNumber": "F-1",
    }
    wrong = client.post(
        url,
        data={**values, "documents.0.type": "identification/passport"},
        files={"documents.0.file": ("notes.txt", b"hello", "text/plain")},
    )
    assert wrong.status_code == 400 and "documents.0.file" in _errors(wrong.text)
    assert "Attach the files again" in wrong.text
    untyped = client.post(url, data=values, files={"documents.1.file": ("p.png", PNG, "image/png")})
    assert _errors(untyped.text) == {"documents.1.type": "Choose the document&#39;s type."}
    ok = client.post(
        url,
        data={**values, "documents.0.type": "identification/passport"},
        files={"documents.0.file": ("passport.png", PNG, "image/png")},
        follow_redirects=False,
    )
    assert ok.status_code == 303, _errors(ok.text)
    case_id = ok.headers["location"].split("/cases/")[1].split("?")[0]
    with db.read() as s:
        rt = s.get(WorkflowRuntime, case_id)
        assert rt is not None
        [doc] = rt.context["documents"]
    assert (doc["category"], doc["type"], doc["issuer"]) == ("identification", "passport", {"country": "GB"})
    file_id = doc["pages"][0]["ballerineFileId"]
    assert client.get(f"/files/{file_id}").content == PNG


def test_a_case_not_created_leaves_no_file_behind(client: TestClient, db: Database, tmp_path: Path) -> None:
    site = seed_site(db)
    token = sign_in(client, site.reviewer)
    url = f"{_queue(client)}/new?definition=till_basic_kyb_demo"
    values = {
        "csrf_token": token,
        "entity.data.companyName": "Half Filed Ltd",
        "entity.data.country": "GB",
        "entity.data.registrationNumber": "F-2",
        "documents.0.type": "identification/passport",
        "documents.1.type": "identification/passport",
    }
    refused = client.post(
        url,
        data=values,
        files=[
            ("documents.0.file", ("passport.png", PNG, "image/png")),  # stored first
            ("documents.1.file", ("notes.txt", b"hello", "text/plain")),  # then refused
        ],
    )
    assert refused.status_code == 400 and "documents.1.file" in _errors(refused.text)
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(File)) == 0
    assert [p for p in (tmp_path / "files").rglob("*") if p.is_file()] == []
