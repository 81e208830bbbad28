"""The JSON API (`/api/v1/...`): FastAPI routers, request/response models, auth."""

from arabesque.api.app import create_app

__all__ = ["create_app"]
