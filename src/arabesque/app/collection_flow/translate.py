"""The UI definition's texts in a language (reference §4.1, i18next's rules as the server applies them):
every string leaf that is a dotted key of the locale resources becomes its translation in the language, falling
back to English; any other leaf stays as it is; `{{name}}` placeholders are filled from the object's
`labelVariables` (context paths), and left as they are when there is no value.

Unlike Ballerine, a key naming an object is left as it is (no "returned an object instead of string" text,
reference §7.12). Pure: no I/O.
"""

from __future__ import annotations

import html
import re
from typing import Any

__all__ = ["FALLBACK_LANGUAGE", "translate_tree"]

FALLBACK_LANGUAGE = "en"
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_.]+)\s*\}\}")
_MAX_DEPTH = 100


def _lookup(resources: dict[str, Any], language: str, key: str) -> str | None:
    for lang in (language, FALLBACK_LANGUAGE):
        node: Any = resources.get(lang)
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, str):
            return node
    return None


def _get_path(context: dict[str, Any], path: str) -> Any:
    node: Any = context
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def translate_tree(value: Any, resources: dict[str, Any], language: str, context: dict[str, Any]) -> Any:
    """`value` with every string leaf translated (see the module docstring); a new tree, `value` is not changed."""
    return _walk(value, resources, language, context, {}, 0)


def _walk(
    value: Any, res: dict[str, Any], lang: str, ctx: dict[str, Any], variables: dict[str, str], depth: int
) -> Any:
    if depth > _MAX_DEPTH:
        return value
    if isinstance(value, str):
        text = _lookup(res, lang, value) if "." in value and " " not in value else None
        text = value if text is None else text
        return _fill(text, variables) if variables else text
    if isinstance(value, list):
        return [_walk(v, res, lang, ctx, {}, depth + 1) for v in value]
    if isinstance(value, dict):
        own = value.get("labelVariables")
        filled: dict[str, str] = {}
        if isinstance(own, dict):
            for name, path in own.items():
                found = _get_path(ctx, path) if isinstance(path, str) else None
                if found is not None and not isinstance(found, dict | list):
                    filled[str(name)] = html.escape(str(found))
        out: dict[str, Any] = {}
        for k, v in value.items():
            if k == "labelVariables":
                out[k] = v
            elif isinstance(v, str):
                out[k] = _walk(v, res, lang, ctx, filled, depth + 1)
            else:
                out[k] = _walk(v, res, lang, ctx, {}, depth + 1)
        return out
    return value


def _fill(text: str, variables: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: variables.get(m.group(1), m.group(0)), text)
