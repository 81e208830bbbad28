"""Request bodies of the definition sub-routes (plugins, schemas, statechart, copy), with Ballerine's shapes.

What the engine checks (plugins, the statechart) is checked by loading the new version; these models check the
shapes Ballerine's own schemas ask for, so a wrong one is a 400 naming its place before anything is loaded.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, field_validator

__all__ = ["CopyBody", "CustomDataSchemaBody", "DefinitionBody", "DocumentTemplate", "ExtensionsBody", "PluginGroups"]


def _given(value: object) -> object:
    """A field that may be left out but not sent as null (an optional key of Ballerine's schemas)."""
    if value is None:
        raise ValueError("may be left out, not null")
    return value


PluginList = Annotated[list[dict[str, Any]], Field(description="Plugins, each an object")]


class PluginGroups(BaseModel):
    """Each group given replaces that group of the latest version's plugins; the groups not given are kept. Other
    keys are kept in `extensions` as sent."""

    model_config = ConfigDict(
        extra="allow",
        strict=True,
        json_schema_extra={"examples": [{"commonPlugins": [], "childWorkflowPlugins": [], "dispatchEventPlugins": []}]},
    )
    apiPlugins: PluginList | None = None
    commonPlugins: PluginList | None = None
    childWorkflowPlugins: PluginList | None = None
    dispatchEventPlugins: PluginList | None = None
    _groups_given = field_validator("*")(_given)


class CustomDataSchemaBody(BaseModel):
    """The JSON schema of `context.customData`; every key is kept."""

    model_config = ConfigDict(
        extra="allow", strict=True, json_schema_extra={"examples": [{"type": "object", "additionalProperties": True}]}
    )
    type: Literal["object"]
    properties: dict[str, Any] | None = None
    _properties_given = field_validator("properties")(_given)


def _numeric_string(value: object) -> object:
    """A numeric string as its number (Ballerine's validator coerces these); anything else unchanged."""
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,15}(\.[0-9]{1,15})?", value):
        number = float(value)
        return int(number) if number.is_integer() else number
    return value


def _whole(value: float) -> float | int:
    return int(value) if value.is_integer() else value  # 1 stays 1, not 1.0


Number = Annotated[
    float,
    BeforeValidator(_numeric_string),
    AfterValidator(_whole),
    WithJsonSchema({"anyOf": [{"type": "number"}, {"type": "string", "pattern": "^-?[0-9]{1,15}(\\.[0-9]{1,15})?$"}]}),
]


class DocumentIssuer(BaseModel):
    # other keys are dropped, as Ballerine's schema drops them
    model_config = ConfigDict(extra="ignore", strict=True)
    country: str = Field(pattern=r"^[A-Z]{2}$", description='ISO 3166-1 alpha-2, or "ZZ"')
    type: str | None = None
    name: str | None = None
    city: str | None = None
    additionalInfo: dict[str, Any] | None = None


class PropertiesSchema(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)
    type: Literal["object"]
    properties: dict[str, dict[str, Any]] = Field(description="Each property's schema: type, format, enum, ...")


class DocumentTemplate(BaseModel):
    """A kind of document the definition expects (Ballerine's `DocumentInsertSchema`); other keys are kept."""

    model_config = ConfigDict(extra="allow", strict=True)
    category: str
    type: str
    issuer: DocumentIssuer
    propertiesSchema: PropertiesSchema
    issuingVersion: Number | None = None
    version: Number | None = None
    required: list[str] | None = None
    additionalProperties: bool | None = None


class DefinitionBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    definition: dict[str, Any] = Field(min_length=1, description="The statechart: `initial`, `states`, ...")


class ExtensionsBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    extensions: dict[str, Any] = Field(min_length=1, description="The plugins, replaced whole")


class CopyBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [{"name": "kyb_copy"}]})
    name: str = Field(min_length=1, max_length=200, description="The copy's name (its version is 1)")
    displayName: str | None = Field(default=None, max_length=200)
