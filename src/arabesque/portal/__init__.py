"""The end-user collection flow (Jinja2 pages at `/collection-flow?token=…`), served by the same process as the
API and Case Management. Imports `app` and `engine`, never `api` or `web` (an import-linter contract)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from starlette.routing import Match, Mount
from starlette.types import Scope

from arabesque.portal.app import create_portal_app
from arabesque.portal.upload_limit import UploadLimit
from arabesque.store import Database

__all__ = ["PATH", "UploadLimit", "create_portal_app", "mount_portal"]

PATH = "/collection-flow"


class _PortalMount(Mount):
    """The pages' paths (`/collection-flow`, `/collection-flow/...`), and nothing else, go to the portal."""

    def matches(self, scope: Scope) -> tuple[Match, Any]:
        path = str(scope.get("path", ""))
        if scope["type"] == "http" and (path == PATH or path.startswith(PATH + "/")):
            return super().matches(scope)
        return Match.NONE, {}


def mount_portal(app: FastAPI, db: Database, files_dir: Path) -> None:
    """Mount the pages after the API's routes and before Case Management's catch-all `/`."""
    app.router.routes.append(_PortalMount("", app=create_portal_app(db, files_dir)))
