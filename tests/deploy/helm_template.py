"""Render the Helm chart without Helm: the small subset of Go templates the chart is written in.

Helm is not installable on the machines the tests run on (its binary comes from GitHub, not a package registry),
so the chart keeps to what this renderer knows, and anything else fails the render with the construct named:

- `{{ .Values.a.b }}`, `{{ .Release.Name }}`, `{{ .Release.Namespace }}`, `{{ .Chart.Name }}` / `Version` /
  `AppVersion`; string and integer literals; `.` (the root, for `include`);
- `{{ if X }}` / `{{ else }}` / `{{ end }}`, with Go's truthiness and `not X`;
- `{{ define "name" }}` … `{{ end }}` and `{{ include "name" . }}`;
- the functions `toYaml`, `quote`, `nindent N`, `indent N`, in a pipeline (`X | f a` is `f a X`);
- `{{-` and `-}}` trim the white space before and after an action, as in Go.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

__all__ = ["TemplateError", "render_chart"]

_ACTION = re.compile(r"\{\{(-?)\s*(.*?)\s*(-?)\}\}", re.S)


class TemplateError(ValueError):
    """The chart uses something this renderer does not know, or names a value that does not exist."""


@dataclass
class _Node:
    kind: str  # text | output | if | define
    text: str = ""
    body: list[_Node] = field(default_factory=list)
    orelse: list[_Node] = field(default_factory=list)


def _tokens(source: str) -> list[tuple[str, str]]:
    """("text", …) and ("action", …) in order, with `{{-` / `-}}` white space already trimmed."""
    out: list[tuple[str, str]] = []
    pos, trim_next = 0, False
    for match in _ACTION.finditer(source):
        text = source[pos : match.start()]
        if trim_next:
            text = text.lstrip()
        if match.group(1):
            text = text.rstrip()
        out.append(("text", text))
        out.append(("action", match.group(2)))
        pos, trim_next = match.end(), bool(match.group(3))
    tail = source[pos:]
    out.append(("text", tail.lstrip() if trim_next else tail))
    return out


def _parse(tokens: list[tuple[str, str]], defines: dict[str, list[_Node]]) -> list[_Node]:
    root: list[_Node] = []
    stack: list[tuple[_Node | None, list[_Node]]] = [(None, root)]
    for kind, value in tokens:
        target = stack[-1][1]
        if kind == "text":
            if value:
                target.append(_Node("text", value))
            continue
        word = value.split(None, 1)[0] if value else ""
        rest = value[len(word) :].strip()
        if word == "if":
            node = _Node("if", rest)
            target.append(node)
            stack.append((node, node.body))
        elif word == "else":
            node_or_none = stack[-1][0]
            if node_or_none is None or node_or_none.kind != "if":
                raise TemplateError("`else` outside an `if`")
            stack[-1] = (node_or_none, node_or_none.orelse)
        elif word == "define":
            node = _Node("define", json.loads(rest))
            stack.append((node, node.body))
        elif word == "end":
            if len(stack) == 1:
                raise TemplateError("`end` without an opening action")
            node_or_none, _ = stack.pop()
            if node_or_none is not None and node_or_none.kind == "define":
                defines[node_or_none.text] = node_or_none.body
        else:
            target.append(_Node("output", value))
    if len(stack) != 1:
        raise TemplateError("an `if` or `define` is not closed")
    return root


@dataclass
class _Scope:
    root: dict[str, Any]
    defines: dict[str, list[_Node]]


def _lookup(scope: _Scope, ref: str) -> Any:
    """A missing key is nil, as in Go; going through nil is an error, as in Helm ("nil pointer evaluating")."""
    if ref == ".":
        return scope.root
    value: Any = scope.root
    for part in ref.lstrip(".").split("."):
        if not isinstance(value, dict):
            raise TemplateError(f"nil pointer evaluating {ref}")
        value = value.get(part)
    return value


def _term(scope: _Scope, word: str) -> Any:
    if word.startswith("."):
        return _lookup(scope, word)
    if word.startswith('"'):
        return json.loads(word)
    if re.fullmatch(r"-?\d+", word):
        return int(word)
    raise TemplateError(f"unknown term {word!r}")


def _truthy(value: Any) -> bool:
    return value not in (None, False, 0, "") and not (isinstance(value, dict | list) and not value)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise TemplateError(f"cannot print {type(value).__name__} without toYaml")


def _call(scope: _Scope, name: str, args: list[Any]) -> Any:
    if name == "toYaml" and len(args) == 1:
        return "" if args[0] in (None, {}, []) else yaml.safe_dump(args[0], sort_keys=False).rstrip("\n")
    if name == "quote" and len(args) == 1:
        return json.dumps(_text(args[0]))
    if name in ("nindent", "indent") and len(args) == 2:
        pad = " " * int(args[0])
        lines = "\n".join(pad + line if line else line for line in _text(args[1]).split("\n"))
        return "\n" + lines if name == "nindent" else lines
    if name == "not" and len(args) == 1:
        return not _truthy(args[0])
    if name == "include" and len(args) == 2:
        if args[0] not in scope.defines:
            raise TemplateError(f"include of an undefined template {args[0]!r}")
        return _render(scope.defines[args[0]], _Scope(args[1], scope.defines))
    raise TemplateError(f"unknown function {name!r} with {len(args)} argument(s)")


def _pipeline(scope: _Scope, source: str) -> Any:
    value: Any = None
    for i, command in enumerate(part.strip() for part in source.split("|")):
        words = shlex.split(command, posix=False)
        if i == 0 and len(words) == 1:
            value = _term(scope, words[0])
            continue
        args = [_term(scope, w) for w in words[1:]]
        value = _call(scope, words[0], args if i == 0 else [*args, value])
    return value


def _render(nodes: list[_Node], scope: _Scope) -> str:
    out: list[str] = []
    for node in nodes:
        if node.kind == "text":
            out.append(node.text)
        elif node.kind == "output":
            out.append(_text(_pipeline(scope, node.text)))
        elif node.kind == "if":
            out.append(_render(node.body if _truthy(_pipeline(scope, node.text)) else node.orelse, scope))
    return "".join(out)


def _merged(defaults: Any, given: Any) -> Any:
    """`given` over `defaults`, maps merged key by key at every depth (as Helm merges `--values` files)."""
    if isinstance(defaults, dict) and isinstance(given, dict):
        return {**defaults, **{k: _merged(defaults.get(k), v) for k, v in given.items()}}
    return given


def render_chart(chart: Path, release: str = "arabesque", namespace: str = "default", values: Any = None) -> list[Any]:
    """Every manifest the chart renders (parsed YAML documents, empty ones left out), with `values` merged over
    the chart's values.yaml."""
    meta = yaml.safe_load((chart / "Chart.yaml").read_text())
    chart_values = yaml.safe_load((chart / "values.yaml").read_text())
    root = {
        "Values": _merged(chart_values, values or {}),
        "Release": {"Name": release, "Namespace": namespace},
        "Chart": {"Name": meta["name"], "Version": meta["version"], "AppVersion": meta["appVersion"]},
    }
    defines: dict[str, list[_Node]] = {}
    templates = sorted((chart / "templates").iterdir())
    parsed = {path.name: _parse(_tokens(path.read_text()), defines) for path in templates}
    documents = []
    for name, nodes in parsed.items():
        if name.startswith("_"):
            continue
        try:
            text = _render(nodes, _Scope(root, defines))
        except TemplateError as exc:
            raise TemplateError(f"{name}: {exc}") from None
        documents.extend(doc for doc in yaml.safe_load_all(text) if doc)
    return documents
