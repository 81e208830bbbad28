"""What a vendor callback (`POST /external/workflows/{id}/hook/{event}`) merges into a runtime's context: Ballerine's
`handleHookResponse` (external-api.md §3.4), as pure functions of the current context and the vendor's body.

`resultDestination` is a bounded dot path (`parse_destination`); numeric segments create arrays, as lodash `set`
does, up to a small index. `hook_context` gives the `newContext` that is deep-merged into the context with arrays
replaced, per `processName`:

- default (absent, `ubo-unified-api`, `kyb-unified-api`, `kyc-unified-api-decision`, anything else): the body at
  the path, and `status: "SUCCESS"` beside it when the object holding it has a status (`set_plugin_status`);
- `kyc-unified-api`: the person, the decision and the AML result at the path, and the identity document (its
  images already in the file store) appended to `documents` (Ballerine replaces every document with it, D10);
- `aml-unified-api`: `{...body.data, vendor}` shallow-merged into the object at the path;
- `website-monitoring`: `{data: reportData}` at the path, with the status as above (the path itself);
- `merchant-audit-report`: nothing (the callback's point is the event).

A body the process cannot read is a 400 naming each problem's path under `body` (Ballerine answers 500, D9).
What Ballerine also writes outside the context (end users' AML hits, business reports, the PDF reports) is not
done here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from arabesque.app._ids import new_id
from arabesque.app.errors import InvalidInput
from arabesque.engine.js import js_truthy

__all__ = [
    "DEFAULT_DESTINATION",
    "KYC_PROCESS",
    "StoredImage",
    "hook_context",
    "kyc_images",
    "parse_destination",
    "set_plugin_status",
]

DEFAULT_DESTINATION = "hookResponse"
KYC_PROCESS = "kyc-unified-api"
MAX_DESTINATION_CHARS = 300
MAX_SEGMENTS = 20
MAX_INDEX = 100  # lodash `set` pads an array up to a numeric segment: bounded, so a path cannot build a huge one

_DESTINATION = "query.resultDestination"


@dataclass(frozen=True)
class StoredImage:
    """A KYC image once in the file store."""

    file_id: str
    mime_type: str


def parse_destination(text: str | None) -> list[str]:
    """The segments of `resultDestination` (default `hookResponse`); a 400 naming it when it is not a dot path of
    at most 20 non-empty segments whose numeric ones are at most 100."""
    if text is None:
        return [DEFAULT_DESTINATION]
    segments = text.split(".")
    problem = None
    if not text or len(text) > MAX_DESTINATION_CHARS:
        problem = f"must be 1 to {MAX_DESTINATION_CHARS} characters"
    elif len(segments) > MAX_SEGMENTS:
        problem = f"at most {MAX_SEGMENTS} segments"
    elif any(not s.strip() for s in segments):
        problem = "a dot path of non-empty segments (e.g. pluginsOutput.ubo.data)"
    elif any((_index(s) or 0) > MAX_INDEX for s in segments):
        problem = f"an array index in the path must be at most {MAX_INDEX}"
    if problem:
        raise InvalidInput(f"Invalid resultDestination: {problem}", [{"path": _DESTINATION, "message": problem}])
    return segments


def _index(segment: str) -> int | None:
    if segment.isdigit() and segment.isascii() and (segment == "0" or not segment.startswith("0")):
        return int(segment)
    return None


def _get(value: Any, path: Sequence[str]) -> Any:
    for segment in path:
        if isinstance(value, dict):
            value = value.get(segment)
        elif isinstance(value, list) and (i := _index(segment)) is not None and i < len(value):
            value = value[i]
        else:
            return None
    return value


def _set(container: Any, path: Sequence[str], value: Any) -> Any:
    """A copy of `container` with `value` at `path`, copying only along the path; what is not an object on the way
    is replaced by an array (the next segment is an index) or an object, as lodash `set` does."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    index = _index(head)
    if isinstance(container, list) and index is not None:
        out_list = list(container) + [None] * (index + 1 - len(container))
        out_list[index] = _set(_fresh(out_list[index], rest), rest, value)
        return out_list
    if isinstance(container, list):  # a named property on an array: lodash sets it where JSON cannot show it
        return container
    out: dict[str, Any] = dict(container) if isinstance(container, dict) else {}
    out[head] = _set(_fresh(out.get(head), rest), rest, value)
    return out


def _fresh(current: Any, rest: Sequence[str]) -> Any:
    if not rest or isinstance(current, dict | list):
        return current
    return [] if _index(rest[0]) is not None else {}


def set_plugin_status(
    context: dict[str, Any], path: Sequence[str], body: Any, ignore_last_key: bool = True
) -> dict[str, Any]:
    """`{}` with `body` at `path`, and `status: "SUCCESS"` on the object at the path's parent (the path itself when
    `ignore_last_key` is false) when that object in the current context has a truthy `status`."""
    new_context = _as_dict(_set({}, path, body))
    holder = list(path[:-1] if ignore_last_key else path)
    current = _get(context, holder)
    has_status = isinstance(current, dict) and js_truthy(current.get("status"))
    if holder and has_status and isinstance(_get(new_context, holder), dict):
        new_context = _as_dict(_set(new_context, [*holder, "status"], "SUCCESS"))
    return new_context


def hook_context(
    context: dict[str, Any],
    body: Any,
    path: Sequence[str],
    process_name: str | None,
    images: Sequence[StoredImage] = (),
) -> dict[str, Any]:
    """The `newContext` of the callback (see the module docstring); `images`: the KYC body's `images`, stored."""
    if process_name == KYC_PROCESS:
        return _kyc(context, _object(body, "body"), path, images)
    if process_name == "aml-unified-api":
        obj = _object(body, "body")
        aml = {**_object(obj.get("data"), "body.data"), "vendor": obj.get("vendor")}
        return _as_dict(_set({}, path, {**_as_dict(_get(context, path)), **aml}))
    if process_name == "website-monitoring":
        report = _object(_object(body, "body").get("reportData"), "body.reportData")
        summary = _object(report.get("summary"), "body.reportData.summary")
        score = summary.get("riskScore")
        if not isinstance(score, int | float) or isinstance(score, bool):
            _refuse("body.reportData.summary.riskScore", "must be a number")
        return set_plugin_status(context, path, {"data": report}, ignore_last_key=False)
    if process_name == "merchant-audit-report":
        obj = _object(body, "body")
        _object(obj.get("reportData"), "body.reportData")
        if not isinstance(obj.get("reportId"), str) or not obj["reportId"]:
            _refuse("body.reportId", "must be a non-empty string")
        return {}
    return set_plugin_status(context, path, body)


def kyc_images(body: Any, process_name: str | None) -> list[tuple[str, str]]:
    """(path, data URI) of each image a `kyc-unified-api` body carries, to be stored before the transaction; a 400
    naming each one that is not a `data:` URI."""
    if process_name != KYC_PROCESS:
        return []
    images = _object(body, "body").get("images")
    if not isinstance(images, list):
        _refuse("body.images", "must be an array")
    out = []
    for k, image in enumerate(images):
        content = image.get("content") if isinstance(image, dict) else None
        if not isinstance(content, str) or content[:5].lower() != "data:":
            _refuse(f"body.images[{k}].content", "must be a data:<type>;base64,<data> URI")
        out.append((f"body.images[{k}].content", content))
    return out


def _kyc(
    context: dict[str, Any], body: dict[str, Any], path: Sequence[str], images: Sequence[StoredImage]
) -> dict[str, Any]:
    person = _object(body.get("person"), "body.person")
    document = _object(body.get("document"), "body.document")
    raw_images = _as_list(body.get("images"))
    valid_from, valid_until = _value(document, "validFrom"), _value(document, "validUntil")
    first_issue = _value(document, "firstIssue")
    insights = _as_list(body.get("insights"))
    labels = [str(i.get("label")) for i in insights if isinstance(i, dict) and i.get("result") == "yes"]
    result = {
        "entity": {
            "type": "individual",
            "data": _defined(
                firstName=_value(person, "firstName"),
                lastName=_value(person, "lastName"),
                dateOfBirth=_value(person, "dateOfBirth"),
                additionalInfo=_defined(
                    gender=_value(person, "gender"),
                    nationality=_value(person, "nationality"),
                    placeOfBirth=_value(person, "placeOfBirth"),
                    addresses=_value(person, "addresses"),
                ),
            ),
        },
        "decision": _defined(
            status=body.get("decision"),
            decisionReason=body.get("reason"),
            decisionScore=body.get("decisionScore"),
            riskLabels=", ".join(labels),
        ),
        **_defined(aml=body.get("aml")),
    }
    kind = _value(document, "type")
    issue = document.get("issueNumber")
    issue = _value(document, "issueNumber") if isinstance(issue, dict) else issue
    pages = []
    for image, stored in zip(raw_images, images, strict=False):
        side = image.get("context") if isinstance(image, dict) else None
        side = side.removeprefix("document-") if isinstance(side, str) else None
        page = {"type": stored.mime_type, "ballerineFileId": stored.file_id}
        pages.append({**page, **({"metadata": {"side": side}} if side else {})})
    kyc_document = {
        "id": new_id(),
        "type": "identification_document",
        **_defined(category=kind.lower() if isinstance(kind, str) else None),
        "issuer": _defined(
            country=_value(document, "country"),
            city=_value(document, "placeOfIssue"),
            additionalInfo=_defined(validFrom=valid_from, validUntil=valid_until, firstIssue=first_issue),
        ),
        "properties": _defined(
            expiryDate=valid_until,
            idNumber=_value(person, "idNumber"),
            validFrom=valid_from,
            validUntil=valid_until,
            firstIssue=first_issue,
        ),
        "issuingVersion": issue or 1,
        "pages": pages,
    }
    documents = _as_list(context.get("documents"))
    out = _as_dict(_set(context, path, {**_as_dict(_get(context, path)), **result}))
    return {**out, "documents": [*documents, kyc_document]}


def _value(obj: dict[str, Any], key: str) -> Any:
    """`obj[key].value`, as the KYC vendor wraps each field; None when absent."""
    field = obj.get(key)
    return field.get("value") if isinstance(field, dict) else None


def _defined(**values: Any) -> dict[str, Any]:
    """The values that are not None (JavaScript's `undefined` keys vanish from JSON)."""
    return {k: v for k, v in values.items() if v is not None}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        _refuse(path, "must be an object")
    return value


def _refuse(path: str, message: str) -> NoReturn:
    raise InvalidInput(f"The vendor's body cannot be read: {path} {message}", [{"path": path, "message": message}])
