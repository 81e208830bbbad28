"""What the worker reports about an effect it ran, each one transaction keyed by its claim on the outbox row
(`store/outbox.py`): a claim the worker lost changes nothing. Webhook delivery attempts are recorded by
`webhooks/record_attempts.py`, a started child workflow by `workflows/children.py`.

- `apply_http_result.py` — apply an HTTP plugin's final outcome exactly once; or audit an attempt to retry
- `finish_effect.py` — mark effects with nothing to apply done (or dead)
- `fail_effect.py` — an effect that failed without an answer: retried later or dead-lettered, audited
"""
