"""The key that signs Case Management session cookies.

`ARABESQUE_SECRET_KEY` when set (required when several processes serve the same site); otherwise a
random key kept in `<data dir>/secret_key` (mode 0600), created on first use.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

__all__ = ["session_secret"]


def session_secret(data_dir: Path, env: dict[str, str] | None = None) -> str:
    env = dict(os.environ) if env is None else env
    if env.get("ARABESQUE_SECRET_KEY"):
        return env["ARABESQUE_SECRET_KEY"]
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(key)
    return key
