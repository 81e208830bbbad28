"""Queues, the case list, "Add Case Manually", and the case review page with its actions."""

from __future__ import annotations

import csv
import io
import re
from functools import partial
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.datastructures import UploadFile

from arabesque.app.access.members import require_role
from arabesque.app.access.users import list_users
from arabesque.app.cases.ask_for_reuploads import ask_for_all_reuploads
from arabesque.app.cases.audit_trail import CSV_COLUMNS, audit_trail, csv_safe, trail_rows
from arabesque.app.cases.bulk_assign import assign_cases
from arabesque.app.cases.case_actions import (
    CaseEventResult,
    add_note,
    assign_case,
    case_event,
    director_document_decision,
    document_decision,
)
from arabesque.app.cases.create_case import MAX_ATTACHMENTS, Attachment, create_case, manual_form
from arabesque.app.cases.edit_document import edit_document
from arabesque.app.cases.entity_form import rows_of
from arabesque.app.cases.get_case import case_version, get_case
from arabesque.app.cases.list_cases import STATUSES, list_cases, neighbours
from arabesque.app.cases.pickers import COUNTRIES, INDUSTRIES
from arabesque.app.cases.statistics import project_statistics
from arabesque.app.errors import InvalidInput, NotFound
from arabesque.app.files.queries import get_file
from arabesque.app.files.store_file import MAX_FILE_BYTES, TOO_LARGE
from arabesque.web._session import session_of
from arabesque.web.case_form import build_fields
from arabesque.web.case_list import SORT_LABELS, parse_case_query, parse_query_string, query_params, query_string
from arabesque.web.case_view import TABS, case_view, humanize, pick_tab
from arabesque.web.dashboard import dashboard_view
from arabesque.web.deps import CurrentMember, Form, MultiForm, PageMember, Uploads, db_of, load_sidebar
from arabesque.web.diagram import layout
from arabesque.web.document_form import document_form
from arabesque.web.render import flash, redirect, render

router = APIRouter()
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_TAB_IDS = {t for t, _ in TABS}
_SLOT = re.compile(r"documents\.(\d{1,2})\.file")


@router.get("/")
def home(request: Request, member: PageMember) -> Response:
    """The home dashboard: the project's open cases, decisions, reviewers' workload and overdue cases."""
    stats = project_statistics(db_of(request), member.project_id)
    return render(request, "home.html", {"view": dashboard_view(stats)})


@router.get("/queues/{queue_id}")
def queue_page(request: Request, queue_id: str, member: CurrentMember) -> Response:
    params: dict[str, list[str]] = {}
    for k, v in request.query_params.multi_items():
        params.setdefault(k, []).append(v)
    query = parse_case_query(params)
    db = db_of(request)
    result = list_cases(db, member, queue_id, query)
    # The case page's previous/next (and "next case" after a decision) walk the view the reviewer last listed.
    session_of(request)["view"] = [queue_id, query_string(query)]
    ctx: dict[str, Any] = {
        "result": result,
        "query": query,
        "queue": result["queue"],
        "params": partial(query_params, query),  # the query string of this view, with changes (pages)
        "sorts": SORT_LABELS,
        "statuses": STATUSES,
        "users": [u for u in list_users(db, member) if u["status"] == "active"],
        "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
    }
    if request.headers.get("hx-request") and request.query_params.get("partial") == "rows":
        return render(request, "cases/_rows.html", ctx)  # polled every 15 s: the count and the rows, no sidebar
    load_sidebar(request)
    return render(request, "cases/list.html", ctx)


def _form_page(
    request: Request, member: Any, queue_id: str, definition: str, values: dict[str, str], errors: dict[str, list[str]]
) -> dict[str, Any]:
    spec = manual_form(db_of(request), member, definition)
    fields = build_fields(spec.schema, spec.ui, values, errors)
    rendered: set[str] = set()

    def walk(fs: list[dict[str, Any]]) -> None:
        for f in fs:
            rendered.add(f["name"])
            walk(f.get("children") or [])
            for i, row in enumerate(f.get("rows") or []):
                rendered.add(f"{f['name']}.{i}")
                walk(row)

    walk(fields)
    slots = [
        {
            "index": i,
            "type": values.get(f"documents.{i}.type", ""),
            "typeErrors": errors.get(f"documents.{i}.type", []),
            "fileErrors": errors.get(f"documents.{i}.file", []),
        }
        for i in range(MAX_ATTACHMENTS)
    ]
    rendered |= {f"documents.{i}.{part}" for i in range(MAX_ATTACHMENTS) for part in ("type", "file")}
    general = [m for path, msgs in errors.items() if path not in rendered for m in msgs]
    return {
        "spec": spec,
        "fields": fields,
        "general_errors": general,
        "queue_id": queue_id,
        "add_another": values.get("add_another") == "on",
        "has_errors": bool(errors),
        "documentSlots": slots,
        "documentTypes": [(f"{c}/{t}", f"{humanize(t)} ({humanize(c)})") for c, t in spec.document_types],
        "filesAgain": any(path.startswith("documents") for path in errors) or (bool(errors) and _has_files(values)),
        "countries": COUNTRIES,
        "industries": INDUSTRIES,
    }


@router.get("/queues/{queue_id}/new")
def new_case_page(request: Request, queue_id: str, member: PageMember, definition: Annotated[str, Query()]) -> Response:
    require_role(member, "reviewer")  # a viewer gets the 403 now, not after filling the form in
    ctx = _form_page(request, member, queue_id, definition, {}, {})
    ctx["queue"] = {"id": queue_id}
    return render(request, "cases/new.html", ctx)


@router.post("/queues/{queue_id}/new")
def new_case_submit(
    request: Request,
    queue_id: str,
    member: CurrentMember,
    form: Form,
    uploads: Uploads,
    definition: Annotated[str, Query()],
) -> Response:
    action = form.get("_action", "")
    if action.startswith(("add:", "remove:")):  # add or remove a row of an array, then show the form again
        values = dict(form)
        verb, _, path = action.partition(":")
        if verb == "add":
            values[f"__rows.{path}"] = str(rows_of(values, path) + 1)
        else:
            array, _, index = path.rpartition(".")
            n = rows_of(values, array)
            values = _drop_row(values, array, int(index) if index.isdigit() else n - 1, n)
        ctx = _form_page(request, member, queue_id, definition, values, {})
        ctx["queue"] = {"id": queue_id}
        load_sidebar(request)
        return render(request, "cases/new.html", ctx)
    attachments, upload_errors = _attachments(form, uploads)
    if upload_errors:
        ctx = _form_page(request, member, queue_id, definition, form, upload_errors)
        ctx["queue"] = {"id": queue_id}
        load_sidebar(request)
        return render(request, "cases/new.html", ctx, status=400)
    created = create_case(db_of(request), member, definition, form, attachments, request.app.state.files_dir)
    if created.runtime_id is None:
        ctx = _form_page(request, member, queue_id, definition, form, created.errors)
        ctx["queue"] = {"id": queue_id}
        load_sidebar(request)
        return render(request, "cases/new.html", ctx, status=400)
    link = f"/cases/{created.runtime_id}?queue={queue_id}"
    if form.get("add_another") == "on":
        flash(request, f"Case created: {link}", "created")
        return redirect(f"/queues/{queue_id}/new?definition={definition}&another=1")
    flash(request, "Case created")
    return redirect(link)


def _attachments(
    form: dict[str, str], uploads: list[tuple[str, UploadFile]]
) -> tuple[list[Attachment], dict[str, list[str]]]:
    """The files of the form's document slots (`documents.<i>.file`, an empty slot skipped), read within the
    file size limit (the app's body limit bounds the request as a whole)."""
    out: list[Attachment] = []
    errors: dict[str, list[str]] = {}
    for name, upload in uploads:
        found = _SLOT.fullmatch(name)
        if not found or not upload.filename:
            continue
        slot = int(found.group(1))
        if slot >= MAX_ATTACHMENTS:
            errors["documents"] = [f"Attach at most {MAX_ATTACHMENTS} documents."]
            continue
        content = upload.file.read(MAX_FILE_BYTES + 1)
        if len(content) > MAX_FILE_BYTES:
            errors[f"documents.{slot}.file"] = [f"{TOO_LARGE}."]
            continue
        mime = upload.content_type or ""
        out.append(Attachment(slot, form.get(f"documents.{slot}.type", ""), upload.filename, mime, content))
    return out, errors


def _has_files(values: dict[str, str]) -> bool:
    return any(k.startswith("documents.") and k.endswith(".type") and v for k, v in values.items())


def _drop_row(values: dict[str, str], array: str, index: int, n: int) -> dict[str, str]:
    out: dict[str, str] = {}
    prefix = f"{array}."
    for key, value in values.items():
        if key.startswith(prefix):
            head, _, rest = key[len(prefix) :].partition(".")
            if head.isdigit():
                i = int(head)
                if i == index:
                    continue
                if i > index:
                    key = f"{prefix}{i - 1}.{rest}" if rest else f"{prefix}{i - 1}"
        out[key] = value
    out[f"__rows.{array}"] = str(max(0, n - 1))
    return out


def _case_ctx(request: Request, member: Any, case_id: str) -> dict[str, Any]:
    case = case_view(get_case(db_of(request), member, case_id))
    return {
        "case": case,
        "tab": pick_tab(case["tabs"], request.query_params.get("activeTab")),
        "diagram": layout(case["graph"], case["state"], case["path"]),
        "queue_id": request.query_params.get("queue", ""),
    }


@router.post("/queues/{queue_id}/assign")
def bulk_assign(request: Request, queue_id: str, member: CurrentMember, form: MultiForm) -> Response:
    """Assign the checked cases of the list to me, to a user, or to nobody; back to the same view."""
    chosen = form.get("assignee") or [""]  # "Assign checked to me" adds `me` to the select's value
    assignee = member.user_id if "me" in chosen else (chosen[-1] or None)
    try:
        done = assign_cases(db_of(request), member, form.get("ids") or [], assignee)
        if done.skipped:
            flash(
                request,
                "Assigned %(n)s case(s); %(skipped)s finished case(s) left as they were",
                skipped=done.skipped,
                n=done.assigned,
            )
        else:
            flash(request, "Assigned %(n)s case", plural="Assigned %(n)s cases", n=done.assigned)
    except InvalidInput as exc:
        _failed(request, exc)
    back = (form.get("back") or [""])[-1]
    return redirect(back if back.startswith(f"/queues/{queue_id}") and "//" not in back else f"/queues/{queue_id}")


def _listed_view(request: Request, queue_id: str) -> str:
    """The query string of the list view last shown for this queue ("" for its default view)."""
    view = session_of(request).get("view")
    return str(view[1]) if isinstance(view, list) and len(view) == 2 and view[0] == queue_id else ""


def _neighbours(request: Request, member: Any, case_id: str, queue_id: str) -> dict[str, str | None]:
    """Previous and next case in the list view last shown for this queue (its filters, search and sort)."""
    if not queue_id or not _ID.fullmatch(queue_id):
        return {"previous": None, "next": None}
    qs = _listed_view(request, queue_id)
    try:
        return neighbours(db_of(request), member, queue_id, parse_query_string(qs), case_id)
    except NotFound:  # a stale or foreign queue id in the link: no neighbours, the case still shows
        return {"previous": None, "next": None}


@router.get("/cases/{case_id}")
def case_page(request: Request, case_id: str, member: PageMember) -> Response:
    ctx = _case_ctx(request, member, case_id)
    ctx["neighbours"] = _neighbours(request, member, case_id, ctx["queue_id"])
    ctx["queue_view"] = _listed_view(request, ctx["queue_id"])  # "Back to the queue" returns to that view
    return render(request, "case/show.html", ctx)


@router.get("/cases/{case_id}/version")
def case_poll(request: Request, case_id: str, member: CurrentMember, seen: Annotated[str, Query()] = "") -> Response:
    """htmx polls this; when the case changed since `seen`, the page reloads itself."""
    current = case_version(db_of(request), member, case_id)
    if seen and current != seen:
        return Response(status_code=204, headers={"HX-Refresh": "true"})
    return Response(status_code=204)


@router.get("/cases/{case_id}/trail.{fmt}")
def case_trail_export(request: Request, case_id: str, fmt: str, member: CurrentMember) -> Response:
    """The case's audit trail as CSV or JSON (any member of the project; another project's case is a 404)."""
    if fmt not in ("csv", "json"):
        raise NotFound("Export as trail.csv or trail.json")
    rows = trail_rows(audit_trail(get_case(db_of(request), member, case_id)))
    name = f"case-{case_id}-audit-trail.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "X-Content-Type-Options": "nosniff"}
    if fmt == "json":
        return JSONResponse({"caseId": case_id, "entries": rows}, headers=headers)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        cells = [row[c] if c != "changes" else "\n".join(row[c]) for c in CSV_COLUMNS]
        writer.writerow([csv_safe(str(c)) for c in cells])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/cases/{case_id}/timeline")
def case_timeline(request: Request, case_id: str, member: CurrentMember) -> Response:
    return render(request, "case/_timeline.html", _case_ctx(request, member, case_id))


def _back(case_id: str, form: dict[str, str]) -> str:
    """The case page to return to: the parent case when the action came from its child-workflow card."""
    queue = form.get("queue", "")
    parent = form.get("parent", "")
    if parent and _ID.fullmatch(parent):
        case_id = parent
    params = [f"queue={quote(queue)}"] if queue else []
    tab = form.get("tab", "")
    if tab in _TAB_IDS and tab != "summary":
        params.append(f"activeTab={tab}")
    return f"/cases/{case_id}" + (f"?{'&'.join(params)}" if params else "")


def _failed(request: Request, exc: InvalidInput) -> None:
    details = "; ".join(e.get("message", "") for e in exc.errors or []) or exc.message
    flash(request, details, "error")


@router.post("/cases/{case_id}/assign")
def assign(request: Request, case_id: str, member: CurrentMember, form: Form) -> Response:
    who = form.get("assignee", "")
    assignee = member.user_id if who == "me" else (who or None)
    try:
        assign_case(db_of(request), member, case_id, assignee)
    except InvalidInput as exc:
        _failed(request, exc)
    return redirect(_back(case_id, form))


@router.post("/cases/{case_id}/event")
def event(request: Request, case_id: str, member: CurrentMember, form: Form) -> Response:
    try:
        done = case_event(db_of(request), member, case_id, form.get("event", ""), form.get("reason", ""))
        flash(request, _done_message(done))
    except InvalidInput as exc:
        _failed(request, exc)
    return redirect(_back(case_id, form))


@router.post("/cases/{case_id}/reuploads")
def reuploads(request: Request, case_id: str, member: CurrentMember, form: Form) -> Response:
    try:
        flash(request, _done_message(ask_for_all_reuploads(db_of(request), member, case_id, form.get("reason", ""))))
    except InvalidInput as exc:
        _failed(request, exc)
    return redirect(_back(case_id, form))


def _done_message(done: CaseEventResult) -> str:
    moved = f": {done.from_state} → {done.to_state}" if done.from_state != done.to_state else ""
    others = done.workflows - 1
    children = f" (and {others} child case{'s' if others != 1 else ''})" if others > 0 else ""
    return f"{done.action}{children}{moved}"


@router.post("/cases/{case_id}/documents/{document_id}/decision")
def decide(request: Request, case_id: str, document_id: str, member: CurrentMember, form: Form) -> Response:
    decision = form.get("decision") or None
    if decision not in (None, "approve", "reject", "revision"):
        raise InvalidInput("Validation error", [{"path": "decision", "message": "Unknown decision"}])
    decide_one = director_document_decision if form.get("contextUpdateMethod") == "director" else document_decision
    try:
        decide_one(
            db_of(request), member, case_id, document_id, decision, form.get("reason", ""), form.get("comment", "")
        )
    except InvalidInput as exc:
        _failed(request, exc)
    return redirect(_back(case_id, form) + f"#doc-{document_id}")


@router.post("/cases/{case_id}/documents/{document_id}/properties")
def document_properties(
    request: Request, case_id: str, document_id: str, member: CurrentMember, form: Form
) -> Response:
    """Save a document's type and properties; on errors the case page again, each error next to its field."""
    try:
        edit_document(db_of(request), member, case_id, document_id, dict(form))
    except InvalidInput as exc:
        if not exc.errors or any(e.get("path") == "type" and "schema" in e.get("message", "") for e in exc.errors):
            _failed(request, exc)
            return redirect(_back(case_id, form) + f"#doc-{document_id}")
        ctx = _case_ctx(request, member, case_id)
        ctx["tab"] = "documents"
        errors = {str(e.get("path")): str(e.get("message")) for e in exc.errors}
        schema = ctx["case"]["documentsSchema"]
        for shown in ctx["case"]["documents"]:
            if shown["id"] == document_id and shown["form"] is not None:
                shown["form"] = document_form(schema, shown["raw"], dict(form), errors)
        load_sidebar(request)
        return render(request, "case/show.html", ctx, status=400)
    flash(request, "Document updated")
    return redirect(_back(case_id, form) + f"#doc-{document_id}")


@router.post("/cases/{case_id}/notes")
def note(request: Request, case_id: str, member: CurrentMember, form: Form) -> Response:
    error = ""
    try:
        add_note(db_of(request), member, case_id, form.get("text", ""))
    except InvalidInput as exc:
        error = "; ".join(e.get("message", "") for e in exc.errors or [])
    if request.headers.get("hx-request"):
        ctx = _case_ctx(request, member, case_id)
        ctx["note_error"] = error
        return render(request, "case/_timeline.html", ctx)
    if error:
        flash(request, error, "error")
    return redirect(_back(case_id, form) + "#timeline")


@router.get("/files/{file_id}")
def file_content(
    request: Request, file_id: str, member: CurrentMember, download: Annotated[int, Query()] = 0
) -> Response:
    stored = get_file(db_of(request), request.app.state.files_dir, member.principal, file_id)
    if not stored.path.exists():
        raise NotFound(f"No file with id [{file_id}]")
    disposition = "attachment" if download else "inline"
    return FileResponse(
        stored.path,
        media_type=stored.mime_type,
        filename=stored.file_name,
        content_disposition_type=disposition,
        # The case page frames PDFs (the browser's viewer breaks in a sandbox); anything else is sandboxed.
        headers={
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": ("" if stored.mime_type == "application/pdf" else "sandbox; ")
            + "frame-ancestors 'self'",
        },
    )
