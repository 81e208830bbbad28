"""The JSON API (`/api/v1/...`): FastAPI routers, request/response models, auth."""

from arabesque.api.app import MAX_BODY_BYTES, create_api

__all__ = ["MAX_BODY_BYTES", "create_api"]
