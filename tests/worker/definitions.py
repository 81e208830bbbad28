"""Definitions the worker tests run: an API plugin with success and error paths, webhook subscriptions."""

from __future__ import annotations

from typing import Any

from arabesque.app.definitions.create_definition import insert_definition
from arabesque.store import Database

__all__ = ["install", "vendor_check"]


def vendor_check(
    url: str, webhook_url: str | None = None, max_attempts: int | None = 4, name: str = "vendor_check"
) -> dict[str, Any]:
    """`max_attempts` None: the plugin does not set `maxAttempts` (the default applies)."""
    config: dict[str, Any] = {"initialEvent": "START"}
    if webhook_url:
        config["subscriptions"] = [
            {"type": "webhook", "url": webhook_url, "events": ["workflow.completed", "workflow.state.changed"]}
        ]
    record: dict[str, Any] = {
        "id": name,
        "name": name,
        "version": 1,
        "definitionType": "statechart-json",
        "definition": {
            "id": f"{name}_v1",
            "predictableActionArguments": True,
            "initial": "idle",
            "states": {
                "idle": {"on": {"START": "checking"}},
                "checking": {"on": {"VENDOR_OK": "approved", "VENDOR_FAILED": "failed"}},
                "approved": {"type": "final", "tags": ["approved"]},
                "failed": {"type": "final", "tags": ["failed"]},
            },
        },
        "extensions": {
            "apiPlugins": [
                {
                    "name": "vendor",
                    "pluginKind": "api",
                    "url": url,
                    "method": "POST",
                    "stateNames": ["checking"],
                    "successAction": "VENDOR_OK",
                    "errorAction": "VENDOR_FAILED",
                    "persistResponseDestination": "vendorResult",
                    "maxAttempts": max_attempts,
                    "timeoutSeconds": 5,
                    "request": {"transform": [{"transformer": "jmespath", "mapping": "{id: entity.id}"}]},
                }
            ]
        },
        "config": config,
    }
    if max_attempts is None:
        del record["extensions"]["apiPlugins"][0]["maxAttempts"]
    return record


def install(db: Database, project_id: str, record: dict[str, Any]) -> None:
    with db.write() as s:
        insert_definition(s, project_id, record, created_by="test")


def run_body(definition_id: str, entity_id: str) -> dict[str, Any]:
    return {
        "workflowId": definition_id,
        "context": {"entity": {"type": "business", "id": entity_id, "data": {"companyName": entity_id}}},
    }
