"""Use cases: the parts of a definition Ballerine serves on their own routes: its plugins (`extensions`), its input
context schema and that schema's `customData`, its documents schema, the statechart.

Changing one adds a version (`add_version`): the same validation and size limits as an upload, and running
workflows keep the version they started with. Ballerine changes most of these in place, so a running case's
definition changes under it; here nothing already stored changes. Reading one reads the latest version of the
definition's name, so that reading the id a change was made through shows the change, as it does in Ballerine.

Problems are named where they are in the request body: the plugins' `extensions.apiPlugins[0].url` is
`apiPlugins[0].url` of `PUT .../plugins`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.validators import validator_for
from sqlalchemy.orm import Session

from arabesque.app.access.principal import Principal
from arabesque.app.collection_flow.ui_definitions import ui_definitions_of
from arabesque.app.definitions.lookup import definition_json, find_definition, resolve_latest
from arabesque.app.definitions.upgrade_definition import add_version
from arabesque.app.errors import AppError, InvalidInput
from arabesque.store import Database, WorkflowDefinition

__all__ = [
    "custom_data_schema",
    "definition_with_ui",
    "documents_schema",
    "input_context_schema",
    "plugins",
    "replace_definition",
    "replace_documents_schema",
    "replace_extensions",
    "set_custom_data_schema",
    "set_plugins",
]

CUSTOM_DATA = "customData"


# --- reads ------------------------------------------------------------------------------------------------


def definition_with_ui(db: Database, who: Principal, id_or_name: str) -> dict[str, Any]:
    """The definition version, with Ballerine's `uiDefinitions`: its collection-flow UI definition, when it has one
    (the project's own only: a public template has none)."""
    with db.read() as s:
        row = find_definition(s, who.project_id, id_or_name)
        return {**definition_json(row), "uiDefinitions": ui_definitions_of(s, who.project_id, row.pk)}


def _latest(s: Session, who: Principal, id_or_name: str) -> dict[str, Any]:
    """The record of the latest version of the definition's name."""
    latest = s.get(WorkflowDefinition, resolve_latest(s.connection(), who.project_id, id_or_name).pk)
    assert latest is not None
    record: dict[str, Any] = latest.record
    return record


def plugins(db: Database, who: Principal, id_or_name: str) -> dict[str, Any]:
    """The `extensions` (`{}` when there are none)."""
    with db.read() as s:
        extensions = _latest(s, who, id_or_name).get("extensions")
        return extensions if isinstance(extensions, dict) else {}


def _schema_of(record: dict[str, Any]) -> dict[str, Any]:
    wrapper = record.get("contextSchema")
    schema = wrapper.get("schema") if isinstance(wrapper, dict) else None
    return schema if isinstance(schema, dict) else {}


def input_context_schema(db: Database, who: Principal, id_or_name: str) -> dict[str, Any]:
    """The JSON schema `/run` checks contexts against (`{}`, any context, when the definition has none)."""
    with db.read() as s:
        return _schema_of(_latest(s, who, id_or_name))


def custom_data_schema(db: Database, who: Principal, id_or_name: str) -> dict[str, Any]:
    with db.read() as s:
        properties = _schema_of(_latest(s, who, id_or_name)).get("properties")
        found = properties.get(CUSTOM_DATA) if isinstance(properties, dict) else None
        return found if isinstance(found, dict) else {}


def documents_schema(db: Database, who: Principal, id_or_name: str) -> list[Any]:
    """The document templates (`[]` when the definition has none)."""
    with db.read() as s:
        found = _latest(s, who, id_or_name).get("documentsSchema")
        return found if isinstance(found, list) else []


# --- changes: each adds a version -------------------------------------------------------------------------


def set_plugins(db: Database, who: Principal, id_or_name: str, groups: dict[str, Any]) -> dict[str, Any]:
    """Each plugin group given (`apiPlugins`, `commonPlugins`, ...) replaces that group; the others are kept."""

    def edit(record: dict[str, Any]) -> dict[str, Any]:
        current = record.get("extensions")
        return {**record, "extensions": {**(current if isinstance(current, dict) else {}), **groups}}

    row = _new_version(db, who, id_or_name, edit, body_key="extensions")
    extensions: dict[str, Any] = row.record["extensions"]
    return extensions


def set_custom_data_schema(db: Database, who: Principal, id_or_name: str, schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` as the input context schema's `properties.customData` (a schema of `{"type": "object"}` is made
    when the definition has none)."""
    problems = _schema_problems(schema)
    if problems:
        raise InvalidInput("Invalid custom data schema", problems)

    def edit(record: dict[str, Any]) -> dict[str, Any]:
        wrapper = record.get("contextSchema")
        wrapper = dict(wrapper) if isinstance(wrapper, dict) else {}
        context = _schema_of(record) or {"type": "object"}
        properties = context.get("properties")
        properties = {**(properties if isinstance(properties, dict) else {}), CUSTOM_DATA: schema}
        wrapper.setdefault("type", "json-schema")
        return {**record, "contextSchema": {**wrapper, "schema": {**context, "properties": properties}}}

    _new_version(db, who, id_or_name, edit, body_key=f"contextSchema.schema.properties.{CUSTOM_DATA}")
    return schema


def replace_documents_schema(db: Database, who: Principal, id_or_name: str, templates: list[Any]) -> list[Any]:
    """`templates` as the definition's documents schema; each template's `propertiesSchema` must be a JSON schema."""
    problems = []
    for i, template in enumerate(templates):
        properties = template.get("propertiesSchema") if isinstance(template, dict) else None
        if isinstance(properties, dict):
            problems += _schema_problems(properties, f"{i}.propertiesSchema")
    if problems:
        raise InvalidInput("Invalid documents schema", problems)
    _new_version(db, who, id_or_name, lambda record: {**record, "documentsSchema": templates}, "documentsSchema")
    return templates


def replace_definition(db: Database, who: Principal, id_or_name: str, chart: dict[str, Any]) -> dict[str, Any]:
    """The statechart replaced whole (`{"definition": {...}}`); `{count, id, name, version}` of the new version."""
    row = _new_version(db, who, id_or_name, lambda record: {**record, "definition": chart}, body_key="")
    return _changed(row)


def replace_extensions(db: Database, who: Principal, id_or_name: str, extensions: dict[str, Any]) -> dict[str, Any]:
    """The plugins replaced whole (`{"extensions": {...}}`); `{count, id, name, version}` of the new version."""
    row = _new_version(db, who, id_or_name, lambda record: {**record, "extensions": extensions}, body_key="")
    return _changed(row)


def _changed(row: WorkflowDefinition) -> dict[str, Any]:
    # `count` as Ballerine answers these PUTs (rows changed); the new version says where the change is
    return {"count": 1, "id": row.id, "name": row.name, "version": row.version}


def _new_version(
    db: Database, who: Principal, id_or_name: str, edit: Callable[[dict[str, Any]], dict[str, Any]], body_key: str
) -> WorkflowDefinition:
    """`add_version` in a transaction of its own; problems under `body_key` named as places in the request body
    (`body_key` "" when the body holds the record's own keys)."""
    try:
        with db.write() as s:
            return add_version(s, who, id_or_name, edit)
    except AppError as exc:
        if exc.errors and body_key:
            exc.errors = [{**e, "path": _in_body(e["path"], body_key)} for e in exc.errors]
        raise


def _in_body(path: str, body_key: str) -> str:
    if path == body_key:
        return "body"
    for joint in (".", "["):
        if path.startswith(body_key + joint):
            return path[len(body_key) + (joint == ".") :]
    return path  # elsewhere in the definition (e.g. a state a plugin names): its place in the record


def _schema_problems(schema: dict[str, Any], prefix: str = "") -> list[dict[str, str]]:
    """Where `schema` is not a JSON schema of its dialect (`$schema`, Draft 7 by default), against the metaschema;
    formats (such as ECMAScript patterns, which the engine runs) are not checked here."""
    cls = validator_for(schema, default=Draft7Validator)
    try:
        errors = list(cls(cls.META_SCHEMA).iter_errors(schema))
    except RecursionError:
        return [{"path": prefix or "body", "message": "the schema is nested too deeply"}]
    out = []
    for error in errors:
        where = ".".join(str(p) for p in error.absolute_path)
        out.append({"path": ".".join(p for p in (prefix, where) if p) or "body", "message": error.message})
    return sorted(out, key=lambda p: p["path"])
