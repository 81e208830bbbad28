"""The Case Management web application (Jinja2 + htmx), served by the same process as the API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from starlette.routing import Match, Mount
from starlette.types import Scope

from arabesque.app.secrets.session_secret import session_secret
from arabesque.store import Database
from arabesque.web.app import create_web_app

__all__ = ["create_web_app", "mount_web"]


_API_PATHS = ("/api/", "/docs", "/openapi.json", "/metrics")  # answered by the API, found or not


class _WebMount(Mount):
    """`/` for the pages, but never the API's paths: those keep the API's own 404 and 405 answers."""

    def matches(self, scope: Scope) -> tuple[Match, Any]:
        if scope["type"] == "http" and str(scope.get("path", "")).startswith(_API_PATHS):
            return Match.NONE, {}
        return super().matches(scope)


def mount_web(app: FastAPI, db: Database, files_dir: Path, secret: str | None = None) -> None:
    """Mount the application at `/`, after the API's routes (which keep precedence)."""
    key = secret or session_secret(files_dir.parent)
    app.router.routes.append(_WebMount("/", app=create_web_app(db, files_dir, key)))
