"""Workflow runtimes: run a workflow, send it events, patch it, decide its documents, read it; child workflows.

- `runtime.py` — a runtime locked (or 404), its snapshot, environment and JSON; a new runtime
- `steps.py` — step a runtime through the engine and write the step: snapshot, audit records, outbox rows, webhooks
- `run_workflow.py` — `POST /run`: resolve the definition, check the context, upsert the entity, start
- `send_event.py` — send an event to a runtime
- `patch_workflow.py` — change a runtime's tags, assignee or context
- `context_diff.py` — what a context change did (documents added/removed/replaced with their decisions, fields)
- `decide_document.py` — approve, reject, ask a revision of (or clear) a document's decision
- `children.py` — start a child workflow; propagate a finished child to its parent
- `vendor_hook.py` — a vendor's signed callback: merge its result, send its event, once
- `hook_response.py` — what a callback merges into the context, per `processName`
- `idempotency.py` — the `Idempotency-Key` record of run and event (and the vendor callbacks' replay record)
- `queries.py` — read a runtime, its context, a page of runtimes
- `transition_count.py` — count committed transitions (`arabesque_workflow_transitions_total`)
"""
