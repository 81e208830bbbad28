"""Webhooks: a project's subscriptions, the events emitted to them, and their delivery log.

- `subscriptions.py` — create, list, delete subscriptions; the delivery log; redeliver
- `events.py` — the events (`workflow.created`, ...) and their outbox rows, written with the runtime's change
- `record_attempts.py` — record delivery attempts (the worker's report), a batch per transaction
- `environment.py` — the `environment` every payload names (`ARABESQUE_ENVIRONMENT`)
"""
