"""Secrets at rest: the master key and the keys derived from it, their rotation, and the project secrets the
plugins and webhooks use (sealed with AES-256-GCM, never returned by the API).

- `master_key.py` — `ARABESQUE_SECRET_KEY` or the key file; the sealing key and the cookie key derived from it
- `session_secret.py` — the key that signs Case Management cookies
- `rotation.py` — re-seal every secret with the current key; rotate the embedded key file
- `project_secrets.py` — a project's `{secrets.NAME}` values, a webhook delivery's signing secret
- `secret_cache.py` — the worker's short-lived cache of both
"""
