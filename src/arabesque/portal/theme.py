"""The UI definition's theme (reference §4.2) as CSS custom properties for one `<style>` block.

Palette entries become `--<name>` and `--<name>-foreground`; `elements` is flattened with `-`. The values were
checked on upload (`engine.ui_definition`); they are checked again here, because a stored definition may predate
the check and a value that could close the declaration must never reach the page.
"""

from __future__ import annotations

import re
from typing import Any, Final

__all__ = ["logo_of", "theme_css"]

_SAFE_VALUE: Final = re.compile(r"[#%(),.\-\w\s/]{1,100}")
_SAFE_NAME: Final = re.compile(r"[A-Za-z0-9-]{1,60}")
# An http(s) URL, an absolute path, or an image as a data URL (an <img> runs no script, even an SVG one).
_LOGO: Final = re.compile(r"(https://|http://|/|data:image/(png|jpeg|gif|webp|svg\+xml)[;,])[^\s\"'<>()\\]{1,20000}")


def _flatten(prefix: str, node: Any, out: dict[str, str], depth: int = 0) -> None:
    if depth > 8:
        return
    if isinstance(node, dict):
        for key, value in node.items():
            _flatten(f"{prefix}-{key}" if prefix else str(key), value, out, depth + 1)
    elif isinstance(node, str):
        out[prefix] = node


def theme_css(theme: Any) -> str:
    """`:root { --primary: ...; }` for the theme, only safe names and values; empty without a theme."""
    if not isinstance(theme, dict):
        return ""
    variables: dict[str, str] = {}
    palette = theme.get("palette")
    for name, entry in palette.items() if isinstance(palette, dict) else []:
        if isinstance(entry, dict):
            if isinstance(entry.get("color"), str):
                variables[str(name)] = entry["color"]
            if isinstance(entry.get("foreground"), str):
                variables[f"{name}-foreground"] = entry["foreground"]
    _flatten("", theme.get("elements"), variables)
    lines = [
        f"--{name}: {value};"
        for name, value in variables.items()
        if _SAFE_NAME.fullmatch(name) and _SAFE_VALUE.fullmatch(value)
    ]
    return ":root { " + " ".join(lines) + " }" if lines else ""


def logo_of(theme: Any, customer_logo: Any) -> str | None:
    """The theme's logo, else the customer's, when it is an http(s) URL or an absolute path."""
    for candidate in (theme.get("logo") if isinstance(theme, dict) else None, customer_logo):
        if isinstance(candidate, str) and _LOGO.fullmatch(candidate):
            return candidate
    return None
