"""One end user's flow as a page sees it: loaded through the collection-flow use cases, and what a submitted
page, an upload or Back does to it. No HTTP here: `pages.py` parses requests and renders; this decides.

The token is the credential: every use case checks it (401 when invalid, expired or revoked). What a submitted
page writes is computed by the engine (`engine.ui_definition`: only the page's visible, enabled fields; the
page's actions; progress in `flowConfig`) and saved with `app.collection_flow.save_page` in one transaction,
with the submit event on the last page.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from arabesque.app.collection_flow.files import upload_flow_file
from arabesque.app.collection_flow.queries import flow_active, flow_configuration, flow_context, flow_customer
from arabesque.app.collection_flow.save_page import save_page
from arabesque.app.collection_flow.sync import set_language
from arabesque.engine.jmes import JmesError, search
from arabesque.engine.ui_definition import (
    FINISHED,
    Field,
    Page,
    PathError,
    apply_input,
    attach_file,
    event_target,
    finish_event,
    forms_of,
    get_path,
    mark_completed,
    page_errors,
    page_of,
    pages_of,
    revision_warnings,
    rules_pass,
    set_app_state,
    set_path,
    start_state,
)
from arabesque.portal.texts import language_of
from arabesque.store import Database

__all__ = ["Flow", "Outcome", "change_language", "find_field", "load_flow", "submit_page", "upload_document"]


@dataclass
class Flow:
    """A token's flow, loaded: its UI definition (translated), context, runtime state and customer."""

    token: str
    language: str
    languages: list[str]
    record: dict[str, Any]  # {uiSchema: {elements, theme}, definition, uiOptions}: what the engine reads
    context: dict[str, Any]
    state: str
    finished: bool
    customer: dict[str, Any]

    @property
    def pages(self) -> list[Page]:
        return pages_of(self.record)

    @property
    def warnings(self) -> dict[str, dict[str, str]]:
        """Per page state, the documents the reviewer asked to replace, with the reasons."""
        return revision_warnings(self.record, self.context)

    @property
    def revision(self) -> bool:
        return bool(self.warnings)

    @property
    def ui_state(self) -> dict[str, Any]:
        return {"isLoading": False, "isRevision": self.revision, "elements": {}}

    @property
    def theme(self) -> Any:
        schema = self.record.get("uiSchema")
        return schema.get("theme") if isinstance(schema, dict) else None

    def start(self) -> str | None:
        return start_state(self.record, self.context)

    def all_warnings(self) -> dict[str, str]:
        return {doc: reason for page in self.warnings.values() for doc, reason in page.items()}


def load_flow(db: Database, token: str, requested_language: str | None) -> Flow:
    """The flow of `token` in the requested language (English when the UI definition has no such locale)."""
    customer = flow_customer(db, token)  # Unauthorized first, before anything else is read
    english = flow_configuration(db, token, "en")
    languages = list(english.get("languages") or ["en"])
    language = language_of(requested_language, languages)
    config = english if language == "en" else flow_configuration(db, token, language)
    loaded = flow_context(db, token)
    active = flow_active(db, token)["result"]
    schema = config.get("uiSchema") or {}
    record = {"uiSchema": schema, "definition": config.get("definition"), "uiOptions": config.get("uiOptions")}
    return Flow(
        token=token,
        language=language,
        languages=languages,
        record=record,
        context=loaded.get("context") or {},
        state=str(loaded.get("state") or ""),
        finished=bool(active.get("isFinished")),
        customer=customer,
    )


@dataclass
class Outcome:
    """What a submitted page led to: the page to show next (or `finish`), or the page again with errors."""

    next_state: str | None
    context: dict[str, Any]
    errors: dict[str, list[str]]


def _submit_actions(page: Page, button: str | None) -> list[dict[str, Any]]:
    """The page's actions its submit button's click dispatches (§3.7), in order."""
    chosen: list[dict[str, Any]] = []
    for action in page.actions:
        if not isinstance(action, dict):
            continue
        dispatch = action.get("dispatchOn") if isinstance(action.get("dispatchOn"), dict) else {}
        events = dispatch.get("uiEvents") if isinstance(dispatch, dict) else None
        for ui_event in events if isinstance(events, list) else []:
            if (
                isinstance(ui_event, dict)
                and str(ui_event.get("event", "")).lower() == "onclick"
                and (button is None or ui_event.get("uiElementName") == button)
            ):
                chosen.append(action)
                break
    return chosen


def _dispatched(action: dict[str, Any], context: dict[str, Any], ui_state: Any) -> bool:
    dispatch = action.get("dispatchOn") if isinstance(action.get("dispatchOn"), dict) else {}
    rules = dispatch.get("rules") if isinstance(dispatch, dict) else None
    if rules is None:
        return True
    return bool(rules) and rules_pass(rules, context, ui_state)  # an empty list blocks the action (§3.6)


def _plugin(flow: Flow, name: Any) -> dict[str, Any] | None:
    definition = flow.record.get("definition")
    extensions = definition.get("extensions") if isinstance(definition, dict) else None
    plugins = extensions.get("apiPlugins") if isinstance(extensions, dict) else None
    for plugin in plugins if isinstance(plugins, list) else []:
        if isinstance(plugin, dict) and plugin.get("name") == name:
            return plugin
    return None


def _plugin_body(plugin: dict[str, Any], context: dict[str, Any]) -> Any:
    request = plugin.get("request")
    transforms = request.get("transform") if isinstance(request, dict) else None
    body: Any = context
    for transform in transforms if isinstance(transforms, list) else []:
        mapping = transform.get("mapping") if isinstance(transform, dict) else None
        if isinstance(mapping, str):
            try:
                body = search(mapping, body)
            except JmesError:
                return None
    return body


def _value_apply(action: dict[str, Any], context: dict[str, Any], ui_state: Any) -> None:
    params = action.get("params") if isinstance(action.get("params"), dict) else {}
    values = params.get("values") if isinstance(params, dict) else None
    for item in values if isinstance(values, list) else []:
        if not isinstance(item, dict) or not item.get("rule") or not rules_pass(item["rule"], context, ui_state):
            continue
        selector = item.get("selector") if isinstance(item.get("selector"), dict) else {}
        assert isinstance(selector, dict)
        if selector.get("type") == "raw":
            value = copy.deepcopy(selector.get("value"))
        elif selector.get("type") == "pick":
            picked = get_path(context, str(selector.get("pickDestination", "")))
            value = picked if picked is not None else selector.get("defaultValue")
        else:
            continue
        try:
            set_path(context, str(item.get("valueDestination", "")), value)
        except PathError:
            continue


def _disabled_names(flow: Flow, page: Page, context: dict[str, Any]) -> frozenset[str]:
    """In revision mode every field but the flagged documents is disabled (§3.11): nothing else is written."""
    if not flow.revision:
        return frozenset()
    return frozenset(f.name for form in forms_of(page.elements, context) for item in form.items for f in item)


def submit_page(
    db: Database, flow: Flow, state: str, form: Mapping[str, Sequence[str]], *, button: str | None, go: str
) -> Outcome:
    """Apply a submitted page. `go` is `next` (validate, run the submit button's actions, save, move on),
    `save` (save what was typed, stay: adding or removing an array item). Returns the errors, unsaved, when the
    page does not validate."""
    page = page_of(flow.pages, state)
    if page is None:
        return Outcome(flow.start(), flow.context, {})
    ui_state = flow.ui_state
    context = apply_input(
        page.elements, flow.context, form, ui_state, disabled=_disabled_names(flow, page, flow.context)
    )
    if go != "next":
        save_page(db, flow.token, context)
        return Outcome(state, context, {})
    errors = page_errors(page.validation, context, ui_state)
    if errors:
        return Outcome(None, context, errors)
    target: str | None = None
    end_user: dict[str, Any] | None = None
    actions = _submit_actions(page, button) or [{"type": "definitionEvent", "params": {"eventName": "NEXT"}}]
    for action in actions:
        if not _dispatched(action, context, ui_state):
            continue
        params = action.get("params") if isinstance(action.get("params"), dict) else {}
        assert isinstance(params, dict)
        if action.get("type") == "definitionEvent" and target is None:
            target = event_target(flow.record, state, str(params.get("eventName", "")))
        elif action.get("type") == "definitionPlugin":
            plugin = _plugin(flow, params.get("pluginName"))
            if plugin is not None and "/end-user" in str(plugin.get("url", "")):
                body = _plugin_body(plugin, context)
                end_user = body if isinstance(body, dict) else None
            # The sync plugin needs nothing more: the page is saved below. Other plugins call URLs of their own
            # (Ballerine's browser runs them); the server makes no outbound call on a definition's behalf.
        elif action.get("type") == "valueApply":
            _value_apply(action, context, ui_state)
    if target is None:
        # The page's actions did not move (their rules failed): show why, as the renderer does.
        return Outcome(None, context, {"": ["The page cannot be submitted yet."]})
    mark_completed(context, flow.record, state)
    set_app_state(context, target)
    event = finish_event(flow.record, context) if target == FINISHED else None
    save_page(db, flow.token, context, end_user=end_user, submit_event=event)
    return Outcome(target, context, {})


def find_field(flow: Flow, page: Page, name: str) -> Field | None:
    for form in forms_of(page.elements, flow.context):
        for item in form.items:
            for field in item:
                if field.name == name:
                    return field
    return None


def upload_document(
    db: Database, files_dir: Path, flow: Flow, page: Page, field: Field, file_name: str, mime_type: str, content: bytes
) -> dict[str, Any]:
    """Store the file (the file store's type and size limits apply), put it on the field's document (its decision
    cleared) and save the context. Returns the stored file's description."""
    stored = upload_flow_file(db, files_dir, flow.token, file_name, mime_type, content)
    context = copy.deepcopy(flow.context)
    attach_file(context, field, str(stored["id"]), str(stored.get("fileName") or file_name), str(stored["mimeType"]))
    set_app_state(context, page.state_name)
    save_page(db, flow.token, context)
    return stored


def change_language(db: Database, token: str, language: str) -> None:
    """The runtime's language (its e-mails'), as `PUT /collection-flow/language`."""
    set_language(db, token, language)
