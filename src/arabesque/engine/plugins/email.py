"""E-mail plugins (`apiPlugins` of kind `template-email`, and `email` without a `url`): decide the message.

The step that enters the plugin's state reads the context and emits an `EmailCall` effect (recipients, template,
variables, the collection-flow links to build); the host renders and sends it, and hands the result back through
`apply_outcome` like an HTTP plugin's: `{}` at `pluginsOutput.<name>` and `successAction` when it was sent,
`{name, error, status: "ERROR"}` and `errorAction` when it was not. Nothing here does I/O.

`template-email` follows Ballerine's vendor factory (`vendor-consts.ts`, collection-flow.md §1.7): the template
fixes the variables it reads from the context, the `pluginsOutput` key, and for `resubmission` and
`associated-company-email` the states and callbacks too. One deliberate difference: Ballerine fails an
invitation without a string `config.language` (its link is a jmespath `join` that refuses null); here the link
simply has no `lng` then. A link without a token is still an error: it would open nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from typing import Any

from arabesque.engine.js import js_string
from arabesque.engine.merge import merge_to_context
from arabesque.engine.plugins.base import (
    PluginError,
    Problems,
    StepScope,
    TransformChain,
    invocation_context,
    state_names_of,
)
from arabesque.engine.types import EmailCall, HttpOutcome

__all__ = ["EMAIL_TEMPLATES", "EmailPlugin", "compile_email_plugin"]


@dataclass(frozen=True)
class _Factory:
    output_name: str
    state_names: tuple[str, ...] | None = None  # fixed by the factory (the entry's are ignored)
    actions: tuple[str, str] | None = None  # (successAction, errorAction), fixed likewise


# Ballerine's factory also names a SendGrid template of its own account for each (the invitation's is
# `d-8949519316074e03909042cfc5eb4f02`); no one else can use those, so `template_id` is sent only when the plugin
# names one.
EMAIL_TEMPLATES: dict[str, _Factory] = {
    "invitation": _Factory("invitation"),
    "resubmission": _Factory("resubmission", ("pending_resubmission",), ("EMAIL_SENT", "EMAIL_FAILURE")),
    "associated-company-email": _Factory(
        "associated_company_email", ("deliver_associated_company_email",), ("EMAIL_SENT", "EMAIL_FAILURE")
    ),
    "session": _Factory("session"),
}
GENERIC_TEMPLATE = "generic"  # what an `email` plugin's message is rendered with unless its mapping names one
MAX_RECIPIENTS = 50  # a mapping could list thousands: one e-mail is not a mailing
_ADDRESS = re.compile(r"[^@\s<>,;\"\\]+@[^@\s<>,;\"\\]+")
_REPRESENTATIVE = "entity.data.additionalInfo.mainRepresentative"


@dataclass(frozen=True)
class EmailPlugin:
    name: str
    kind: str
    template: str  # `template-email`: the template; `email`: "" (its mapping says)
    state_names: tuple[str, ...]
    output_name: str
    success_action: str | None
    error_action: str | None
    template_id: str | None = None
    from_email: str | None = None
    mapping: TransformChain | None = None  # `email`: the whole message; `template-email`: `dataMapping` extras
    path: str = ""

    @property
    def awaits_outcome(self) -> bool:
        return bool(self.success_action and self.error_action)

    @property
    def output_path(self) -> str:
        return f"pluginsOutput.{self.output_name}"

    def run(self, scope: StepScope) -> None:
        try:
            call = self.build_call(invocation_context(scope), scope)
        except PluginError as exc:
            callback = self.record_error(scope, str(exc))
            if callback:
                scope.send(callback)
            return
        scope.emit(replace(call, id=scope.new_effect_id()))  # numbered only when emitted, as HTTP calls are

    def build_call(self, data: dict[str, Any], scope: StepScope) -> EmailCall:
        """The message (its effect id still to be given); PluginError when it cannot be built."""
        extra: dict[str, Any] = {}
        if self.mapping is not None:
            mapped = self.mapping.apply(data, scope.env.now_ms, scope.meter)
            if not isinstance(mapped, dict):
                raise PluginError(f"the e-mail mapping must give an object, not {json.dumps(mapped)[:80]}")
            extra = mapped
        if self.kind == "email":
            return self._mapped_call(extra)
        variables, links, to = _template_variables(self.template, data)
        variables.update(extra)
        if not to:
            raise PluginError(f"No recipient for the {self.template} e-mail: {_recipient_path(self.template)} is empty")
        return EmailCall(
            id="",
            plugin=self.name,
            template=self.template,
            to=to,
            data=variables,
            awaits_outcome=self.awaits_outcome,
            from_email=self.from_email,
            from_name=variables.get("name") if isinstance(variables.get("name"), str) else None,
            template_id=self.template_id,  # Ballerine's default ids are templates of its own SendGrid account
            links=links,
        )

    def _mapped_call(self, message: dict[str, Any]) -> EmailCall:
        """Ballerine's `email` plugin: the mapping gives `from`, `receivers`, `templateId`, `subject`, `adapter`..."""
        sender = message.get("from")
        from_email = sender.get("email") if isinstance(sender, dict) else sender
        if isinstance(from_email, str) and from_email:
            _addresses(from_email)  # the same rules as a recipient's
        from_name = sender.get("name") if isinstance(sender, dict) else message.get("name")
        to = _addresses(message.get("receivers", message.get("to")))
        if not to:
            raise PluginError("No recipient: the e-mail mapping gives no `receivers`")
        template = message.get("template")
        template = template if isinstance(template, str) and template else GENERIC_TEMPLATE
        if template != GENERIC_TEMPLATE and template not in EMAIL_TEMPLATES:
            raise PluginError(f"Unknown e-mail template {json.dumps(template[:80])}")
        return EmailCall(
            id="",
            plugin=self.name,
            template=template,
            to=to,
            data=message,
            awaits_outcome=self.awaits_outcome,
            from_email=from_email if isinstance(from_email, str) else None,
            from_name=from_name if isinstance(from_name, str) else None,
            subject=message["subject"] if isinstance(message.get("subject"), str) else None,
            template_id=message["templateId"] if isinstance(message.get("templateId"), str) else None,
            adapter=message["adapter"] if isinstance(message.get("adapter"), str) else None,
        )

    def record_outcome(self, scope: StepScope, outcome: HttpOutcome) -> str | None:
        """Sent: `{}` at `pluginsOutput.<name>` (as Ballerine stores it) and successAction; else the error."""
        if outcome.error is not None:
            return self.record_error(scope, outcome.error)
        if not self.awaits_outcome:
            return None
        scope.context = merge_to_context(scope.context, {}, self.output_path)
        return self.success_action

    def record_error(self, scope: StepScope, message: str) -> str | None:
        if not self.awaits_outcome:
            return None
        record = {"name": self.output_name, "error": message, "status": "ERROR"}
        scope.context = merge_to_context(scope.context, record, self.output_path)
        return self.error_action


def _get(data: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _addresses(value: Any) -> tuple[str, ...]:
    """The recipients' addresses; an address that is not one (a line break, a second address) is an error."""
    items = value if isinstance(value, list) else [value]
    found = tuple(item for item in items if isinstance(item, str) and item)
    for address in found:
        if len(address) > 320 or not _ADDRESS.fullmatch(address):
            raise PluginError(f"Not an e-mail address: {json.dumps(address[:80])}")
    if len(found) > MAX_RECIPIENTS:
        raise PluginError(f"Too many recipients: {len(found)} (at most {MAX_RECIPIENTS})")
    return found


def _recipient_path(template: str) -> str:
    return "entity.data.email" if template == "session" else f"{_REPRESENTATIVE}.email"


def _collection_link(data: dict[str, Any], template: str, with_language: bool) -> dict[str, str]:
    token = _get(data, "metadata.token")
    if not isinstance(token, str) or not token:
        raise PluginError(
            f"The {template} e-mail needs a collection-flow token at metadata.token "
            "(run the workflow with config.createCollectionFlowToken)"
        )
    query = {"token": token}
    language = _get(data, "workflowRuntimeConfig.language")
    if with_language and isinstance(language, str) and language:
        query["lng"] = language
    return query


def _template_variables(
    template: str, data: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, dict[str, str]], tuple[str, ...]]:
    """The variables, links and recipients the factory of `template` reads from the invocation context."""
    representative = _get(data, _REPRESENTATIVE)
    representative = representative if isinstance(representative, dict) else {}
    customer = _text(_get(data, "metadata.customerName"))
    language = _text(_get(data, "workflowRuntimeConfig.language"))
    first_name = _text(representative.get("firstName"))
    variables: dict[str, Any] = {"customerName": customer, "firstName": first_name, "language": language or "en"}
    links: dict[str, dict[str, str]] = {}
    to = _addresses(representative.get("email"))
    if template == "invitation":
        links["collectionFlowUrl"] = _collection_link(data, template, with_language=True)
        variables["companyName"] = _text(_get(data, "entity.data.companyName"))
    elif template == "resubmission":
        links["resubmissionLink"] = _collection_link(data, template, with_language=True)
        documents = data.get("documents")
        reasons = (
            [_get(doc, "decision.revisionReason") for doc in documents if isinstance(doc, dict)]
            if isinstance(documents, list)
            else []
        )
        variables.update(
            kybCompanyName=_text(_get(data, "entity.data.companyName")),
            customerCompanyName=customer,
            revisionReason=next((js_string(r) for r in reasons if r is not None), None),
            supportEmail=f"support@{customer}.com" if customer else None,
            name=f"{customer} Team" if customer else None,
        )
    elif template == "associated-company-email":
        links["collectionFlowUrl"] = _collection_link(data, template, with_language=False)
        variables.update(
            companyName=_text(_get(data, "entity.data.companyName")),
            kybCompanyName=_text(_get(data, "entity.data.additionalInfo.kybCompanyName")),
        )
    else:  # session: the KYC vendor's own link, not a collection-flow one
        url = _text(_get(data, "pluginsOutput.kyc_session.kyc_session_1.result.metadata.url"))
        if url is None:
            raise PluginError(
                "The session e-mail needs the KYC session link at pluginsOutput.kyc_session.kyc_session_1.result."
                "metadata.url (run the kyc-session plugin first)"
            )
        variables.update(kycLink=url, firstName=_text(_get(data, "entity.data.firstName")))
        to = _addresses(_get(data, "entity.data.email"))
    return variables, links, to


def compile_email_plugin(raw: dict[str, Any], path: str, problems: Problems) -> EmailPlugin | None:
    kind = str(raw.get("pluginKind"))
    name = str(raw.get("name"))
    success, error = raw.get("successAction") or None, raw.get("errorAction") or None
    state_names = state_names_of(raw)
    from_email = raw.get("from") if isinstance(raw.get("from"), str) else None
    if kind == "email":
        request = raw.get("request")
        if not isinstance(request, dict) or request.get("transform") is None:
            problems.error(f"{path}.request.transform", "required: the mapping that gives the message")
            return None
        mapping = TransformChain.compile(request["transform"], f"{path}.request.transform", problems)
        return EmailPlugin(name, kind, "", state_names, name, success, error, None, from_email, mapping, path)
    template = raw.get("template")
    if not isinstance(template, str) or not template:
        problems.error(f"{path}.template", "Missed templateName for: template-email")
        return None
    factory = EMAIL_TEMPLATES.get(template)
    if factory is None:
        problems.error(f"{path}.template", f"unknown template {template!r}; one of {', '.join(EMAIL_TEMPLATES)}")
        return None
    extra = None
    data_mapping = raw.get("dataMapping")
    if data_mapping is not None:
        if not isinstance(data_mapping, str):
            problems.error(f"{path}.dataMapping", "must be jmespath hash entries (a string)")
        elif data_mapping.strip():
            # Ballerine splices it into its own `{...}` mapping, each entry ending with a comma.
            hash_ = "{" + data_mapping.strip().rstrip(",") + "}"
            extra = TransformChain.compile(
                {"transformer": "jmespath", "mapping": hash_}, f"{path}.dataMapping", problems
            )
    if factory.state_names is not None:
        state_names = factory.state_names
    if factory.actions is not None:
        success, error = factory.actions
    template_id = raw.get("templateId") if isinstance(raw.get("templateId"), str) else None
    return EmailPlugin(
        name, kind, template, state_names, factory.output_name, success, error, template_id, from_email, extra, path
    )
