"""The collection flow: an end user opens a link with a token, fills in the pages of a UI definition, uploads
documents and submits; a reviewer's revision request re-opens the flow (reference: collection-flow.md).

The surfaces (`api/` routes under `/api/v1/collection-flow`, the end-user pages of `portal/`) call these; each
takes the raw token and checks it itself (`access.resolve_token`, in the use case's transaction for writes).

- `access.py` — `resolve_token(db, raw) -> FlowAccess` (project, runtime, end user, UI definition, language)
- `tokens.py` — issue a token (hash stored), revoke a runtime's tokens (when it finishes)
- `links.py` — `ARABESQUE_PUBLIC_URL` and the flow's link
- `message_tokens.py` — a token of its own for each link of an e-mail, issued when the worker sends it
- `create_token.py` — `create-token` / `create-collection-flow-url` for a runtime of the caller's project
- `prepare_run.py` — what `/run` prepares: `flowConfig.stepsProgress`, `createCollectionFlowToken`
- `ui_definitions.py`, `ui_validation.py` — UI definitions stored per definition version, validated on upload
- `queries.py` — customer, user, context, active flow, configuration in a language (`translate.py`)
- `sync.py` — save progress (`sync`, `sync/context`), set the language: only the keys a flow may write
- `events.py` — send the events the UI definition sends (never a reviewer's), resubmit
- `end_user.py`, `files.py` — the token holder's own end user row and files
- `revision.py` — what a revision request re-opens: the pages and the reviewer's reasons
- `reopen.py` — entering a `revision` state re-opens those pages in `flowConfig` (called by `workflows/steps.py`)
- `attach.py` — the host side of `attach-ui-definition` (a `FlowTokenRequest` answered in the step's transaction)
"""
