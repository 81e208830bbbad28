"""Request bodies of the end-user and business routes, with Ballerine's field names.

Strings stored in a column are bounded by it (names 200, e-mail 320, company name 500, correlation id 200); a key
that is not a field is refused, naming it (Ballerine refuses unknown end-user fields too, and drops unknown business
fields). Dates are ISO 8601 dates or date-times, kept as sent.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    WithJsonSchema,
    field_validator,
)

__all__ = [
    "BusinessCreate",
    "BusinessUpdate",
    "EndUserCreate",
    "EndUserUpdate",
    "EndUserWithBusinessCreate",
]


def _iso_date(value: str) -> str:
    for parse in (date.fromisoformat, datetime.fromisoformat):
        try:
            parse(value)
            return value
        except ValueError:
            pass
    raise ValueError("must be an ISO 8601 date (1990-01-31) or date-time (1990-01-31T00:00:00Z)")


IsoDate = Annotated[str, AfterValidator(_iso_date), Field(description="ISO 8601 date or date-time")]
Name = Annotated[str, Field(min_length=1, max_length=200)]
CompanyName = Annotated[str, Field(min_length=1, max_length=500)]
CorrelationId = Annotated[
    str, Field(max_length=200, description="Your id for it, unique in the project; a new UUID when empty or absent")
]


def _numeric_string(value: object) -> object:
    """A numeric string as its number (Ballerine takes these numbers as strings too); anything else unchanged."""
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,5}", value):
        return int(value)
    return value


MccCode = Annotated[
    int,
    BeforeValidator(_numeric_string),
    Field(ge=0, le=99999),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 0, "maximum": 99999},
                {"type": "string", "pattern": "^[0-9]{1,5}$"},
            ],
            "description": "Merchant category code, a number or a numeric string (stored as a number)",
        }
    ),
]
ApprovalState = Literal["NEW", "PROCESSING", "APPROVED", "REJECTED"]


class _Fields(BaseModel):
    # strict: a field typed as a number or a boolean takes exactly that (not "5" or 1), as the OpenAPI says
    model_config = ConfigDict(extra="forbid", strict=True)


class _EndUserFields(_Fields):
    email: Annotated[str, Field(max_length=320)] | None = None
    phone: str | None = None
    dateOfBirth: IsoDate | None = None
    avatarUrl: str | None = None
    nationalId: str | None = None
    country: str | None = None
    endUserType: str | None = None
    isContactPerson: bool | None = None
    additionalInfo: dict[str, Any] | None = None


class EndUserCreate(_EndUserFields):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"correlationId": "jane-1", "firstName": "Jane", "lastName": "Doe"}]}
    )
    firstName: Name
    lastName: Name
    correlationId: CorrelationId | None = None
    approvalState: ApprovalState | None = None


class EndUserWithBusinessCreate(EndUserCreate):
    companyName: CompanyName = Field(description="The business created with the end user and linked to it")


def _given(value: object) -> object:
    if value is None:
        raise ValueError("may be left out, not null")
    return value


class EndUserUpdate(_EndUserFields):
    """Only the fields given change; null removes an optional one (not a name)."""

    firstName: Name | None = None
    lastName: Name | None = None
    _names_given = field_validator("firstName", "lastName")(_given)


class _BusinessFields(_Fields):
    registrationNumber: str | None = None
    businessType: str | None = None
    legalForm: str | None = None
    country: str | None = None
    countryOfIncorporation: str | None = None
    dateOfIncorporation: IsoDate | None = None
    address: JsonValue = None
    phoneNumber: str | None = None
    email: str | None = None
    website: str | None = None
    industry: str | None = None
    taxIdentificationNumber: str | None = None
    vatNumber: str | None = None
    shareholderStructure: list[dict[str, Any]] | None = None
    numberOfEmployees: Annotated[int, Field(ge=0)] | None = None
    businessPurpose: str | None = None
    documents: dict[str, Any] | None = None
    avatarUrl: str | None = None
    additionalInfo: dict[str, Any] | None = None
    bankInformation: dict[str, Any] | None = None
    mccCode: MccCode | None = None
    metadata: dict[str, Any] | None = None


class BusinessCreate(_BusinessFields):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"correlationId": "acme-1", "companyName": "Acme Ltd", "country": "GB"}]}
    )
    companyName: CompanyName
    correlationId: CorrelationId | None = None
    approvalState: ApprovalState | None = None


class BusinessUpdate(_BusinessFields):
    """Only the fields given change; null removes an optional one (not the name)."""

    companyName: CompanyName | None = None
    _name_given = field_validator("companyName")(_given)
