"""The end-user pages at `/collection-flow?token=…` (reference §6.2): one page of the UI definition at a time.

GET shows the page the flow resumes on (the first page a reviewer re-opened, else where the user left off, else
the first); `page=` shows another page (Back). POST `/collection-flow/page` saves a page and moves on (or shows
it again, its values kept, with the errors under the fields, 422); POST `/collection-flow/upload` stores a
document file and puts it on its document; POST `/collection-flow/language` sets the runtime's language.
Forms post to URLs carrying the token: it is the only credential (no cookie), so another site cannot make a
browser act on a flow without knowing its token.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from arabesque.app.errors import InvalidInput, TooLarge, Unauthorized
from arabesque.app.files.store_file import MAX_FILE_BYTES
from arabesque.engine.ui_definition import FINISHED, Page, document_id, forms_of, page_of
from arabesque.portal.flow import Flow, change_language, find_field, load_flow, submit_page, upload_document
from arabesque.portal.render import flow_url, render
from arabesque.portal.theme import logo_of, theme_css
from arabesque.portal.view import build_page

__all__ = ["router"]

router = APIRouter()
# Plain strings: a value too long or odd is an invalid link (401 page) or ignored, never a JSON 422.
Token = Annotated[str | None, Query()]
Language = Annotated[str | None, Query()]
MAX_FORM_FIELDS = 2000  # a page with many owners has a few hundred inputs; more is not a form


def _steps(flow: Flow, current: str) -> list[dict[str, Any]]:
    progress = (flow.context.get("flowConfig") or {}).get("stepsProgress") or {}
    warnings = flow.warnings
    return [
        {
            "number": i + 1,
            "name": page.name,
            "state": page.state_name,
            "current": page.state_name == current,
            "completed": bool((progress.get(page.state_name) or {}).get("isCompleted")),
            "warning": page.state_name in warnings,
        }
        for i, page in enumerate(flow.pages)
    ]


def _frame(flow: Flow) -> dict[str, Any]:
    """What every page of the flow shows around its content: branding, languages."""
    return {
        "flow": flow,
        "customer_name": flow.customer.get("displayName") or flow.customer.get("name") or "",
        "logo": logo_of(flow.theme, flow.customer.get("logoImageUri")),
        "theme_css": theme_css(flow.theme),
        "language_url": flow_url("/collection-flow/language", flow.token),
        "languages": flow.languages,
    }


def _show(
    request: Request,
    flow: Flow,
    state: str,
    *,
    context: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
    upload_errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> Response:
    page = page_of(flow.pages, state)
    if page is None:
        return _screen(request, flow, "error_title", "invalid_body", 404)
    shown = context if context is not None else flow.context
    all_errors = dict(errors or {})
    for key, messages in (upload_errors or {}).items():
        all_errors.setdefault(key, []).extend(messages)
    warnings = flow.all_warnings()
    view = build_page(
        page, shown, all_errors, flow.language, ui_state=flow.ui_state, warnings=warnings, revision=flow.revision
    )
    previous = page.index - 1
    ctx = {
        **_frame(flow),
        "page": page,
        "view": view,
        "steps": _steps(flow, state),
        "total": len(flow.pages),
        "is_last": page.index == len(flow.pages) - 1,
        "has_errors": bool(errors) or bool(upload_errors),
        "page_url": flow_url("/collection-flow/page", flow.token, flow.language),
        "upload_url": flow_url("/collection-flow/upload", flow.token, flow.language),
        "back_url": flow_url("/collection-flow", flow.token, flow.language, page=flow.pages[previous].state_name)
        if previous >= 0
        else None,
        "revision_reasons": flow.warnings.get(state, {}),
        "max_mb": MAX_FILE_BYTES // (1024 * 1024),
        "max_bytes": MAX_FILE_BYTES,
    }
    return render(request, "page.html", ctx, status, flow.language)


def _success_url(flow: Flow) -> str | None:
    """`uiOptions.redirectUrls.success` of the UI definition (§3.10), when it is an http(s) URL: offered as a link
    on the success screen rather than followed at once, so the client sees that the submit went through."""
    options = flow.record.get("uiOptions")
    urls = options.get("redirectUrls") if isinstance(options, dict) else None
    url = urls.get("success") if isinstance(urls, dict) else None
    return url if isinstance(url, str) and url.startswith(("https://", "http://")) and len(url) < 2000 else None


def _screen(
    request: Request, flow: Flow | None, title: str, body: str, status: int, *, redirect: str | None = None
) -> Response:
    ctx = {**(_frame(flow) if flow else {}), "title_key": title, "body_key": body, "redirect": redirect}
    return render(request, "screen.html", ctx, status, flow.language if flow else "en")


def _invalid(request: Request, language: str | None) -> Response:
    """401: the link is invalid, expired or closed. Nothing of any flow is shown."""
    return render(
        request,
        "screen.html",
        {"title_key": "invalid_title", "body_key": "invalid_body"},
        401,
        language if language in ("en", "de") else "en",
    )


@router.get("/collection-flow")
def show_flow(request: Request, token: Token = None, lng: Language = None, page: Language = None) -> Response:
    flow = load_flow_or_none(token, lng, request)
    if flow is None:
        return _invalid(request, lng)
    app_state = (flow.context.get("flowConfig") or {}).get("appState")
    if flow.finished and not flow.revision:
        if app_state in ("approved", "rejected"):
            return _screen(request, flow, f"{app_state}_title", f"{app_state}_body", 200)
        return _screen(request, flow, "closed_title", "closed_body", 200)
    if page and page_of(flow.pages, page) is not None:
        return _show(request, flow, page)
    start = flow.start()
    if start in ("approved", "rejected"):
        return _screen(request, flow, f"{start}_title", f"{start}_body", 200)
    if start == FINISHED:
        return _screen(request, flow, "success_title", "success_body", 200, redirect=_success_url(flow))
    if start is None:
        return _screen(request, flow, "error_title", "invalid_body", 404)
    return _show(request, flow, start)


def load_flow_or_none(token: str | None, language: str | None, request: Request) -> Flow | None:
    if language is not None and len(language) > 16:
        language = None
    try:
        return load_flow(request.app.state.db, token or "", language)
    except Unauthorized:
        return None


@router.post("/collection-flow/page")
async def post_page(request: Request, token: Token = None, lng: Language = None) -> Response:
    form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    fields: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            fields.setdefault(key, []).append(value)
    return await _run(_post_page, request, token, lng, fields)


async def _run(fn: Any, *args: Any) -> Response:
    """The blocking part of a handler (database transactions) in the threadpool, after the form was read."""
    response: Response = await run_in_threadpool(fn, *args)
    return response


def _post_page(request: Request, token: str | None, lng: str | None, fields: dict[str, list[str]]) -> Response:
    flow = load_flow_or_none(token, lng, request)
    if flow is None:
        return _invalid(request, lng)
    state = (fields.get("_state") or [""])[0]
    # The add and remove buttons of an array form save what was typed and stay on the page.
    go = "save" if fields.get("__add") or fields.get("__remove") else (fields.get("_go") or ["next"])[0]
    button = fields["_button"][0] if fields.get("_button") else None
    if page_of(flow.pages, state) is None:
        return _show(request, flow, flow.start() or "", status=400) if flow.start() else _invalid(request, lng)
    try:
        outcome = submit_page(
            request.app.state.db, flow, state, fields, button=button, go="next" if go == "next" else "save"
        )
    except InvalidInput as exc:
        messages = {"": [exc.message, *(str(e.get("message")) for e in exc.errors or [])]}
        return _show(request, flow, state, errors=messages, status=422)
    if outcome.next_state is None:
        return _show(request, flow, state, context=outcome.context, errors=outcome.errors, status=422)
    if outcome.next_state == FINISHED:
        return RedirectResponse(flow_url("/collection-flow", flow.token, flow.language), status_code=303)
    anchor = "#page" if go == "next" else ""
    return RedirectResponse(
        flow_url("/collection-flow", flow.token, flow.language, page=outcome.next_state) + anchor, status_code=303
    )


@router.post("/collection-flow/upload")
async def post_upload(request: Request, token: Token = None, lng: Language = None) -> Response:
    form = await request.form(max_files=1, max_fields=10)
    upload = form.get("file")
    state = form.get("_state")
    field = form.get("_field")
    content = b""
    name, mime = "", ""
    if isinstance(upload, UploadFile) or hasattr(upload, "read"):
        assert not isinstance(upload, str) and upload is not None
        content = await upload.read(MAX_FILE_BYTES + 1)
        name, mime = upload.filename or "", upload.content_type or ""
    return await _run(_post_upload, request, token, lng, str(state or ""), str(field or ""), name, mime, content)


def _post_upload(
    request: Request,
    token: str | None,
    lng: str | None,
    state: str,
    field_name: str,
    name: str,
    mime: str,
    content: bytes,
) -> Response:
    flow = load_flow_or_none(token, lng, request)
    if flow is None:
        return _invalid(request, lng)
    page = page_of(flow.pages, state)
    if page is None:
        return _show(request, flow, flow.start() or "", status=400)
    field = find_field(flow, page, field_name)
    if field is None or field.widget != "document":
        return _show(request, flow, state, errors={"": ["No such document field on this page."]}, status=400)
    if flow.revision and field_name not in _flagged_fields(flow, page):
        return _show(
            request,
            flow,
            state,
            errors={"": ["Only the documents the reviewer asked for can be replaced."]},
            status=403,
        )
    key = field.destination
    if not content:
        return _show(request, flow, state, upload_errors={key: ["Choose a file to upload."]}, status=422)
    try:
        upload_document(request.app.state.db, request.app.state.files_dir, flow, page, field, name, mime, content)
    except TooLarge:
        limit = f"File size exceeds {MAX_FILE_BYTES // (1024 * 1024)} MB"
        return _show(request, flow, state, upload_errors={key: [limit]}, status=413)
    except InvalidInput as exc:
        details = "; ".join(str(e.get("message")) for e in exc.errors or [])
        return _show(
            request,
            flow,
            state,
            upload_errors={key: [f"{exc.message}: {details}" if details else exc.message]},
            status=422,
        )
    return RedirectResponse(flow_url("/collection-flow", flow.token, flow.language, page=state), status_code=303)


def _flagged_fields(flow: Flow, page: Page) -> set[str]:
    flagged = flow.warnings.get(page.state_name, {})
    return {
        f.name
        for form in forms_of(page.elements, flow.context)
        for item in form.items
        for f in item
        if f.widget == "document" and document_id(f) in flagged
    }


@router.post("/collection-flow/language")
async def post_language(request: Request, token: Token = None) -> Response:
    form = await request.form(max_files=0, max_fields=10)
    language = str(form.get("lng") or "en")[:16]
    page = str(form.get("_state") or "")[:200]
    return await _run(_post_language, request, token, language, page)


def _post_language(request: Request, token: str | None, language: str, page: str) -> Response:
    flow = load_flow_or_none(token, language, request)
    if flow is None:
        return _invalid(request, language)
    if language in flow.languages and not flow.finished:
        change_language(request.app.state.db, flow.token, language)
    return RedirectResponse(flow_url("/collection-flow", flow.token, language, page=page or None), status_code=303)
