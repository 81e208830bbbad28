"""Every problem of a UI definition, as `(path, message)`: the shape the collection flow itself relies on (pages
with a state name and a number), then the renderer's own checks (`engine/ui_definition.py`: element types, rules,
value destinations)."""

from __future__ import annotations

from arabesque.engine.ui_definition import validate_ui_definition

__all__ = ["ui_definition_problems"]


def ui_definition_problems(value: object) -> list[tuple[str, str]]:
    problems = _shape_problems(value)
    seen = set(problems)
    return problems + [p for p in validate_ui_definition(value) if p not in seen]


def _shape_problems(value: object) -> list[tuple[str, str]]:
    if not isinstance(value, dict):
        return [("", "must be an object with uiSchema.elements")]
    problems: list[tuple[str, str]] = []
    for key in ("definition", "theme", "uiOptions", "locales"):
        if value.get(key) is not None and not isinstance(value[key], dict):
            problems.append((key, "must be an object"))
    schema = value.get("uiSchema")
    elements = schema.get("elements") if isinstance(schema, dict) else None
    if not isinstance(elements, list):
        return [*problems, ("uiSchema.elements", "must be an array of pages")]
    names: dict[str, int] = {}
    for i, page in enumerate(elements):
        path = f"uiSchema.elements[{i}]"
        if not isinstance(page, dict):
            problems.append((path, "must be an object"))
            continue
        if page.get("type") != "page":
            continue  # not a step; the renderer's checks judge it
        state = page.get("stateName")
        if not isinstance(state, str) or not state:
            problems.append((f"{path}.stateName", "a page needs the state name of the browser statechart"))
        elif state in names:
            problems.append((f"{path}.stateName", f"{state!r} is already the state of page {names[state]}"))
        else:
            names[state] = i
        number = page.get("number")
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            problems.append((f"{path}.number", "must be a positive integer (the page's order)"))
    languages = value.get("locales")
    for lang, resource in languages.items() if isinstance(languages, dict) else []:
        if not isinstance(resource, dict):
            problems.append((f"locales.{lang}", "must be an object of translations"))
    return problems
