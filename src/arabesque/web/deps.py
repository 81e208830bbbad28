"""Request dependencies of the Case Management pages: the database, the signed-in session and member, the
sidebar's queues, and the submitted form (after its CSRF check).

FastAPI runs a plain `def` dependency in the threadpool: the ones that read the database are plain, so nothing
here blocks the event loop.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.datastructures import UploadFile

from arabesque.app.access.members import Member
from arabesque.app.access.web_sessions import ActiveSession, resume_session
from arabesque.app.cases.queues import list_queues
from arabesque.app.input_text import check_fields
from arabesque.observability.logs import annotate
from arabesque.store import Database
from arabesque.web._session import check_csrf, session_of

__all__ = [
    "CurrentMember",
    "CurrentSession",
    "Form",
    "LoginRequired",
    "MaybeSession",
    "MultiForm",
    "PageMember",
    "Sidebar",
    "Uploads",
    "db_of",
    "load_sidebar",
]


class LoginRequired(Exception):
    """No signed-in session: the page redirects to the sign-in form (`app.py`)."""


def db_of(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _session(request: Request) -> ActiveSession | None:
    """The signed-in session of the cookie's token, looked up in the database on every request (so an ended
    session is refused at once); None for a visitor, whose stale token is dropped from the cookie."""
    cookie = session_of(request)
    token = cookie.get("sid")
    active = resume_session(db_of(request), token) if isinstance(token, str) else None
    if active is None:
        cookie.pop("sid", None)
    else:
        request.state.member = active.member
        annotate(project_id=active.member.project_id)  # in the request's log lines
    request.state.session = active
    return active


def _member(active: Annotated[ActiveSession | None, Depends(_session)]) -> Member:
    if active is None:
        raise LoginRequired()
    return active.member


def _signed_in(active: Annotated[ActiveSession | None, Depends(_session)]) -> ActiveSession:
    if active is None:
        raise LoginRequired()
    return active


def load_sidebar(request: Request) -> None:
    """Read the signed-in member's queues for the sidebar of a full page (`render` shows them); nothing for a
    visitor. Call it from the threadpool: a handler, a dependency or a plain exception handler."""
    member: Member | None = getattr(request.state, "member", None)
    if member is not None and getattr(request.state, "sidebar", None) is None:
        request.state.sidebar = list_queues(db_of(request), member)


def _sidebar(request: Request, _active: Annotated[ActiveSession | None, Depends(_session)]) -> None:
    load_sidebar(request)


def _page_member(member: Annotated[Member, Depends(_member)], _loaded: Annotated[None, Depends(_sidebar)]) -> Member:
    return member


async def _checked(request: Request, active: ActiveSession | None) -> None:
    await check_csrf(request, active.csrf if active is not None else session_of(request).get("csrf"))


async def _form(request: Request, active: Annotated[ActiveSession | None, Depends(_session)]) -> dict[str, str]:
    """The submitted form (last value of each field), after the CSRF check."""
    await _checked(request, active)
    form = await request.form()
    _check_storable(form.multi_items())
    return {k: v for k, v in form.multi_items() if isinstance(v, str)}


async def _multi_form(
    request: Request, active: Annotated[ActiveSession | None, Depends(_session)]
) -> dict[str, list[str]]:
    await _checked(request, active)
    form = await request.form()
    _check_storable(form.multi_items())
    out: dict[str, list[str]] = {}
    for k, v in form.multi_items():
        if isinstance(v, str):
            out.setdefault(k, []).append(v)
    return out


async def _uploads(
    request: Request, active: Annotated[ActiveSession | None, Depends(_session)]
) -> list[tuple[str, UploadFile]]:
    """The files of a multipart form (field name, file), after the CSRF check; Starlette parses the form once."""
    await _checked(request, active)
    form = await request.form()
    return [(k, v) for k, v in form.multi_items() if isinstance(v, UploadFile)]


def _check_storable(items: list[tuple[str, Any]]) -> None:
    """A NUL in a field (or an uploaded file's name) is refused here, with the field's name: PostgreSQL
    cannot store it. A file's content may hold any bytes."""
    check_fields((k, v if isinstance(v, str) else (getattr(v, "filename", None) or "")) for k, v in items)


MaybeSession = Annotated[ActiveSession | None, Depends(_session)]
CurrentSession = Annotated[ActiveSession, Depends(_signed_in)]
CurrentMember = Annotated[Member, Depends(_member)]
Sidebar = Annotated[None, Depends(_sidebar)]  # the sidebar of a page a visitor may also see (sign-in)
PageMember = Annotated[Member, Depends(_page_member)]  # a member's full page: the member and the sidebar
Form = Annotated[dict[str, str], Depends(_form)]
MultiForm = Annotated[dict[str, list[str]], Depends(_multi_form)]
Uploads = Annotated[list[tuple[str, UploadFile]], Depends(_uploads)]
