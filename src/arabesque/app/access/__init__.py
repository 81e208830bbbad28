"""Who may do what: principals and API keys, members and their roles, users, projects, sign-in and the
Case Management sessions.

- `principal.py` — the authenticated caller of a use case (an API key's project, or a member acting through one)
- `api_keys.py` — create, revoke and authenticate API keys (stored as SHA-256 hashes)
- `members.py` — a user's membership of a project, its role, `require_role`
- `users.py` — users and memberships: create, list, update, passwords (argon2id)
- `projects.py` — projects (tenants) and their egress allow-list
- `login.py` — sign-in, with the throttle counted in the database
- `web_sessions.py` — the Case Management sessions (database rows; the cookie carries a token)
"""
