"""Context paths (`valueDestination`): parsing, reading and writing, and `{INDEX}` resolution.

A path is dotted names with bracketed indexes: `entity.data.additionalInfo.ubos[{INDEX}].firstName`,
`documents[0].pages[0].ballerineFileId`. Parsing is strict so that a path cannot leave the context: no
prototype names, no empty segments, a bounded length, and none of the keys the server owns (a form field
must not forge plugin output, tokens or progress).
"""

from __future__ import annotations

import itertools
import re
from typing import Any, Final

__all__ = [
    "INDEX",
    "PathError",
    "Segment",
    "delete_path",
    "format_path",
    "get_path",
    "parse_path",
    "resolve_index",
    "set_path",
]

INDEX: Final = "{INDEX}"
MAX_PATH_LENGTH: Final = 300
MAX_SEGMENTS: Final = 24
MAX_ARRAY_INDEX: Final = 999  # an array form holds at most this many items; a bigger index is hostile

# Keys whose content the server writes, never a form: plugin results, token/URL metadata, the progress
# the portal itself keeps, child workflows.
SERVER_OWNED: Final = frozenset({"metadata", "pluginsOutput", "childWorkflows", "flowConfig", "workflowRuntimeId"})
_FORBIDDEN_NAMES: Final = frozenset({"__proto__", "prototype", "constructor"})
_NAME: Final = re.compile(r"[A-Za-z_$][A-Za-z0-9_$\-]*")
_SEGMENT: Final = re.compile(r"([A-Za-z_$][A-Za-z0-9_$\-]*)((?:\[(?:\d+|\{INDEX\})\])*)")
_BRACKET: Final = re.compile(r"\[(\d+|\{INDEX\})\]")

Segment = str | int  # a key, an array index, or INDEX (a placeholder resolved per array item)


class PathError(ValueError):
    """A path that does not parse or points outside what a form may write."""


def parse_path(path: object, *, allow_index: bool = True, allow_server_owned: bool = False) -> list[Segment]:
    """The segments of `path`; raises PathError saying why it is refused."""
    if not isinstance(path, str) or not path:
        raise PathError("must be a non-empty string")
    if len(path) > MAX_PATH_LENGTH:
        raise PathError(f"is longer than {MAX_PATH_LENGTH} characters")
    segments: list[Segment] = []
    for part in path.split("."):
        match = _SEGMENT.fullmatch(part)
        if match is None:
            raise PathError(f"segment {part!r} is not a name followed by [n] or [{INDEX}] indexes")
        name, brackets = match.group(1), match.group(2)
        if name in _FORBIDDEN_NAMES:
            raise PathError(f"segment {name!r} is not allowed")
        segments.append(name)
        for index in _BRACKET.findall(brackets):
            if index == INDEX:
                if not allow_index:
                    raise PathError(f"{INDEX} is only allowed inside an array form")
                segments.append(INDEX)
            elif int(index) > MAX_ARRAY_INDEX:
                raise PathError(f"index {index} is larger than {MAX_ARRAY_INDEX}")
            else:
                segments.append(int(index))
    if len(segments) > MAX_SEGMENTS:
        raise PathError(f"has more than {MAX_SEGMENTS} segments")
    if not allow_server_owned and segments[0] in SERVER_OWNED:
        raise PathError(f"writes into context.{segments[0]}, which the server keeps")
    return segments


def format_path(segments: list[Segment]) -> str:
    """The dotted form of `segments` (`a.b[0].c`)."""
    out = ""
    for seg in segments:
        if isinstance(seg, int):
            out += f"[{seg}]"
        elif seg == INDEX:
            out += f"[{INDEX}]"
        else:
            out += f".{seg}" if out else seg
    return out


def resolve_index(path: str, index: int) -> str:
    """`path` with its first `{INDEX}` replaced by `index` (as Ballerine does: only the first)."""
    return path.replace(INDEX, str(index), 1)


def get_path(data: Any, path: str | list[Segment]) -> Any:
    """The value at `path`, or None when any part is missing."""
    segments = parse_path(path, allow_server_owned=True) if isinstance(path, str) else path
    node = data
    for seg in segments:
        if isinstance(seg, int) and isinstance(node, list):
            node = node[seg] if seg < len(node) else None
        elif isinstance(seg, str) and isinstance(node, dict):
            node = node.get(seg)
        else:
            return None
        if node is None:
            return None
    return node


def set_path(data: dict[str, Any], path: str | list[Segment], value: Any) -> None:
    """Write `value` at `path` in place, creating objects and arrays on the way (lodash `set`)."""
    segments = parse_path(path, allow_server_owned=True) if isinstance(path, str) else path
    if INDEX in segments:
        raise PathError(f"unresolved {INDEX} in {format_path(segments)}")
    node: Any = data
    for seg, nxt in itertools.pairwise(segments):
        child = _child(node, seg)
        if not isinstance(child, dict | list) or (isinstance(nxt, int) and not isinstance(child, list)):
            child = [] if isinstance(nxt, int) else {}
            _put(node, seg, child)
        node = child
    _put(node, segments[-1], value)


def delete_path(data: dict[str, Any], path: str | list[Segment]) -> None:
    """Remove the key at `path` if it is there (an array item is set to None, keeping the indexes)."""
    segments = parse_path(path, allow_server_owned=True) if isinstance(path, str) else path
    parent = get_path(data, segments[:-1]) if len(segments) > 1 else data
    last = segments[-1]
    if isinstance(parent, dict) and isinstance(last, str):
        parent.pop(last, None)
    elif isinstance(parent, list) and isinstance(last, int) and last < len(parent):
        parent[last] = None


def _child(node: Any, seg: Segment) -> Any:
    if isinstance(node, dict) and isinstance(seg, str):
        return node.get(seg)
    if isinstance(node, list) and isinstance(seg, int):
        return node[seg] if seg < len(node) else None
    return None


def _put(node: Any, seg: Segment, value: Any) -> None:
    if isinstance(node, dict) and isinstance(seg, str):
        node[seg] = value
    elif isinstance(node, list) and isinstance(seg, int):
        while len(node) <= seg:
            node.append(None)
        node[seg] = value
    else:
        raise PathError(f"cannot write {seg!r} into a {type(node).__name__}")


def is_name(text: str) -> bool:
    return _NAME.fullmatch(text) is not None
