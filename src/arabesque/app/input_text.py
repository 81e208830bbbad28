"""Text the databases can store, and the path of every piece of input that is not.

PostgreSQL refuses a NUL character in `text` and in `jsonb` (`\\u0000`), and no database driver can encode a
lone UTF-16 surrogate (`\\ud800` alone in a JSON string: Python decodes it to a code point UTF-8 cannot
write). Both are refused at the edge, as a 400 naming where each one is, instead of failing deep in a
transaction. A correctly paired surrogate escape decodes to one ordinary character and is fine.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from arabesque.app.errors import InvalidInput

__all__ = ["check_fields", "json_problems", "printable", "text_problem"]

# In a Python str, a code point in D800-DFFF is always a lone surrogate: a pair decodes to one character.
_BAD = re.compile("[\x00\ud800-\udfff]")


def text_problem(text: str) -> str | None:
    """Why `text` cannot be stored, or None."""
    found = _BAD.search(text)
    if found is None:
        return None
    return "contains a NUL character" if found.group() == "\x00" else "contains an unpaired UTF-16 surrogate"


def printable(text: str) -> str:
    """`text` with each NUL and lone surrogate written as a `\\uXXXX` escape: safe to echo in an error."""
    return _BAD.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def json_problems(value: Any, path: str = "") -> list[dict[str, str]]:
    """Every string (object key or value, at any depth) in a parsed JSON value that cannot be stored, with
    its dotted path (`context.entity.data.name`, `documents.0.id`); `path` prefixes them."""
    problems: list[dict[str, str]] = []
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:  # iterative: a deeply nested body must not exhaust the recursion limit
        where, item = stack.pop()
        if isinstance(item, str):
            reason = text_problem(item)
            if reason:
                problems.append({"path": where or "body", "message": reason})
        elif isinstance(item, dict):
            for key, child in item.items():
                key_path = _join(where, printable(key))
                reason = text_problem(key)
                if reason:
                    problems.append({"path": key_path, "message": f"the key {reason}"})
                stack.append((key_path, child))
        elif isinstance(item, list):
            stack.extend((_join(where, str(i)), child) for i, child in enumerate(item))
    problems.sort(key=lambda p: p["path"])
    return problems


def check_fields(fields: Iterable[tuple[str, str]], prefix: str = "") -> None:
    """Raise InvalidInput naming every field (name or value) that cannot be stored: form and multipart fields."""
    problems: list[dict[str, str]] = []
    for name, value in fields:
        path = _join(prefix, printable(name))
        reason = text_problem(name) or text_problem(value)
        if reason:
            problems.append({"path": path, "message": reason})
    if problems:
        raise InvalidInput("Invalid characters in the input", problems)


def _join(parent: str, child: str) -> str:
    return f"{parent}.{child}" if parent else child
