"""The key that signs Case Management session cookies.

Derived from the master key (`app/secrets/master_key.py`): `ARABESQUE_SECRET_KEY` when set (required when several
processes serve the same site), otherwise the random key kept in `<data dir>/secret_key` (mode 0600),
created on first use. It is never the key that encrypts secrets at rest: each purpose has its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from arabesque.app.secrets.master_key import master_keys

__all__ = ["session_secret"]


def session_secret(data_dir: Path, secret_key: str | None = None, previous: Sequence[str] = ()) -> str:
    return master_keys(data_dir, secret_key, previous).session_signing_key()
