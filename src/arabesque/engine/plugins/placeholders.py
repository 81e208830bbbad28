"""`{a.b.c}` placeholders in plugin URLs, headers and request bodies.

Context placeholders are resolved here, in the engine. `{secret.NAME}` and `{secrets.NAME}` are left in
place for the executor, which resolves them when it sends the request, so secret values never enter a
snapshot, an outbox row or a log.

Templates come from definitions and payloads from contexts, so both are scanned in linear time: Ballerine's
`/{(.*?)}/g` with Python's `re` is quadratic on a run of `{` without `}` (40 KB of them took 7 s with the
GIL held), and replacing each placeholder with `str.replace` is quadratic in their number. Each placeholder
is replaced where it was found; Ballerine's `replace` substitutes the first occurrence of its text, which
differs only when an earlier substituted value itself contains that placeholder's text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from arabesque.engine.js import js_string

__all__ = ["PLACEHOLDER", "interpolate", "interpolate_top_level", "placeholders"]

PLACEHOLDER = re.compile(r"\{(.*?)\}")
_MISSING = object()


def interpolate(text: str, data: Any, encode: Callable[[str], str] | None = None) -> str:
    """Replace each `{path}` found in `text` by `String(value)` (passed through `encode` when given); an undefined
    path stays verbatim."""
    if "{" not in text:
        return text
    out: list[str] = []
    done = 0
    for start, end in placeholders(text):
        key = text[start + 1 : end - 1]
        if key.startswith("secret"):
            continue
        value = _walk(data, key)
        if value is not _MISSING:
            out.append(text[done:start])
            out.append(encode(js_string(value)) if encode is not None else js_string(value))
            done = end
    out.append(text[done:])
    return "".join(out)


def placeholders(text: str) -> list[tuple[int, int]]:
    """The spans of what `/{(.*?)}/g` finds in `text` (`.` stops at a newline), in linear time."""
    spans: list[tuple[int, int]] = []
    pos, close = 0, -1
    while True:
        start = text.find("{", pos)
        if start == -1:
            break
        if close <= start:
            close = text.find("}", start + 1)
            if close == -1:
                break
        newline = text.find("\n", start + 1, close)
        if newline != -1:  # no placeholder starts before this newline: its `}` is beyond it
            pos = newline + 1
            continue
        spans.append((start, close + 1))
        pos = close + 1
    return spans


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
