"""Case Management: queues, the case list, a case with everything its review page needs, and what a reviewer
does to a case. Reads return plain data; `web/` shapes it for the pages.

- `queues.py` — queues (an entity type and the definitions it shows): list, save, delete, seed
- `list_cases.py` — a queue's page of cases: search, filters, sort, exact total
- `get_case.py` — one case, read in one transaction, with the rules that decide what a member may do to it
- `reviewer_actions.py` — which events a reviewer may send, their labels, what blocks an approval
- `audit_trail.py` — the case's audit log and outbox calls as entries an analyst reads (and exports)
- `case_actions.py` — assign, send a case event, decide a document (a director's too), add a note
- `create_case.py` — "Add Case Manually": the form's schema, and the submission through `run_workflow`
- `entity_form.py` — the entity schema of that form, the form's values parsed back, validation errors by field
- `edit_document.py` — edit a document's type and properties from its `documentsSchema`
- `ask_for_reuploads.py` — send `revision` to the case and its child workflows with a document to re-upload
- `bulk_assign.py` — assign the checked cases of a list in one transaction
- `sla.py` — a case's due date from its own `config.slaHours`, in Python and in SQL (sort, overdue)
- `statistics.py` — the project's numbers for the home dashboard and `GET /api/v1/statistics`
"""
