"""Render an `EmailCall`: its template (built in, or the project's own) with its variables -> subject, HTML, text.

Built-in templates are the Jinja2 files in `email_templates/` (`invitation`, `resubmission`,
`associated-company-email`, `session`, `generic`), each with a `subject` and a `body` block. A project replaces
one by setting the project secret `EMAIL_TEMPLATE_<NAME>` (`EMAIL_TEMPLATE_INVITATION`,
`EMAIL_TEMPLATE_ASSOCIATED_COMPANY_EMAIL`...) to a template with the same two blocks. A secret, because it is
per project, already has an API (`POST /api/v1/external/secrets`), and needs no table or migration.

HTML is autoescaped (variables come from the workflow's context, i.e. from end users). A project's template is
hostile input as far as the worker is concerned, so it is held to a small, bounded subset: at most
`MAX_TEMPLATE_CHARS`, run in Jinja2's sandbox, and made only of text, `{{ expressions }}` (variables, attributes,
`~`, comparisons, `and`/`or`/`not`, a few filters) and `{% if %}` — no loops, calls, arithmetic, includes or
macros. Its work is then linear in its size and its variables' size. A template outside that subset is an error
outcome naming the problem (nothing is sent).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, Template, TemplateNotFound, TemplateSyntaxError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from arabesque.engine import EmailCall

__all__ = [
    "MAX_TEMPLATE_CHARS",
    "Rendered",
    "TemplateRefused",
    "override_secret",
    "render",
]

MAX_TEMPLATE_CHARS = 64 * 1024
_BUILT_IN = Environment(
    loader=PackageLoader("arabesque.effects", "email_templates"), autoescape=True, keep_trailing_newline=False
)
_SANDBOX = ImmutableSandboxedEnvironment(autoescape=True)
_ALLOWED_NODES = (
    nodes.Template,
    nodes.Block,
    nodes.Output,
    nodes.TemplateData,
    nodes.Name,
    nodes.Const,
    nodes.Getattr,
    nodes.Getitem,
    nodes.Filter,
    nodes.Test,
    nodes.If,
    nodes.CondExpr,
    nodes.And,
    nodes.Or,
    nodes.Not,
    nodes.Compare,
    nodes.Operand,
    nodes.Concat,
)
_ALLOWED_FILTERS = frozenset(
    {"e", "escape", "default", "d", "upper", "lower", "title", "capitalize", "trim", "urlencode", "string", "length"}
)
_LINK = re.compile(r'<a\s[^>]*href="([^"]*)"[^>]*>(.*?)</a>', re.S)
_BREAK = re.compile(r"<br\s*/?>|</p>|</li>|</h\d>", re.I)
_TAG = re.compile(r"<[^>]*>")


class TemplateRefused(Exception):
    """A project's template is not one the worker will render (too long, invalid, or outside the subset)."""


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str
    text: str


def override_secret(template: str) -> str:
    """The project secret that replaces `template`: `EMAIL_TEMPLATE_` + its name in upper case, `-` as `_`."""
    return "EMAIL_TEMPLATE_" + template.upper().replace("-", "_")


def variables(call: EmailCall, public_url: str) -> dict[str, Any]:
    """The template's variables: the call's data, and each link built on the public URL."""
    out = dict(call.data)
    base = public_url.rstrip("/")
    for name, query in call.links.items():
        # `token` first, then the rest by name: the same link whatever order the outbox's JSON kept
        pairs = sorted(query.items(), key=lambda kv: (kv[0] != "token", kv[0]))
        out[name] = f"{base}/collection-flow?{urlencode(pairs)}"
    if call.subject is not None:
        out.setdefault("subject", call.subject)
    return out


def render(call: EmailCall, public_url: str, override: str | None = None) -> Rendered:
    """Render `call` with the project's `override` source when it has one, else the built-in template."""
    template = _project_template(override) if override is not None else _built_in(call.template)
    values = variables(call, public_url)
    context = template.new_context(values)
    subject = html.unescape("".join(template.blocks["subject"](context))).strip()
    if call.subject:
        subject = call.subject  # the mapping's own subject wins (Ballerine's `email` plugin sends it)
    body = "".join(template.blocks["body"](template.new_context(values))).strip()
    language = html.escape(str(values.get("language") or "en"))
    page = f'<!doctype html>\n<html lang="{language}"><body>\n{body}\n</body></html>\n'
    return Rendered(" ".join(subject.split()), page, _text_of(body))


def _built_in(name: str) -> Template:
    try:
        template = _BUILT_IN.get_template(f"{name}.html")
    except TemplateNotFound:
        raise TemplateRefused(f"no template {name!r}") from None
    _check_blocks(template)
    return template


def _project_template(source: str) -> Template:
    if len(source) > MAX_TEMPLATE_CHARS:
        raise TemplateRefused(f"the project's template is over {MAX_TEMPLATE_CHARS} characters")
    try:
        tree = _SANDBOX.parse(source)
    except TemplateSyntaxError as exc:
        raise TemplateRefused(f"the project's template is invalid: line {exc.lineno}: {exc.message}") from None
    _check_subset(tree)
    template = _SANDBOX.from_string(tree)
    _check_blocks(template)
    return template


def _check_subset(node: nodes.Node) -> None:
    if not isinstance(node, _ALLOWED_NODES):
        raise TemplateRefused(
            f"the project's template uses {type(node).__name__} (line {node.lineno}); only text, "
            "{{ expressions }} and {% if %} are allowed"
        )
    if isinstance(node, nodes.Filter) and node.name not in _ALLOWED_FILTERS:
        raise TemplateRefused(f"the project's template uses the filter {node.name!r} (line {node.lineno})")
    for child in node.iter_child_nodes():
        _check_subset(child)


def _check_blocks(template: Template) -> None:
    missing = [b for b in ("subject", "body") if b not in template.blocks]
    if missing:
        raise TemplateRefused(f"the template has no {' or '.join(missing)} block")


def _text_of(body: str) -> str:
    """The plain-text part: links as `label: address`, paragraphs as lines, tags dropped, entities decoded."""
    text = _LINK.sub(lambda m: f"{m.group(2)}: {m.group(1)}", body)
    text = _BREAK.sub("\n", text)
    text = html.unescape(_TAG.sub("", text))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n\n".join(line for line in lines if line) + "\n"
