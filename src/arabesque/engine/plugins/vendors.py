"""Ballerine's vendor kinds (`registry-information`, `company-sanctions`, `ubo`, `individual-sanctions`,
`merchant-monitoring`, `kyc-session`): the request its service builds for them (engine.md §3.4).

Ballerine reads the vendor gateway from its environment (`{secret.UNIFIED_API_URL}`); Arabesque reads it from the
project's secrets, `UNIFIED_API_URL` and `UNIFIED_API_TOKEN` (the ones the business-information route uses), so
each tenant has its own. They stay `{secrets.NAME}` placeholders here: the executor resolves them at send time, and
a project without them gets the plugin's error outcome (`{name, error, status: "ERROR"}` and `errorAction`) saying
which secret to set. A plugin with its own `url` is an ordinary HTTP plugin and none of this applies.

The callback URL of the asynchronous kinds is `{secret.APP_API_URL}/api/v1/external/workflows/<id>/hook/<event>`,
as in Ballerine (the environment variable `APP_API_URL`, resolved at send time).
"""

from __future__ import annotations

from typing import Any

__all__ = ["VENDORS", "VENDOR_KINDS", "vendor_plugin"]

BASE = "{secrets.UNIFIED_API_URL}"
AUTHORIZATION = "Bearer {secrets.UNIFIED_API_TOKEN}"
VENDORS: dict[str, tuple[str, ...]] = {
    "registry-information": ("asia-verify", "kyckr"),
    "company-sanctions": ("asia-verify",),
    "ubo": ("asia-verify", "kyckr"),
    "individual-sanctions": ("dow-jones", "comply-advantage"),
    "merchant-monitoring": ("ballerine",),
    "kyc-session": ("veriff",),
}
VENDOR_KINDS = frozenset(VENDORS)
_LOOKUPS = {  # GET <UNIFIED_API_URL><path>?vendor=...
    "registry-information": "/companies-v2/<country>/{entity.data.registrationNumber}",
    "company-sanctions": "/companies/<country>/{entity.data.companyName}/sanctions",
    "ubo": "/companies/<country>/{entity.data.registrationNumber}/ubo",
}
_OUTPUT = {
    "registry-information": "businessInformation",
    "company-sanctions": "companySanctions",
    "ubo": "ubo",
    "merchant-monitoring": "merchantMonitoring",
    "kyc-session": "kyc_session",
}


def _literal(value: str) -> str:
    """A jmespath raw-string literal of `value`, whatever it holds."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _jmespath(mapping: str) -> dict[str, Any]:
    return {"transform": [{"transformer": "jmespath", "mapping": mapping}]}


def _callback(event: str, destination: str, process: str) -> str:
    """The `callbackUrl` entry of a request mapping: where the vendor reports back (the signed hook route)."""
    return (
        "callbackUrl: join('', ['{secret.APP_API_URL}/api/v1/external/workflows/', workflowRuntimeId, "
        f"{_literal(f'/hook/{event}?resultDestination={destination}&processName={process}')}])"
    )


def vendor_plugin(raw: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """`raw` with the vendor factory's request in place of what it lacks; or the error (path suffix, message).

    Returns `(entry, None)`, or `(raw, "vendor: <message>")` when the entry cannot be built."""
    kind = str(raw.get("pluginKind"))
    vendor = raw.get("vendor")
    if not isinstance(vendor, str) or not vendor:
        return raw, f"vendor: Missed vendor for: {kind}"
    if vendor not in VENDORS[kind]:
        return raw, f"vendor: unknown vendor {vendor!r} for {kind}; one of {', '.join(VENDORS[kind])}"
    name = str(raw.get("name"))
    country = raw["defaultCountry"] if isinstance(raw.get("defaultCountry"), str) else "{entity.data.country}"
    status = _literal(name)
    extra = raw.get("dataMapping")
    extra = extra.strip().rstrip(",") + ", " if isinstance(extra, str) and extra.strip() else ""
    output = _OUTPUT.get(kind)
    if kind == "individual-sanctions" and vendor == "dow-jones":
        output = "sanctionsScreening"
    done = f"merge(@, {{name: {status}, status: 'SUCCESS'}})"
    started = f"merge(@, {{name: {status}, status: 'IN_PROGRESS'}})"
    entry: dict[str, Any] = {"headers": {"Authorization": AUTHORIZATION}, "response": _jmespath(done)}
    query = _jmespath(f"{{vendor: {_literal(vendor)}}}")
    person = "firstName: entity.data.firstName, lastName: entity.data.lastName"
    head = f"{{{extra}vendor: {_literal(vendor)}"
    if kind in _LOOKUPS:
        entry.update(method="GET", url=BASE + _LOOKUPS[kind].replace("<country>", country), request=query)
    elif kind == "individual-sanctions":
        callback = _callback("AML_RESPONDED", f"pluginsOutput.{output or name}.data", "aml-unified-api")
        body = (
            f"{head}, {person}, dateOfBirth: entity.data.dateOfBirth, endUserId: entity.ballerineEntityId, {callback}}}"
        )
        entry.update(method="POST", url=f"{BASE}/aml-sessions", request=_jmespath(body), response=_jmespath(started))
    elif kind == "merchant-monitoring":
        report = raw["reportType"] if isinstance(raw.get("reportType"), str) else "MERCHANT_REPORT_T1"
        callback = _callback(
            "MERCHANT_MONITORING_RESPONDED", "pluginsOutput.merchantMonitoring.data", "website-monitoring"
        )
        body = f"{head}, reportType: {_literal(report)}, businessId: entity.ballerineEntityId, {callback}}}"
        request = _jmespath(body)
        entry.update(method="POST", url=f"{BASE}/merchants/analysis", request=request, response=_jmespath(started))
    else:  # kyc-session
        callback = _callback("KYC_HOOK_RESPONDED", "pluginsOutput.kyc_session.kyc_session_1.result", "kyc-unified-api")
        schema = {
            "type": "object",
            "required": ["firstName", "lastName", "callbackUrl", "vendor"],
            "properties": {k: {"type": "string"} for k in ("firstName", "lastName", "callbackUrl", "vendor")},
        }
        mapping = "{kyc_session_1: {vendor: 'veriff', type: 'kyc', result: {metadata: @}}}"
        entry.update(
            method="POST",
            url=f"{BASE}/individual-verification-sessions",
            request={**_jmespath(f"{head}, {person}, {callback}}}"), "schema": schema},
            response=_jmespath(mapping),
        )
    if output is not None:
        entry["persistResponseDestination"] = f"pluginsOutput.{output}"
    return {**raw, **entry}, None
