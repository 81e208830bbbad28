"""The use cases, one folder per domain; each use case is one transaction. Those that change runtimes open a
`store.Transaction` (`db.transaction()`), change the runtimes its repositories hold, and commit it explicitly.
They raise the domain errors of `errors.py` (the surfaces choose the HTTP status) and return plain data.

Domains:
- `workflows/` — run a workflow, send events, patch, decide documents, read runtimes; child workflows
- `definitions/` — store, upgrade, look up and compile workflow definitions
- `cases/` — Case Management: queues, the case list, a case, a reviewer's actions, "Add Case Manually"
- `access/` — principals, API keys, members and roles, users, projects, sign-in, sessions
- `secrets/` — secrets at rest: the master key, rotation, project secrets
- `webhooks/` — subscriptions, the events they receive, the delivery log
- `outcomes/` — what the worker reports about an effect it ran
- `entities/`, `files/` — businesses and end users; uploaded document files

Shared by the domains:
- `errors.py` — the domain error tree
- `retrying.py` â run a transaction again when it lost a race
- `limits.py` â the service limits (sizes, evaluation budget) from the settings
- `process.py` â install what the use cases read of the settings, once per process
- `bounded_schema.py` — JSON Schema validation under the evaluation budget
- `input_text.py` — text the databases can store (no NUL, no lone surrogate)
- `health.py` — whether the database answers
- `retention.py` — prune the records that have outlived their use
"""
