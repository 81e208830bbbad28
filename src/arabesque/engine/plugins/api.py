"""HTTP plugins (`extensions.apiPlugins`): build the request, read the response, persist, call back.

The request is built in the step that enters the plugin's state and leaves the engine as an `HttpCall`
effect; the host performs it and hands the result back through `apply_outcome`, which reads the
response here. Nothing in this module does I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from arabesque.engine import schema
from arabesque.engine.budget import BudgetExceeded, Meter
from arabesque.engine.js import js_spread, js_string, js_truthy, json_stringify
from arabesque.engine.merge import merge_to_context
from arabesque.engine.plugins.base import (
    PluginError,
    Problems,
    StepScope,
    TransformChain,
    invocation_context,
    state_names_of,
)
from arabesque.engine.plugins.placeholders import interpolate, interpolate_top_level
from arabesque.engine.plugins.vendors import VENDOR_KINDS, vendor_plugin
from arabesque.engine.types import HttpCall, HttpOutcome, HttpRequest

__all__ = ["HTTP_KINDS", "ApiPlugin", "compile_api_plugin"]

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
DEFAULT_HEADERS = {"Content-Type": "application/json", "accept": "application/json"}
# Kinds whose request Ballerine builds from a vendor factory inside its own service: the vendor kinds are built
# from the project's unified-API secrets (`vendors.py`), e-mail kinds are e-mail effects (`email.py`); this one
# needs a `url` of its own.
UNBUILT_KINDS = frozenset({"mastercard-merchant-screening"})
HTTP_KINDS = frozenset({"api", "kyb", "email", "webhook", "kyc", "template-email"}) | VENDOR_KINDS | UNBUILT_KINDS
TRANSFORMERS = frozenset({"jmespath", "helper", "json-logic"})
_COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True)
class ApiPlugin:
    name: str
    kind: str
    state_names: tuple[str, ...]
    method: str
    url: str
    url_options: dict[str, Any] | None
    headers: dict[str, str]
    request_transform: TransformChain | None
    request_schema: dict[str, Any] | None
    response_transform: TransformChain | None
    response_schema: dict[str, Any] | None
    success_action: str | None
    error_action: str | None
    persist_to: str | None
    path: str = ""  # where the definition holds it, for errors
    # Vendor kinds built here: each context value in the URL is one path segment, percent-encoded, so a
    # registration number such as `12/3?x=` cannot change the path (Ballerine inserts it as it is).
    quote_url_values: bool = False

    @property
    def awaits_outcome(self) -> bool:
        """Only a plugin with both callbacks persists its result; any other is fire-and-forget."""
        return bool(self.success_action and self.error_action)

    @property
    def output_path(self) -> str:
        return f"pluginsOutput.{self.name}"

    def run(self, scope: StepScope) -> None:
        try:
            request = self.build_request(invocation_context(scope), scope.env.now_ms, scope.meter)
        except PluginError as exc:
            callback = self.record_error(scope, str(exc))
            if callback:
                scope.send(callback)
            return
        scope.emit(HttpCall(scope.new_effect_id(), self.name, request, self.awaits_outcome))

    def build_request(self, data: dict[str, Any], now_ms: int, meter: Meter) -> HttpRequest:
        if self.request_transform is None:
            raise PluginError("No transformers were provided")
        payload = self.request_transform.apply(data, now_ms, meter)
        if self.request_schema is not None:
            try:
                problem = schema.validate(self.request_schema, payload, meter)
            except BudgetExceeded as exc:
                raise exc.at(f"{self.path}.request.schema") from None
            if problem:
                raise PluginError(problem)
        url = self.url
        for key, value in (self.url_options or {}).items():
            url = url.replace("{" + key + "}", js_string(value))
        url = interpolate(url, data, _segment if self.quote_url_values else None)
        headers = {k: interpolate(v, data) for k, v in {**DEFAULT_HEADERS, **self.headers}.items()}
        if self.kind == "kyb":
            url, payload = _kyb_request(url, payload)
        if not js_truthy(payload):
            return HttpRequest(self.method, url, headers, hmac_secret=self._hmac_secret)
        payload = interpolate_top_level(payload)
        if self.method == "GET":
            items = payload.items() if isinstance(payload, dict) else ()
            return HttpRequest(
                self.method,
                url,
                headers,
                query=tuple((k, js_string(v)) for k, v in items),
                hmac_secret=self._hmac_secret,
            )
        return HttpRequest(self.method, url, headers, body=payload, has_body=True, hmac_secret=self._hmac_secret)

    @property
    def _hmac_secret(self) -> str | None:
        return "webhookSharedSecret" if self.kind == "webhook" else None

    def record_outcome(self, scope: StepScope, outcome: HttpOutcome) -> str | None:
        """Persist the result of the call; return the callback event to send, if any.

        A response whose handling goes over the evaluation budget is the plugin's error (errorAction):
        the effect it answers is settled either way."""
        try:
            body = self.read_response(outcome, scope.env.now_ms, scope.meter)
        except (PluginError, BudgetExceeded) as exc:
            return self.record_error(scope, str(exc))
        if not self.awaits_outcome:
            return None
        scope.context = merge_to_context(scope.context, js_spread(body), self.persist_to or self.output_path)
        return self.success_action

    def read_response(self, outcome: HttpOutcome, now_ms: int, meter: Meter) -> Any:
        if outcome.error is not None or outcome.status is None:
            raise PluginError(outcome.error or "no response")
        if outcome.status in (202, 204):
            body: Any = {"statusCode": outcome.status}  # the real body is not read
        elif not outcome.body_is_json:
            raise PluginError(f"Unexpected end of JSON input (HTTP {outcome.status}: the response is not JSON)")
        elif not 200 <= outcome.status < 300:
            raise PluginError(f"Request Failed: {outcome.status_text} Error: {json_stringify(outcome.body)}")
        else:
            body = meter.begin().check(outcome.body)  # persisted as it is when no transform reshapes it
        if self.response_transform is not None:
            body = self.response_transform.apply(body, now_ms, meter)
            if self.response_schema is not None:
                try:
                    problem = schema.validate(self.response_schema, body, meter)
                except BudgetExceeded as exc:
                    raise exc.at(f"{self.path}.response.schema") from None
                if problem:
                    raise PluginError(problem)
        return body

    def record_error(self, scope: StepScope, message: str) -> str | None:
        """Persist `{name, error, status: "ERROR"}` and return errorAction; fire-and-forget drops it."""
        if not self.awaits_outcome:
            return None
        record = {"name": self.name, "error": message, "status": "ERROR"}
        scope.context = merge_to_context(scope.context, record, self.output_path)
        return self.error_action


def _segment(value: str) -> str:
    """A path segment that stays one: `/`, `?`, `#`... percent-encoded, and `.` / `..` too (no dot-segment)."""
    return quote(value, safe="") if value.strip(".") else value.replace(".", "%2E")


def _kyb_request(url: str, payload: Any) -> tuple[str, Any]:
    """The `kyb` kind: `<url>/<CC or CC-ST>/<companyNumber>`, sending only `vendor`."""
    data = payload if isinstance(payload, dict) else {}
    country = data.get("countryOfIncorporation")
    if not isinstance(country, str) or not _COUNTRY_CODE.match(country):
        raise PluginError("Invalid countryOfIncorporation for KYB process (expected an ISO 3166 alpha-2 code)")
    jurisdiction = f"{country}-{data['state']}" if data.get("state") else country
    return f"{url}/{jurisdiction}/{js_string(data.get('companyNumber'))}", {
        "vendor": data.get("vendor", "open-corporates")
    }


def compile_api_plugin(raw: dict[str, Any], path: str, problems: Problems) -> ApiPlugin | None:
    kind = str(raw.get("pluginKind") or "api")
    built = kind in VENDOR_KINDS and not raw.get("url")
    if built:
        raw, problem = vendor_plugin(raw)
        if problem is not None:
            where, message = problem.split(": ", 1)
            problems.error(f"{path}.{where}", message)
            return None
    url, url_options = raw.get("url"), None
    if isinstance(url, dict):
        url_options = url.get("options")
        url = url.get("url")
        if url_options is not None and not isinstance(url_options, dict):
            problems.error(f"{path}.url.options", "Url options should be an object")
            url_options = None
    if not isinstance(url, str) or not url:
        hint = f" (the {kind} vendor plugin of Ballerine's service is not built in)" if kind in UNBUILT_KINDS else ""
        problems.error(f"{path}.url", f"URL is required{hint}")
    method = str(raw.get("method") or ("POST" if kind == "webhook" else "GET")).upper()
    if method not in METHODS:
        problems.error(f"{path}.method", f"must be one of {', '.join(METHODS)}")
    headers = raw.get("headers") or {}
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        problems.error(f"{path}.headers", "must be an object of string values")
        headers = {}
    request, response = raw.get("request"), raw.get("response")
    request_transform = _transform(request, f"{path}.request", problems)
    response_transform = _transform(response, f"{path}.response", problems)
    request_schema = _schema(request, f"{path}.request.schema", problems)
    response_schema = _schema(response, f"{path}.response.schema", problems)
    persist_to = raw.get("persistResponseDestination")
    if persist_to is not None and not isinstance(persist_to, str):
        problems.error(f"{path}.persistResponseDestination", "must be a dot path string")
        persist_to = None
    if not isinstance(url, str):
        return None
    return ApiPlugin(
        name=str(raw.get("name")),
        kind=kind,
        state_names=state_names_of(raw),
        method=method,
        url=url,
        url_options=url_options,
        headers=dict(headers),
        request_transform=request_transform,
        request_schema=request_schema,
        response_transform=response_transform,
        response_schema=response_schema,
        success_action=raw.get("successAction") or None,
        error_action=raw.get("errorAction") or None,
        persist_to=persist_to,
        path=path,
        quote_url_values=built,
    )


def _transform(section: Any, path: str, problems: Problems) -> TransformChain | None:
    # Ballerine documents `transform` as one object but only runs arrays; we run both forms.
    if not isinstance(section, dict) or section.get("transform") is None:
        return None
    return TransformChain.compile(section["transform"], f"{path}.transform", problems, TRANSFORMERS)


def _schema(section: Any, path: str, problems: Problems) -> dict[str, Any] | None:
    if not isinstance(section, dict) or section.get("schema") is None:
        return None
    value = section["schema"]
    problem = schema.check_schema(value) if isinstance(value, dict) else "must be a JSON schema object"
    if problem:
        problems.error(path, problem)
        return None
    return value if isinstance(value, dict) else None
