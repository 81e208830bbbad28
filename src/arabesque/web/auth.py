"""Sign in, sign out, switch project."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from arabesque.app.errors import TooManyRequests, Unauthorized
from arabesque.app.login import login
from arabesque.web._session import session_of
from arabesque.web.app import CurrentMember, Form, db_of, redirect, render

router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Only local paths: never `//host` or `https://host` (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/login")
def login_page(request: Request, next: Annotated[str | None, Query()] = None) -> Response:
    if session_of(request).get("uid"):
        return redirect(_safe_next(next))
    return render(request, "login.html", {"next": _safe_next(next), "email": ""})


@router.post("/login")
def login_submit(request: Request, form: Form) -> Response:
    email = form.get("email", "")
    target = _safe_next(form.get("next"))
    client = request.client.host if request.client else "?"
    try:
        user_id = login(db_of(request), request.app.state.throttle, email, form.get("password", ""), client)
    except (Unauthorized, TooManyRequests) as exc:
        ctx = {"next": target, "email": email, "error": exc.message}
        return render(request, "login.html", ctx, status=exc.status_code)
    session = session_of(request)
    session.clear()  # a fresh session (and CSRF token) on every sign-in
    session.update({"uid": user_id, "csrf": secrets.token_urlsafe(24)})
    return redirect(target)


@router.post("/logout")
def logout(request: Request, _form: Form) -> Response:
    session_of(request).clear()
    return redirect("/login")


@router.post("/project")
def switch_project(request: Request, member: CurrentMember, form: Form) -> Response:
    wanted = form.get("project", "")
    if wanted in {p[0] for p in member.projects}:
        session_of(request)["pid"] = wanted
    return redirect("/")
