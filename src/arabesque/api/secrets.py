"""The project's plugin secrets (`{secrets.NAME}`): named, set, removed; a value is never returned."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from arabesque.api.deps import Caller, Db
from arabesque.api.responses import SecretName
from arabesque.api.schemas import error_responses
from arabesque.app.secrets.project_secrets import delete_project_secret, list_project_secrets, set_project_secret

router = APIRouter(prefix="/api/v1/external/secrets", tags=["secrets"], responses=error_responses(400, 401, 503))


class SecretRequest(BaseModel):
    value: str = Field(min_length=1)


class KeyedSecretRequest(BaseModel):
    """Ballerine's body: the secret's name as `key`."""

    model_config = ConfigDict(
        extra="forbid", strict=True, json_schema_extra={"examples": [{"key": "VENDOR_TOKEN", "value": "s3cr3t"}]}
    )
    key: str = Field(min_length=1, max_length=200)
    value: str = Field(min_length=1)


@router.get("", response_model=list[SecretName], response_model_exclude_unset=True)
def list_(who: Caller, db: Db) -> list[dict[str, Any]]:
    """The project's secrets by name, with when each was last set (never their values)."""
    return list_project_secrets(db, who)


@router.post("", status_code=204, responses=error_responses(413))
def set_keyed(body: KeyedSecretRequest, who: Caller, db: Db) -> Response:
    """Create or replace the secret `key`."""
    set_project_secret(db, who, body.key, body.value)
    return Response(status_code=204)


@router.put("/{name}", status_code=204, responses=error_responses(413))
def put(name: str, body: SecretRequest, who: Caller, db: Db) -> Response:
    """Create or replace the secret `name`."""
    set_project_secret(db, who, name, body.value)
    return Response(status_code=204)


@router.delete("/{name}", status_code=204)
def delete(name: str, who: Caller, db: Db) -> Response:
    """Remove the secret `name`; removing one the project does not have is not an error."""
    delete_project_secret(db, who, name)
    return Response(status_code=204)
