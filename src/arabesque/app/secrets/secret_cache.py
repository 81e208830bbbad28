"""The worker's cache of signing and plugin secrets (see `project_secrets.py` for what each one is)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Sequence

from sqlalchemy import select

from arabesque.app.secrets.project_secrets import SHARED_SECRET, project_secret
from arabesque.store import Database, ProjectSecret, WebhookSubscription
from arabesque.store.outbox import ClaimedEffect
from arabesque.store.webhooks import project_secret_aad, subscription_secret_aad

__all__ = ["SecretCache"]


class SecretCache:
    """Signing and plugin secrets, kept for `ttl` seconds per worker process.

    `webhook_secrets` looks up everything a claimed batch needs that is not cached in one read transaction.
    Values are opened with the database's key (`db.secret_box`) as they are read; a value that does not
    open raises `SecretKeyError` (the worker retries the batch later), never a plain-text fallback.
    A changed secret (`PUT /secrets/...`) reaches the worker within `ttl`; a missing plugin secret is never
    served from the cache (the call would fail at once), it is looked up again.
    """

    def __init__(self, db: Database, ttl: float = 5.0) -> None:
        self.db, self.ttl = db, ttl
        self._values: dict[tuple[str, str], tuple[float, str | None]] = {}
        self._lock = threading.Lock()

    def _get(self, key: tuple[str, str], now: float) -> tuple[bool, str | None]:
        with self._lock:
            hit = self._values.get(key)
        if hit is None or now - hit[0] > self.ttl:
            return False, None
        return True, hit[1]

    def _put(self, items: Iterable[tuple[tuple[str, str], str | None]], now: float) -> None:
        with self._lock:
            if len(self._values) > 10_000:
                self._values.clear()
            for key, value in items:
                self._values[key] = (now, value)

    @staticmethod
    def _key(effect: ClaimedEffect) -> tuple[str, str]:
        if effect.subscription_id:
            return ("subscription", effect.subscription_id)
        return (effect.project_id, SHARED_SECRET)

    def webhook_secrets(self, effects: Sequence[ClaimedEffect]) -> dict[int, str | None]:
        """The signing secret of each webhook effect, by pk (see `webhook_secret`)."""
        now = time.monotonic()
        out: dict[int, str | None] = {}
        missing: dict[tuple[str, str], list[ClaimedEffect]] = {}
        for e in effects:
            key = self._key(e)
            found, value = self._get(key, now)
            if found:
                out[e.pk] = value
            else:
                missing.setdefault(key, []).append(e)
        if missing:
            subs = [k[1] for k in missing if k[0] == "subscription"]
            projects = [k[0] for k in missing if k[0] != "subscription"]
            fetched: dict[tuple[str, str], str | None] = {k: None for k in missing}
            with self.db.read() as s:
                if subs:
                    for sid, sealed in s.execute(
                        select(WebhookSubscription.id, WebhookSubscription.secret).where(
                            WebhookSubscription.id.in_(subs)
                        )
                    ):
                        fetched[("subscription", sid)] = self.db.secret_box.open(sealed, subscription_secret_aad(sid))
                if projects:
                    for pid, sealed in s.execute(
                        select(ProjectSecret.project_id, ProjectSecret.value).where(
                            ProjectSecret.project_id.in_(projects), ProjectSecret.name == SHARED_SECRET
                        )
                    ):
                        fetched[(pid, SHARED_SECRET)] = self.db.secret_box.open(
                            sealed, project_secret_aad(pid, SHARED_SECRET)
                        )
            self._put(fetched.items(), now)
            for key, items in missing.items():
                for e in items:
                    out[e.pk] = fetched[key]
        return out

    def project_secret(self, project_id: str, name: str) -> str | None:
        """A `{secrets.NAME}` value for a plugin call."""
        now = time.monotonic()
        found, value = self._get((project_id, name), now)
        if found and value is not None:
            return value
        value = project_secret(self.db, project_id, name)
        self._put([((project_id, name), value)], now)
        return value
