"""Admin pages: users, queues, workflow definitions, API keys, webhooks. Every handler's use case checks the role."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from arabesque.app.access.api_keys import create_key, list_keys, revoke_key
from arabesque.app.access.members import ROLES, require_role
from arabesque.app.access.users import add_user, list_users, update_user
from arabesque.app.cases.queues import ENTITIES, definition_choices, delete_queue, get_queue, list_queues, save_queue
from arabesque.app.definitions.queries import definition_detail, definition_versions
from arabesque.app.definitions.upload_definition import upload_definition
from arabesque.app.errors import AppError, Forbidden, InvalidInput, NotFound
from arabesque.app.webhooks.subscriptions import (
    WEBHOOK_EVENTS,
    add_webhook,
    redeliver_webhook,
    remove_webhook,
    webhook_detail,
    webhooks,
)
from arabesque.http_status import status_of
from arabesque.web.deps import CurrentMember, Form, MultiForm, PageMember, db_of, load_sidebar
from arabesque.web.diagram import definition_graph, layout
from arabesque.web.render import flash, redirect, render

router = APIRouter(prefix="/admin")


def _errors(exc: AppError) -> dict[str, str]:
    return {e.get("path", ""): e.get("message", "") for e in exc.errors or [{"path": "", "message": exc.message}]}


# --- users -------------------------------------------------------------------------------------------


def _users_page(request: Request, member: Any, extra: dict[str, Any] | None = None, status: int = 200) -> Response:
    ctx = {"users": list_users(db_of(request), member), "roles": ROLES}
    load_sidebar(request)
    return render(request, "admin/users.html", ctx | (extra or {}), status=status)


@router.get("/users")
def users_page(request: Request, member: CurrentMember) -> Response:
    require_role(member, "admin")
    return _users_page(request, member)


@router.post("/users")
def users_create(request: Request, member: CurrentMember, form: Form) -> Response:
    try:
        created = add_user(
            db_of(request),
            member,
            form.get("email", ""),
            form.get("role", ""),
            form.get("password", ""),
            form.get("name", ""),
        )
    except (InvalidInput, AppError) as exc:
        if isinstance(exc, Forbidden):
            raise
        return _users_page(request, member, {"errors": _errors(exc), "values": form}, status=status_of(exc))
    if created.password:  # shown in this response only: never in a cookie or a redirect
        return _users_page(request, member, {"created": created})
    if created.existing:
        text = "Added %(email)s as %(role)s (an existing account: their password is unchanged)"
    else:
        text = "Added %(email)s as %(role)s"
    flash(request, text, email=created.email, role=created.role)
    return redirect("/admin/users")


@router.post("/users/{user_id}")
def users_update(request: Request, user_id: str, member: CurrentMember, form: Form) -> Response:
    update_user(db_of(request), member, user_id, form.get("role") or None, form.get("status") or None)
    flash(request, "Membership updated; their sessions in this project were signed out")
    return redirect("/admin/users")


# --- queues ------------------------------------------------------------------------------------------


@router.get("/queues")
def queues_page(request: Request, member: PageMember) -> Response:
    require_role(member, "admin")
    return render(request, "admin/queues.html", {"all_queues": list_queues(db_of(request), member)})


def _queue_form(
    request: Request, member: Any, queue: dict[str, Any], errors: dict[str, str], status: int = 200
) -> Response:
    ctx = {"q": queue, "entities": ENTITIES, "choices": definition_choices(db_of(request), member), "errors": errors}
    load_sidebar(request)
    return render(request, "admin/queue_form.html", ctx, status=status)


@router.get("/queues/new")
def queue_new(request: Request, member: CurrentMember) -> Response:
    require_role(member, "admin")
    return _queue_form(request, member, {"id": None, "name": "", "entity": "businesses", "definitionNames": []}, {})


@router.get("/queues/{queue_id}")
def queue_edit(request: Request, queue_id: str, member: CurrentMember) -> Response:
    require_role(member, "admin")
    return _queue_form(request, member, get_queue(db_of(request), member, queue_id), {})


def _save(request: Request, member: Any, queue_id: str | None, form: dict[str, list[str]]) -> Response:
    name = (form.get("name") or [""])[-1]
    entity = (form.get("entity") or [""])[-1]
    names = form.get("definitions") or []
    try:
        saved = save_queue(db_of(request), member, queue_id, name, entity, names)
    except InvalidInput as exc:
        queue = {"id": queue_id, "name": name, "entity": entity, "definitionNames": names}
        return _queue_form(request, member, queue, _errors(exc), status=400)
    flash(request, "Queue %(name)s saved", name=name)
    return redirect(f"/queues/{saved}")


@router.post("/queues/new")
def queue_create(request: Request, member: CurrentMember, form: MultiForm) -> Response:
    return _save(request, member, None, form)


@router.post("/queues/{queue_id}")
def queue_update(request: Request, queue_id: str, member: CurrentMember, form: MultiForm) -> Response:
    return _save(request, member, queue_id, form)


@router.post("/queues/{queue_id}/delete")
def queue_delete(request: Request, queue_id: str, member: CurrentMember, _form: Form) -> Response:
    delete_queue(db_of(request), member, queue_id)
    flash(request, "Queue deleted")
    return redirect("/admin/queues")


# --- definitions -------------------------------------------------------------------------------------


@router.get("/definitions")
def definitions_page(request: Request, member: PageMember) -> Response:
    return render(request, "admin/definitions.html", {"definitions": definition_versions(db_of(request), member)})


@router.post("/definitions")
def definitions_upload(request: Request, member: CurrentMember, form: Form) -> Response:
    text = form.get("json", "")
    try:
        out = upload_definition(db_of(request), member, text)
    except AppError as exc:
        if isinstance(exc, Forbidden):
            raise
        ctx = {
            "definitions": definition_versions(db_of(request), member),
            "errors": exc.errors or [],
            "message": exc.message,
            "text": text,
        }
        load_sidebar(request)
        return render(request, "admin/definitions.html", ctx, status=status_of(exc))
    flash(request, "Stored %(name)s version %(version)s", name=out["name"], version=out["version"])
    return redirect(f"/admin/definitions/{out['id']}")


@router.get("/definitions/{definition_id}")
def definition_page(request: Request, definition_id: str, member: PageMember) -> Response:
    detail = definition_detail(db_of(request), member, definition_id)
    return render(
        request, "admin/definition.html", {"d": detail, "diagram": layout(definition_graph(detail["definition"]))}
    )


# --- API keys ----------------------------------------------------------------------------------------


@router.get("/keys")
def keys_page(request: Request, member: PageMember) -> Response:
    return render(request, "admin/keys.html", {"keys": list_keys(db_of(request), member)})


@router.post("/keys")
def keys_create(request: Request, member: PageMember, form: Form) -> Response:
    try:
        created = create_key(db_of(request), member, form.get("name", ""))
    except InvalidInput as exc:
        ctx = {"keys": list_keys(db_of(request), member), "errors": _errors(exc), "values": dict(form)}
        return render(request, "admin/keys.html", ctx, status=400)
    ctx = {"keys": list_keys(db_of(request), member), "created": created.key}
    return render(request, "admin/keys.html", ctx)


def _key_of(request: Request, member: Any, key_id: str) -> dict[str, Any]:
    for key in list_keys(db_of(request), member):
        if key["id"] == key_id:
            return key
    raise NotFound(f"No API key with id [{key_id}]")


@router.get("/keys/{key_id}/revoke")
def keys_revoke_confirm(request: Request, key_id: str, member: PageMember) -> Response:
    """The confirmation step of a revoke: a page of its own, so it works without JavaScript."""
    return render(request, "admin/key_revoke.html", {"key": _key_of(request, member, key_id)})


@router.post("/keys/{key_id}/revoke")
def keys_revoke(request: Request, key_id: str, member: CurrentMember, form: Form) -> Response:
    if form.get("confirm") != "yes":  # not from the confirmation page: show it
        return redirect(f"/admin/keys/{key_id}/revoke")
    revoke_key(db_of(request), member, key_id)
    flash(request, "Key revoked")
    return redirect("/admin/keys")


# --- webhooks ----------------------------------------------------------------------------------------


def _webhooks_page(request: Request, member: Any, extra: dict[str, Any] | None = None, status: int = 200) -> Response:
    ctx = {"webhooks": webhooks(db_of(request), member), "events": WEBHOOK_EVENTS, "errors": {}, "values": {}}
    load_sidebar(request)
    return render(request, "admin/webhooks.html", ctx | (extra or {}), status=status)


@router.get("/webhooks")
def webhooks_page(request: Request, member: CurrentMember) -> Response:
    return _webhooks_page(request, member)


@router.post("/webhooks")
def webhooks_create(request: Request, member: CurrentMember, form: MultiForm) -> Response:
    url = (form.get("url") or [""])[-1]
    description = (form.get("description") or [""])[-1]
    events = form.get("events") or []
    try:
        created = add_webhook(db_of(request), member, url, events, description)
    except InvalidInput as exc:
        values = {"url": url, "description": description, "events": events}
        return _webhooks_page(request, member, {"errors": _errors(exc), "values": values}, status=400)
    return _webhooks_page(request, member, {"created": created})


@router.get("/webhooks/{subscription_id}")
def webhook_page(request: Request, subscription_id: str, member: PageMember) -> Response:
    return render(request, "admin/webhook.html", {"w": webhook_detail(db_of(request), member, subscription_id)})


@router.post("/webhooks/{subscription_id}/delete")
def webhook_delete(request: Request, subscription_id: str, member: CurrentMember, _form: Form) -> Response:
    remove_webhook(db_of(request), member, subscription_id)
    flash(request, "Webhook subscription deleted; pending retries were dead-lettered")
    return redirect("/admin/webhooks")


@router.post("/webhooks/{subscription_id}/deliveries/{delivery_id}/redeliver")
def webhook_redeliver(
    request: Request, subscription_id: str, delivery_id: str, member: CurrentMember, _form: Form
) -> Response:
    redeliver_webhook(db_of(request), member, subscription_id, delivery_id)
    flash(request, "Delivery %(id)s queued for redelivery", id=delivery_id)
    return redirect(f"/admin/webhooks/{subscription_id}")
