"""The KYB review views of the case page (Ballerine's back office, §5.4 to 5.8), from a case's plain data: the
case overview (risk, checks done, child outcomes), Company information, Associated companies, the UBO rows
(each owner's child-case decision and screening hits on the same row), KYC (vendor decisions, images), and
plugin outputs as nested tables. Pure: no I/O.

Nested data is rendered as a tree of nodes (`nested`): a scalar, a key/value table, a table of records, or a
list; bounded in depth (`MAX_DEPTH`), in rows per table (`MAX_ROWS`) and in nodes per case (`MAX_NODES`), so a
hostile context costs bounded work and page size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from arabesque.app.cases.get_case import Case, ChildCase

__all__ = ["MAX_DEPTH", "MAX_NODES", "MAX_ROWS", "case_overview", "kyc_entries", "nested", "review_blocks", "ubo_rows"]

MAX_DEPTH = 5
MAX_ROWS = 50
MAX_NODES = 3000
MAX_TEXT = 500
RISK_LEVELS = ("low", "medium", "high", "critical")
_APPROVED = ("approved", "completed")
_REJECTED = ("rejected", "declined", "failed")


def humanize(key: str) -> str:
    """A context key as a label: `companyName` → "Company Name", `ubo_list` → "Ubo list"."""
    out = []
    for i, ch in enumerate(key.replace("_", " ")):
        if ch.isupper() and i and key[i - 1].islower():
            out.append(" ")
        out.append(ch)
    text = "".join(out).strip()
    return text[:1].upper() + text[1:]


@dataclass
class _Budget:
    left: int = MAX_NODES

    def take(self) -> None:
        self.left -= 1


def _text(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    text = str(value)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "…"


def nested(value: Any, budget: _Budget | None = None, depth: int = 0) -> dict[str, Any]:
    """A JSON value as a tree the template draws as nested tables (`case/_nested.html`). Once the budget is
    spent, the remaining entries of each open table are counted as hidden, not visited."""
    budget = budget or _Budget()
    budget.take()
    if isinstance(value, dict):
        items = [(k, v) for k, v in value.items() if not str(k).startswith("__")]
        if depth >= MAX_DEPTH:
            return {"kind": "more", "text": f"{len(items)} more fields"}
        rows = []
        for k, v in items[:MAX_ROWS]:
            if budget.left <= 0:
                break
            rows.append((humanize(str(k)), nested(v, budget, depth + 1)))
        return {"kind": "dict", "rows": rows, "hidden": len(items) - len(rows)}
    if isinstance(value, list):
        if depth >= MAX_DEPTH:
            return {"kind": "more", "text": f"{len(value)} more items"}
        shown = value[:MAX_ROWS]
        if shown and all(isinstance(v, dict) for v in shown):
            columns = list(dict.fromkeys(k for v in shown for k in v if not str(k).startswith("__")))[:12]
            cells = []
            for v in shown:
                if budget.left <= 0:
                    break
                cells.append([nested(v.get(c), budget, depth + 1) for c in columns])
            return {
                "kind": "table",
                "columns": [humanize(str(c)) for c in columns],
                "rows": cells,
                "hidden": len(value) - len(cells),
            }
        entries = []
        for v in shown:
            if budget.left <= 0:
                break
            entries.append(nested(v, budget, depth + 1))
        return {"kind": "list", "items": entries, "hidden": len(value) - len(entries)}
    return {"kind": "scalar", "text": _text(value)}


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _plugins(case: Case) -> list[dict[str, str]]:
    """The definition's plugins as `{name, kind}`: API plugins, common plugins, child-workflow plugins."""
    ext = _dict(case.definition.record.get("extensions"))
    out = []
    for group, default in (("apiPlugins", "api"), ("commonPlugins", "common"), ("childWorkflowPlugins", "child")):
        for p in ext.get(group) or []:
            if isinstance(p, dict) and isinstance(p.get("name"), str):
                out.append({"name": p["name"], "kind": str(p.get("pluginKind") or default)})
    return out


def _status(output: Any, effect_status: str | None) -> str:
    """A check's status: Ballerine's IDLE / IN_PROGRESS / SUCCESS / ERROR / CANCELED, or not run."""
    if effect_status in ("pending", "running"):
        return "IN_PROGRESS"
    if effect_status == "dead":
        return "ERROR"
    if isinstance(output, dict):
        if output.get("error"):
            return "ERROR"
        status = output.get("status")
        if isinstance(status, str) and status.upper() in ("IDLE", "IN_PROGRESS", "SUCCESS", "ERROR", "CANCELED"):
            return status.upper()
        return "SUCCESS"
    return "SUCCESS" if output is not None else "NOT_RUN"


def _risk(case: Case, plugins: list[dict[str, str]]) -> dict[str, Any] | None:
    """The score of the `riskRules` plugin that ran (else Ballerine's `pluginsOutput.riskEvaluation`), and its
    level: the highest level among the indicators that fired."""
    outputs = _dict(case.context.get("pluginsOutput"))
    names = [p["name"] for p in plugins if p["kind"] == "riskRules"] + ["riskEvaluation", "risk_evaluation"]
    for name in names:
        out = outputs.get(name)
        if isinstance(out, dict) and isinstance(out.get("riskScore"), int | float):
            indicators = [
                i
                for group in _dict(out.get("riskIndicatorsByDomain")).values()
                if isinstance(group, list)
                for i in group
                if isinstance(i, dict)
            ]
            levels = [str(i.get("riskLevel") or "").lower() for i in indicators]
            ranked = [lv for lv in RISK_LEVELS if lv in levels]
            return {
                "plugin": name,
                "score": out["riskScore"],
                "level": ranked[-1] if ranked else None,
                "indicators": [
                    {"name": _text(i.get("name")), "level": _text(i.get("riskLevel")), "domain": _text(i.get("domain"))}
                    for i in indicators[:20]
                ],
            }
    return None


def _outcome(child: ChildCase) -> str:
    marks = [*child.tags, child.state, child.status]
    if any(m in _REJECTED for m in marks):
        return "rejected"
    if any(m in _APPROVED for m in marks):
        return "approved"
    if "revision" in marks:
        return "revision"
    return "pending"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def case_overview(case: Case) -> dict[str, Any]:
    """The top of the case page: risk, the checks (plugins with status), the child workflows' outcomes."""
    plugins = _plugins(case)
    outputs = _dict(case.context.get("pluginsOutput"))
    last_effect: dict[str, str] = {}
    for eff in reversed(case.effects):  # newest last: the latest call of each plugin wins
        last_effect[eff.plugin] = eff.status
    checks = [
        {
            "name": p["name"],
            "label": humanize(p["name"]),
            "kind": p["kind"],
            "status": _status(outputs.get(p["name"]), last_effect.get(p["name"])),
        }
        for p in plugins
        if p["kind"] not in ("iterative", "child")
    ]
    known = {p["name"] for p in plugins}
    checks += [
        {"name": k, "label": humanize(k), "kind": "output", "status": _status(v, last_effect.get(k))}
        for k, v in outputs.items()
        if k not in known
    ]
    outcomes: dict[str, int] = {}
    for child in case.children:
        kind = _outcome(child)
        outcomes[kind] = outcomes.get(kind, 0) + 1
    n = len(case.children)
    word = "owner" if any(c.entity.get("type") == "individual" for c in case.children) else "related case"
    noun = word + ("s" if n != 1 else "")
    if not n:
        headline = ""
    elif outcomes.get("rejected"):
        headline = f"{outcomes['rejected']} of {n} {noun} rejected"
    else:
        headline = f"{outcomes.get('approved', 0)} of {n} {noun} approved"
    detail = ", ".join(f"{outcomes[k]} {k}" for k in ("approved", "rejected", "revision", "pending") if outcomes.get(k))
    return {
        "risk": _risk(case, plugins),
        "checks": checks,
        "children": {"total": n, "outcomes": outcomes, "headline": headline, "detail": detail},
    }


def _screening(ctx_aml: Any, outputs: dict[str, Any]) -> dict[str, Any] | None:
    """Screening hits of a person: Ballerine's `context.aml` (`hits`), or a plugin output with `hits`/`matches`
    (directly or under `data`). None when the person was not screened."""
    sources: list[tuple[str, Any]] = [("aml", ctx_aml), *outputs.items()]
    screened, hits, vendors = False, 0, []
    for name, out in sources:
        for candidate in (out, _dict(out).get("data")):
            if not isinstance(candidate, dict):
                continue
            found = next((candidate[k] for k in ("hits", "matches") if isinstance(candidate.get(k), list)), None)
            if found is None:
                continue
            screened = True
            hits += len(found)
            vendors.append(_text(candidate.get("vendor") or _dict(out).get("vendor") or humanize(name)))
            break
    if not screened:
        return None
    return {"hits": hits, "vendors": list(dict.fromkeys(vendors))}


def ubo_rows(case: Case, ubos: Any) -> list[dict[str, Any]]:
    """One row per UBO: the user-provided data, and the child case made for them (matched by the child's entity
    id, else by name) with its decision and screening hits."""
    by_id = {str(c.entity.get("id")): c for c in case.children if c.entity.get("id") is not None}
    by_name = {c.name.lower(): c for c in case.children}
    rows = []
    for ubo in ubos if isinstance(ubos, list) else []:
        if not isinstance(ubo, dict):
            continue
        name = f"{ubo.get('firstName') or ''} {ubo.get('lastName') or ''}".strip() or _text(ubo.get("name"))
        child = by_id.get(str(ubo.get("id"))) if ubo.get("id") is not None else None
        child = child or by_name.get(name.lower())
        screening = _screening(child.aml, child.plugins_output) if child else None
        if screening is None:
            screening = _screening(ubo.get("aml"), {})
        rows.append(
            {
                "name": name or "—",
                "email": _text(ubo.get("email")),
                "nationality": _text(ubo.get("nationality")),
                "ownership": _text(ubo.get("ownershipPercentage") or ubo.get("percentageOfOwnership")),
                "child": {
                    "id": child.id,
                    "outcome": _outcome(child),
                    "state": humanize(child.state),
                    "tags": child.tags,
                }
                if child
                else None,
                "screening": screening,
            }
        )
    return rows


def kyc_entries(case: Case, documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """KYC results: the case's own (an individual) and each individual child's: vendor, decision, images."""
    entries = []

    def entry(name: str, outputs: dict[str, Any], docs: list[dict[str, Any]], case_id: str) -> None:
        session = _dict(outputs.get("kyc_session") or outputs.get("kycSession") or outputs.get("kyc"))
        result = _dict(session.get("result")) or session
        decision = _dict(result.get("decision"))
        images = [
            {"fileId": p.get("ballerineFileId"), "title": _text(d.get("type") or d.get("category")) or "Image"}
            for d in docs
            if isinstance(d, dict)
            for p in d.get("pages") or []
            if isinstance(p, dict) and str(p.get("type") or "").startswith("image/") and p.get("ballerineFileId")
        ][:12]
        vendor = _text(session.get("vendor") or result.get("vendor"))
        status = _text(decision.get("status") if decision else result.get("decision"))
        if not (session or images):
            return
        entries.append(
            {
                "caseId": case_id,
                "name": name,
                "vendor": vendor or "—",
                "decision": status or "—",
                "riskLabels": [_text(x) for x in (decision.get("riskLabels") or [])][:20]
                if isinstance(decision.get("riskLabels"), list)
                else [],
                "images": images,
                "details": nested(session) if session else None,
            }
        )

    if case.kind == "individual":
        entry(case.entity_name or "This case", _dict(case.context.get("pluginsOutput")), documents, case.id)
    for child in case.children:
        if child.entity.get("type") == "individual":
            entry(child.name, child.plugins_output, child.documents, child.id)
    return entries


def review_blocks(case: Case, data: dict[str, Any]) -> dict[str, Any]:
    """Company information (address, registry, sanctions, bank) and associated companies, as nested tables."""
    extra = _dict(data.get("additionalInfo"))
    outputs = _dict(case.context.get("pluginsOutput"))
    budget = _Budget()
    company = []
    for title, value in (
        ("Headquarters address", extra.get("headquarters") or data.get("address")),
        (
            "Registry information",
            outputs.get("open_corporates")
            or outputs.get("businessInformation")
            or outputs.get("kyb")
            or outputs.get("registry"),
        ),
        ("Company sanctions", outputs.get("companySanctions") or outputs.get("company_sanctions")),
        ("Banking details", extra.get("bank")),
        ("Main representative", extra.get("mainRepresentative")),
    ):
        if value:
            company.append({"title": title, "tree": nested(value, budget)})
    associated_children = [c for c in case.children if c.entity.get("type") == "business"]
    associated = [
        {"name": c.name, "id": c.id, "outcome": _outcome(c), "state": humanize(c.state)} for c in associated_children
    ]
    listed = extra.get("associatedCompanies")
    return {
        "company": company,
        "associated": associated,
        "associatedListed": nested(listed, budget) if isinstance(listed, list) and listed else None,
        "plugins": [{"title": humanize(k), "name": k, "tree": nested(v, budget)} for k, v in outputs.items()],
    }
