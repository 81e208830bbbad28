"""E-mail plugins (`template-email`, `email`) and Ballerine's vendor kinds in the engine: what effect a step emits,
how an outcome lands, what a definition may not say; and every shipped Ballerine definition we have loads."""

from __future__ import annotations

import json
from typing import Any

import pytest

from arabesque.engine import (
    DefinitionError,
    EmailCall,
    Env,
    Event,
    HttpCall,
    HttpOutcome,
    apply_outcome,
    load_definition,
    start,
    step,
)
from paths import REFERENCE_FIXTURES, ROOT

BALLERINE = ROOT / "tests" / "fixtures" / "ballerine"
ENV = Env("rt-1", {"language": "en"})
REPRESENTATIVE = {"email": "ada@zed.example", "firstName": "Ada", "lastName": "Lovelace"}
CONTEXT: dict[str, Any] = {
    "entity": {
        "type": "business",
        "id": "zed",
        "ballerineEntityId": "b-1",
        "data": {
            "companyName": "Zed & Co",
            "country": "GB",
            "registrationNumber": "0123",
            "additionalInfo": {"mainRepresentative": REPRESENTATIVE},
        },
    },
    "metadata": {"token": "tok-1", "customerName": "Acme Bank"},
    "documents": [{"id": "d1", "decision": {"status": "revision", "revisionReason": "blurry"}}],
}


def _flow(*plugins: dict[str, Any]) -> Any:
    states = {
        "idle": {"on": {"GO": "mail", "RESUBMIT": "pending_resubmission"}},
        "mail": {"on": {"SENT": "done", "FAILED": "failed"}},
        "pending_resubmission": {"on": {"EMAIL_SENT": "done", "EMAIL_FAILURE": "failed"}},
        "done": {"type": "final"},
        "failed": {"type": "final"},
    }
    return load_definition(
        {"definition": {"initial": "idle", "states": states}, "extensions": {"apiPlugins": list(plugins)}}
    )


INVITATION = {
    "name": "invitation-email",
    "pluginKind": "template-email",
    "template": "invitation",
    "stateNames": ["mail"],
    "successAction": "SENT",
    "errorAction": "FAILED",
}


def test_an_invitation_is_an_email_effect_with_the_reference_variables() -> None:
    definition = _flow(INVITATION)
    result = step(definition, start(definition, CONTEXT), Event("GO"), ENV)
    [call] = result.effects
    assert isinstance(call, EmailCall)
    assert (call.template, call.to, call.plugin) == ("invitation", ("ada@zed.example",), "invitation-email")
    assert call.links == {"collectionFlowUrl": {"token": "tok-1", "lng": "en"}}
    assert call.data["customerName"] == "Acme Bank" and call.data["firstName"] == "Ada"
    assert result.snapshot.pending == {call.id: "invitation-email"}
    assert EmailCall.from_json(json.loads(json.dumps(call.to_json()))) == call  # it round-trips through the outbox


def test_a_sent_email_persists_an_empty_object_and_a_failed_one_the_error() -> None:
    definition = _flow(INVITATION)
    waiting = step(definition, start(definition, CONTEXT), Event("GO"), ENV)
    effect_id = waiting.effects[0].id
    sent = apply_outcome(definition, waiting.snapshot, HttpOutcome(effect_id, 250, "sent"), ENV).snapshot
    assert sent.state == "done" and sent.context["pluginsOutput"] == {"invitation": {}}
    failed = apply_outcome(definition, waiting.snapshot, HttpOutcome(effect_id, error="550 no such user"), ENV)
    assert failed.snapshot.state == "failed"
    record = {"name": "invitation", "error": "550 no such user", "status": "ERROR"}
    assert failed.snapshot.context["pluginsOutput"] == {"invitation": record}


def test_an_invitation_without_a_token_takes_the_error_action_without_an_effect() -> None:
    definition = _flow(INVITATION)
    context = {**CONTEXT, "metadata": {"customerName": "Acme Bank"}}
    result = step(definition, start(definition, context), Event("GO"), ENV)
    assert result.effects == () and result.snapshot.state == "failed"
    assert "metadata.token" in result.snapshot.context["pluginsOutput"]["invitation"]["error"]


def test_without_a_language_the_link_has_no_lng_where_ballerine_fails() -> None:
    definition = _flow(INVITATION)
    [call] = step(definition, start(definition, CONTEXT), Event("GO"), Env("rt-1")).effects
    assert isinstance(call, EmailCall) and call.links == {"collectionFlowUrl": {"token": "tok-1"}}


def test_the_resubmission_factory_fixes_states_callbacks_and_variables() -> None:
    plugin = {"name": "resub", "pluginKind": "template-email", "template": "resubmission", "stateNames": ["mail"]}
    definition = _flow(plugin)
    assert step(definition, start(definition, CONTEXT), Event("GO"), ENV).effects == ()  # not its state
    result = step(definition, start(definition, CONTEXT), Event("RESUBMIT"), ENV)
    [call] = result.effects
    assert isinstance(call, EmailCall) and call.awaits_outcome  # EMAIL_SENT / EMAIL_FAILURE, from the factory
    assert call.links == {"resubmissionLink": {"token": "tok-1", "lng": "en"}}
    assert call.data | {"language": "en"} == call.data
    assert {k: call.data[k] for k in ("kybCompanyName", "revisionReason", "supportEmail", "name")} == {
        "kybCompanyName": "Zed & Co",
        "revisionReason": "blurry",
        "supportEmail": "support@Acme Bank.com",
        "name": "Acme Bank Team",
    }
    done = apply_outcome(definition, result.snapshot, HttpOutcome(call.id, 250), ENV).snapshot
    assert done.state == "done" and done.context["pluginsOutput"] == {"resubmission": {}}


def test_data_mapping_adds_variables() -> None:
    plugin = {**INVITATION, "dataMapping": "\n  registration: entity.data.registrationNumber,\n"}
    [call] = step(_flow(plugin), start(_flow(plugin), CONTEXT), Event("GO"), ENV).effects
    assert isinstance(call, EmailCall) and call.data["registration"] == "0123"


def test_an_email_plugin_without_url_maps_its_message() -> None:
    mapping = (
        "{from: 'kyc@acme.example', name: 'Acme', receivers: [entity.data.additionalInfo.mainRepresentative.email], "
        "subject: 'Hello', templateId: 'd-1', adapter: 'log', "
        "firstName: entity.data.additionalInfo.mainRepresentative.firstName}"
    )
    plugin = {
        "name": "mail",
        "pluginKind": "email",
        "stateNames": ["mail"],
        "successAction": "SENT",
        "errorAction": "FAILED",
        "request": {"transform": [{"transformer": "jmespath", "mapping": mapping}]},
    }
    definition = _flow(plugin)
    [call] = step(definition, start(definition, CONTEXT), Event("GO"), ENV).effects
    assert isinstance(call, EmailCall)
    assert (call.from_email, call.from_name, call.to, call.subject) == (
        "kyc@acme.example",
        "Acme",
        ("ada@zed.example",),
        "Hello",
    )
    assert (call.template, call.template_id, call.adapter) == ("generic", "d-1", "log")
    with_url = {**plugin, "url": "https://mail.example/send", "method": "POST"}
    [http] = step(_flow(with_url), start(_flow(with_url), CONTEXT), Event("GO"), ENV).effects
    assert isinstance(http, HttpCall)  # an `email` plugin with its own URL stays the HTTP call it was


@pytest.mark.parametrize(
    ("plugin", "path", "message"),
    [
        ({"template": None}, "template", "Missed templateName for: template-email"),
        ({"template": "postcard"}, "template", "unknown template"),
        ({"template": "invitation", "dataMapping": "a: ["}, "dataMapping", ""),
    ],
)
def test_a_template_email_that_cannot_be_built_is_refused_with_its_path(
    plugin: dict[str, Any], path: str, message: str
) -> None:
    with pytest.raises(DefinitionError) as caught:
        _flow({**INVITATION, **plugin})
    [problem] = caught.value.problems
    assert problem.path.startswith(f"extensions.apiPlugins[0].{path}") and message in problem.message


# -- vendor kinds --------------------------------------------------------------------------------------------


def _vendor(kind: str, vendor: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": extra.pop("name", kind),
        "pluginKind": kind,
        "vendor": vendor,
        "stateNames": ["mail"],
        "successAction": "SENT",
        "errorAction": "FAILED",
        **extra,
    }


@pytest.mark.parametrize(
    ("kind", "vendor", "method", "url", "output"),
    [
        ("registry-information", "asia-verify", "GET", "/companies-v2/GB/0123", "businessInformation"),
        ("company-sanctions", "asia-verify", "GET", "/companies/GB/Zed%20%26%20Co/sanctions", "companySanctions"),
        ("ubo", "kyckr", "GET", "/companies/GB/0123/ubo", "ubo"),
        ("individual-sanctions", "dow-jones", "POST", "/aml-sessions", "sanctionsScreening"),
        ("merchant-monitoring", "ballerine", "POST", "/merchants/analysis", "merchantMonitoring"),
    ],
)
def test_a_vendor_kind_calls_the_projects_unified_api(
    kind: str, vendor: str, method: str, url: str, output: str
) -> None:
    definition = _flow(_vendor(kind, vendor))
    [call] = step(definition, start(definition, CONTEXT), Event("GO"), ENV).effects
    assert isinstance(call, HttpCall)
    assert (call.request.method, call.request.url) == (method, "{secrets.UNIFIED_API_URL}" + url)
    assert call.request.headers["Authorization"] == "Bearer {secrets.UNIFIED_API_TOKEN}"
    if method == "GET":
        assert call.request.query == (("vendor", vendor),)
    else:
        assert call.request.body["vendor"] == vendor
        assert call.request.body["callbackUrl"].startswith("{secret.APP_API_URL}/api/v1/external/workflows/rt-1/hook/")
    done = apply_outcome(
        definition,
        step(definition, start(definition, CONTEXT), Event("GO"), ENV).snapshot,
        HttpOutcome(call.id, 200, "OK", {"found": True}, True),
        ENV,
    ).snapshot
    assert done.state == "done" and done.context["pluginsOutput"][output]["found"] is True


def test_a_context_value_cannot_change_a_vendor_path() -> None:
    definition = _flow(_vendor("ubo", "kyckr"))
    context = {"entity": {"data": {"country": "../x", "registrationNumber": "12/3?admin=1#"}}}
    [call] = step(definition, start(definition, context), Event("GO"), ENV).effects
    assert isinstance(call, HttpCall)
    assert call.request.url == "{secrets.UNIFIED_API_URL}/companies/..%2Fx/12%2F3%3Fadmin%3D1%23/ubo"
    dots = {"entity": {"data": {"country": "..", "registrationNumber": "."}}}
    [call] = step(definition, start(definition, dots), Event("GO"), ENV).effects
    assert isinstance(call, HttpCall) and call.request.url == "{secrets.UNIFIED_API_URL}/companies/%2E%2E/%2E/ubo"


def test_a_kyc_session_validates_its_request_and_shapes_its_result() -> None:
    definition = _flow(_vendor("kyc-session", "veriff", name="kyc_session"))
    person = {**CONTEXT, "entity": {"id": "p", "data": {"firstName": "Ada", "lastName": "L"}}}
    waiting = step(definition, start(definition, person), Event("GO"), ENV)
    [call] = waiting.effects
    assert (
        isinstance(call, HttpCall) and call.request.url == "{secrets.UNIFIED_API_URL}/individual-verification-sessions"
    )
    assert "processName=kyc-unified-api" in call.request.body["callbackUrl"]
    outcome = HttpOutcome(call.id, 200, "OK", {"url": "https://veriff.example/s"}, True)
    done = apply_outcome(definition, waiting.snapshot, outcome, ENV).snapshot
    session = done.context["pluginsOutput"]["kyc_session"]["kyc_session_1"]
    assert session["vendor"] == "veriff" and session["result"]["metadata"]["url"] == "https://veriff.example/s"
    nameless = step(definition, start(definition, {"entity": {"data": {}}}), Event("GO"), ENV).snapshot
    assert nameless.state == "failed" and "firstName" in nameless.context["pluginsOutput"]["kyc_session"]["error"]


@pytest.mark.parametrize(
    ("vendor", "message"), [(None, "Missed vendor for: ubo"), ("acme", "unknown vendor 'acme' for ubo")]
)
def test_a_vendor_kind_without_a_known_vendor_is_refused(vendor: str | None, message: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        _flow(_vendor("ubo", vendor))  # type: ignore[arg-type]
    [problem] = caught.value.problems
    assert problem.path == "extensions.apiPlugins[0].vendor" and message in problem.message


def test_a_vendor_kind_with_its_own_url_is_an_ordinary_http_plugin() -> None:
    plugin = _vendor(
        "ubo",
        "whatever",
        url="https://ubo.example/x",
        request={"transform": [{"transformer": "jmespath", "mapping": "{a: `1`}"}]},
    )
    [call] = step(_flow(plugin), start(_flow(plugin), CONTEXT), Event("GO"), ENV).effects
    assert isinstance(call, HttpCall) and call.request.url == "https://ubo.example/x"


# -- every shipped definition loads ----------------------------------------------------------------------------


def _definitions() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted(REFERENCE_FIXTURES.glob("*.json")) + sorted(BALLERINE.glob("*.json")):
        data = json.loads(path.read_text())
        record = data.get("workflowDefinition") or data.get("definition") if "_about" not in data else data
        if isinstance(record, dict) and "definition" in record:
            found.append((path.stem, record))
    return found


@pytest.mark.parametrize(("name", "record"), _definitions(), ids=[n for n, _ in _definitions()])
def test_every_shipped_definition_loads(name: str, record: dict[str, Any]) -> None:
    load_definition(record)


def test_the_shipped_definitions_include_ballerines_own() -> None:
    names = {name for name, _ in _definitions()}
    assert {"kyb_parent_kyc_session_example", "kyc_email_session_example", "kyb_dynamic_ui_session_example"} <= names
    assert len(names) >= 27  # the 24 workflow fixtures, the UI-definition example's and Ballerine's three


@pytest.mark.parametrize(
    ("receivers", "needle"),
    [
        (["ada@zed.example\r\nBcc: all@evil.example"], "Not an e-mail address"),
        (["a@b.example, c@d.example"], "Not an e-mail address"),
        ([f"u{i}@zed.example" for i in range(51)], "Too many recipients: 51"),
    ],
)
def test_recipients_are_addresses_and_few(receivers: list[str], needle: str) -> None:
    plugin = {
        "name": "mail",
        "pluginKind": "email",
        "stateNames": ["mail"],
        "successAction": "SENT",
        "errorAction": "FAILED",
        "request": {
            "transform": [{"transformer": "jmespath", "mapping": "{receivers: receivers, template: template}"}]
        },
    }
    definition = _flow(plugin)
    result = step(definition, start(definition, {"receivers": receivers}), Event("GO"), ENV)
    assert result.effects == () and result.snapshot.state == "failed"
    assert needle in result.snapshot.context["pluginsOutput"]["mail"]["error"]
    unknown = step(definition, start(definition, {"receivers": ["a@b.example"], "template": "../x"}), Event("GO"), ENV)
    assert "Unknown e-mail template" in unknown.snapshot.context["pluginsOutput"]["mail"]["error"]
