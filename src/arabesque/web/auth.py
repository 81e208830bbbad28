"""Sign in, sign out, switch project, and the signed-in user's account (change the password)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from arabesque.app.access.login import login
from arabesque.app.access.users import change_password, my_memberships
from arabesque.app.access.web_sessions import ActiveSession, end_session, switch_project
from arabesque.app.errors import InvalidInput, TooManyRequests, Unauthorized
from arabesque.http_status import status_of
from arabesque.web._session import check_csrf, session_of
from arabesque.web.deps import CurrentSession, Form, MaybeSession, Sidebar, db_of, load_sidebar
from arabesque.web.i18n import LANGUAGES
from arabesque.web.render import flash, redirect, render

router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Only local paths: never `//host` or `https://host` (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def client_address(request: Request) -> str:
    """The peer's address as the server saw it: uvicorn replaces it with the `X-Forwarded-For` client only
    when the peer is one of `ARABESQUE_TRUSTED_PROXIES`."""
    return request.client.host if request.client else "?"


@router.get("/login")
def login_page(request: Request, active: MaybeSession, next: Annotated[str | None, Query()] = None) -> Response:
    if active is not None:
        return redirect(_safe_next(next))
    return render(request, "login.html", {"next": _safe_next(next), "email": ""})


@router.post("/login")
def login_submit(request: Request, form: Form, _sidebar: Sidebar) -> Response:
    email = form.get("email", "")
    target = _safe_next(form.get("next"))
    throttle = request.app.state.throttle
    try:
        started = login(db_of(request), throttle, email, form.get("password", ""), client_address(request))
    except (Unauthorized, TooManyRequests) as exc:
        ctx = {"next": target, "email": email, "error": exc.message}
        return render(request, "login.html", ctx, status=status_of(exc))
    cookie = session_of(request)
    lang = cookie.get("lang")
    cookie.clear()  # a fresh cookie: the new session's token, no sign-in form token; the language stays
    cookie["sid"] = started.token
    if lang is not None:
        cookie["lang"] = lang
    return redirect(target)


@router.post("/logout")
async def logout(request: Request, active: MaybeSession) -> Response:
    if active is not None:  # an ended or expired session has nothing left to end: back to the sign-in page
        await check_csrf(request, active.csrf)
        await run_in_threadpool(end_session, db_of(request), active.token_hash)
    cookie = session_of(request)
    lang = cookie.get("lang")
    cookie.clear()
    if lang is not None:  # the language is the browser's user's, not the session's
        cookie["lang"] = lang
    return redirect("/login")


@router.post("/language")
def choose_language(request: Request, form: Form) -> Response:
    """Remember the picker's language in the session cookie (it beats `Accept-Language`), back to the page."""
    code = form.get("lang", "")
    if code not in LANGUAGES:
        raise InvalidInput("Unknown language", [{"path": "lang", "message": f"one of {', '.join(LANGUAGES)}"}])
    session_of(request)["lang"] = code
    return redirect(_safe_next(form.get("next")))


@router.post("/project")
def switch(request: Request, active: CurrentSession, form: Form) -> Response:
    switch_project(db_of(request), active, form.get("project", ""))
    return redirect("/")


@router.get("/account")
def account_page(request: Request, active: CurrentSession) -> Response:
    return _account(request, active, {})


def _account(request: Request, active: ActiveSession, errors: dict[str, str], status: int = 200) -> Response:
    ctx = {"memberships": my_memberships(db_of(request), active.member), "errors": errors}
    load_sidebar(request)
    return render(request, "account.html", ctx, status=status)


@router.post("/account/password")
def account_password(request: Request, active: CurrentSession, form: Form) -> Response:
    member, throttle, client = active.member, request.app.state.throttle, client_address(request)
    try:
        # A wrong current password counts as a failed sign-in: a borrowed session cannot guess it freely.
        throttle.reserve(member.email, client)
        try:
            change_password(
                db_of(request),
                member,
                form.get("current_password", ""),
                form.get("new_password", ""),
                form.get("confirm_password", ""),
                keep_session=active.token_hash,
            )
        except InvalidInput as exc:
            if not any(e.get("path") == "current_password" for e in exc.errors or []):
                throttle.succeeded(member.email, client)  # the password was right: not a failed attempt
            raise
    except (InvalidInput, TooManyRequests) as exc:
        errors = {e["path"]: e["message"] for e in exc.errors or [{"path": "", "message": exc.message}]}
        return _account(request, active, errors, status=status_of(exc))
    throttle.succeeded(member.email, client)
    flash(request, "Password changed; your other sessions were signed out")
    return redirect("/account")
