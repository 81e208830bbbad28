"""Collection-flow UI definitions (collection-flow reference §3): validation on upload, and the pages,
rules, fields, documents and navigation the portal renders. Pure: no I/O, no clock.

    problems = validate_ui_definition(record)          # [(path, message)], on upload
    pages = pages_of(record)                            # the wizard steps, in order
    forms = forms_of(page.elements, context)            # json-forms with their fields resolved
    context = apply_input(page.elements, context, form) # what a submitted page writes
    errors = page_errors(page.validation, context)      # {context path | document-error-<id>: [message]}
    next_state(record, page.state_name)                 # navigation by the browser statechart
"""

from arabesque.engine.ui_definition._documents import (
    REVISION_STATUSES,
    attach_file,
    document_file,
    revision_warnings,
    start_state,
)
from arabesque.engine.ui_definition._fields import (
    ADD_ITEM,
    REMOVE_ITEM,
    Field,
    Form,
    apply_input,
    document_id,
    field_errors,
    forms_of,
    is_enabled,
    is_shown,
    page_errors,
    widget_of,
)
from arabesque.engine.ui_definition._pages import (
    DEFAULT_FINISH_EVENT,
    FINISHED,
    Page,
    event_target,
    finish_event,
    mark_completed,
    next_state,
    page_of,
    pages_of,
    previous_state,
    set_app_state,
    steps_progress,
)
from arabesque.engine.ui_definition._paths import PathError, get_path, parse_path, set_path
from arabesque.engine.ui_definition._rules import DOCUMENT_ERROR_PREFIX, rule_errors, rule_passes, rules_pass
from arabesque.engine.ui_definition._validate import validate_ui_definition

__all__ = [
    "ADD_ITEM",
    "DEFAULT_FINISH_EVENT",
    "DOCUMENT_ERROR_PREFIX",
    "FINISHED",
    "REMOVE_ITEM",
    "REVISION_STATUSES",
    "Field",
    "Form",
    "Page",
    "PathError",
    "apply_input",
    "attach_file",
    "document_file",
    "document_id",
    "event_target",
    "field_errors",
    "finish_event",
    "forms_of",
    "get_path",
    "is_enabled",
    "is_shown",
    "mark_completed",
    "next_state",
    "page_errors",
    "page_of",
    "pages_of",
    "parse_path",
    "previous_state",
    "revision_warnings",
    "rule_errors",
    "rule_passes",
    "rules_pass",
    "set_app_state",
    "set_path",
    "start_state",
    "steps_progress",
    "validate_ui_definition",
    "widget_of",
]
