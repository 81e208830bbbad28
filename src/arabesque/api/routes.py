"""Every router of the JSON API, mounted in one place."""

from __future__ import annotations

from fastapi import APIRouter

from arabesque.api import (
    businesses,
    customers,
    definition_parts,
    definitions,
    end_users,
    files,
    health,
    hooks,
    secrets,
    storage,
    webhooks,
    workflows,
)

router = APIRouter()
router.include_router(health.router)
# Before the workflows: `/external/workflows/workflow-definition/{id}` must not be taken for a runtime's id.
router.include_router(definition_parts.external_router)
router.include_router(workflows.router)
router.include_router(hooks.router)
router.include_router(definitions.router)
router.include_router(definition_parts.router)
router.include_router(end_users.router)
router.include_router(businesses.router)
router.include_router(files.router)
router.include_router(storage.router)
router.include_router(webhooks.router)
router.include_router(secrets.router)
router.include_router(customers.router)
