"""`{a.b.c}` placeholders in plugin URLs, headers and request bodies.

Context placeholders are resolved here, in the engine. `{secret.NAME}` and `{secrets.NAME}` are left in
place for the executor, which resolves them when it sends the request, so secret values never enter a
snapshot, an outbox row or a log.
"""

from __future__ import annotations

import re
from typing import Any

from arabesque.engine.js import js_string

__all__ = ["PLACEHOLDER", "interpolate", "interpolate_top_level"]

PLACEHOLDER = re.compile(r"\{(.*?)\}")
_MISSING = object()


def interpolate(text: str, data: Any) -> str:
    """Replace each `{path}` found in `text` by `String(value)`; an undefined path stays verbatim."""
    for key in PLACEHOLDER.findall(text):
        if key.startswith("secret"):
            continue
        value = _walk(data, key)
        if value is not _MISSING:
            text = text.replace("{" + key + "}", js_string(value), 1)
    return text


def interpolate_top_level(payload: Any) -> Any:
    """Interpolate the top-level string values of an object payload, against the payload itself."""
    if not isinstance(payload, dict):
        return payload
    return {k: interpolate(v, payload) if isinstance(v, str) else v for k, v in payload.items()}


def _walk(data: Any, path: str) -> Any:
    # Ballerine walks plain objects only: an array is not a container here.
    for part in path.split("."):
        if not isinstance(data, dict) or part not in data:
            return _MISSING
        data = data[part]
    return data
