"""Use cases the worker calls with what an effect did: each is one transaction, keyed by the claim.

Every function first takes the effect's row back from the calling worker's claim with one
`UPDATE ... WHERE claimed_by = worker AND status = 'running' RETURNING pk` (`outbox.settle`): a worker whose lease
ran out while it was busy finds its claim gone and changes nothing. An HTTP outcome is applied through
`engine.apply_outcome` under the runtime's lock, in the transaction that marks the row done, so it lands
exactly once even when the call itself was made twice. Webhook attempts touch no runtime, so a batch of them
is recorded in one transaction (`record_webhook_attempts`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select

from arabesque.app._runtime import add_audit, apply_step, definition_of, env_of, lock_runtime, retrying, snapshot_of
from arabesque.app.outcomes import outcome_within_limits
from arabesque.engine import HttpOutcome
from arabesque.store import (
    Database,
    ProjectSecret,
    ProjectSetting,
    WebhookAttempt,
    WebhookSubscription,
    utcnow,
)
from arabesque.store.outbox import ClaimedEffect, settle
from arabesque.store.webhooks import project_secret_aad, subscription_secret_aad

__all__ = [
    "EGRESS_HOSTS",
    "SecretCache",
    "WebhookResult",
    "apply_http_result",
    "finish_effect",
    "finish_effects",
    "project_allowed_hosts",
    "project_secret",
    "record_webhook_attempt",
    "record_webhook_attempts",
    "retry_http_later",
    "webhook_secret",
]

EGRESS_HOSTS = "egress.allowedHosts"
SHARED_SECRET = "WEBHOOK_SHARED_SECRET"


def _attempt_details(effect: ClaimedEffect, outcome: HttpOutcome) -> dict[str, Any]:
    details: dict[str, Any] = {"effectId": effect.effect_id, "plugin": effect.plugin, "attempt": effect.attempts}
    if outcome.status is not None:
        details["status"] = outcome.status
    if outcome.error:
        details["error"] = outcome.error
    return details


def apply_http_result(db: Database, effect: ClaimedEffect, outcome: HttpOutcome) -> str:
    """Apply the final outcome of an HTTP effect; return `applied`, `duplicate`, `rejected` or `lost`."""
    awaits = bool(effect.payload.get("awaitsOutcome"))

    def tx() -> str:
        with db.write() as s:
            rt = lock_runtime(s, effect.project_id, effect.runtime_id)
            if not settle(s, [effect], status="done", finished_at=utcnow(), last_error=outcome.error):
                return "lost"
            details = {**_attempt_details(effect, outcome), "attempts": effect.attempts}
            actor = f"worker:{effect.worker}"
            if not awaits:
                add_audit(s, rt, "plugin outcome", actor, effect.plugin, details=details)
                return "applied"
            _, defn = definition_of(s, rt)
            result = outcome_within_limits(defn, snapshot_of(rt), outcome, env_of(rt))
            if result.duplicate:
                add_audit(s, rt, "plugin outcome", actor, effect.plugin, details={**details, "duplicate": True})
                return "duplicate"
            if result.rejected:
                details["rejected"] = result.rejected
            apply_step(s, rt, defn, result, actor, effect.plugin, details, kind="plugin outcome")
            return "rejected" if result.rejected else "applied"

    return retrying(tx)


def retry_http_later(db: Database, effect: ClaimedEffect, outcome: HttpOutcome, delay: float) -> bool:
    """Audit a failed attempt and make the effect due again in `delay` seconds; False if the claim was lost."""

    def tx() -> bool:
        with db.write() as s:
            rt = lock_runtime(s, effect.project_id, effect.runtime_id)
            if not settle(
                s,
                [effect],
                status="pending",
                available_at=utcnow() + timedelta(seconds=delay),
                last_error=outcome.error or f"HTTP {outcome.status}",
            ):
                return False
            details = {**_attempt_details(effect, outcome), "retryInSeconds": round(delay, 3)}
            add_audit(s, rt, "plugin attempt", f"worker:{effect.worker}", effect.plugin, details=details)
            return True

    return retrying(tx)


def finish_effect(db: Database, effect: ClaimedEffect, status: str = "done", error: str | None = None) -> bool:
    """Mark an effect with nothing to apply (a notification without subscribers) done or dead."""

    def tx() -> bool:
        with db.write() as s:
            return bool(settle(s, [effect], status=status, finished_at=utcnow(), last_error=error))

    return retrying(tx)


def finish_effects(db: Database, effects: Sequence[ClaimedEffect]) -> set[int]:
    """Mark a batch of effects with nothing to apply done, in one transaction; return the pks still held."""
    if not effects:
        return set()

    def tx() -> set[int]:
        with db.write() as s:
            owned: set[int] = set()
            by_worker: dict[str, list[ClaimedEffect]] = {}
            for e in effects:
                by_worker.setdefault(e.worker, []).append(e)
            for items in by_worker.values():
                owned |= settle(s, items, status="done", finished_at=utcnow(), last_error=None)
            return owned

    return retrying(tx)


@dataclass(frozen=True)
class WebhookResult:
    """One delivery attempt to record: its answer (or error), and whether to retry it in `retry_in` s or
    dead-letter it; neither means delivered."""

    effect: ClaimedEffect
    status_code: int | None
    error: str | None
    latency_ms: int
    retry_in: float | None = None
    dead: bool = False


def record_webhook_attempts(db: Database, results: Sequence[WebhookResult]) -> set[int]:
    """Log a batch of delivery attempts in one transaction; each row is then done (2xx), due again in its
    `retry_in` s, or dead. Return the pks recorded (an effect whose claim was lost is not: its new owner
    records it). Delivered rows are settled by one statement, the attempt log by one multi-row insert."""
    if not results:
        return set()

    def tx() -> set[int]:
        now = utcnow()
        groups: dict[tuple[str, str, datetime | None, str | None], list[WebhookResult]] = {}
        for r in results:
            next_at = now + timedelta(seconds=r.retry_in) if r.retry_in is not None and not r.dead else None
            status = "pending" if next_at is not None else ("dead" if r.dead else "done")
            error = r.error or (f"HTTP {r.status_code}" if r.status_code and r.status_code >= 300 else None)
            groups.setdefault((r.effect.worker, status, next_at, error), []).append(r)
        with db.write() as s:
            owned: set[int] = set()
            for (_, status, next_at, error), items in groups.items():
                values: dict[str, Any] = {"status": status, "last_error": error}
                if next_at is not None:
                    values["available_at"] = next_at
                else:
                    values["finished_at"] = now
                owned |= settle(s, [r.effect for r in items], **values)
            log = [
                {
                    "project_id": r.effect.project_id,
                    "outbox_pk": r.effect.pk,
                    "subscription_id": r.effect.subscription_id,
                    "attempt": r.effect.attempts,
                    "status_code": r.status_code,
                    "error": r.error,
                    "latency_ms": r.latency_ms,
                    "next_retry_at": now + timedelta(seconds=r.retry_in)
                    if r.retry_in is not None and not r.dead
                    else None,
                    "created_at": now,
                }
                for r in results
                if r.effect.pk in owned
            ]
            if log:
                s.execute(insert(WebhookAttempt), log)
            return owned

    return retrying(tx)


def record_webhook_attempt(
    db: Database,
    effect: ClaimedEffect,
    status_code: int | None,
    error: str | None,
    latency_ms: int,
    retry_in: float | None,
    dead: bool = False,
) -> bool:
    """Log one delivery attempt (`record_webhook_attempts` for one)."""
    result = WebhookResult(effect, status_code, error, latency_ms, retry_in, dead)
    return effect.pk in record_webhook_attempts(db, [result])


def project_secret(db: Database, project_id: str, name: str) -> str | None:
    """A project's `{secrets.NAME}` value, opened with the database's key (`SecretKeyError` if it cannot be)."""
    with db.read() as s:
        row = s.get(ProjectSecret, (project_id, name))
        sealed = row.value if row is not None else None
    return db.secret_box.open(sealed, project_secret_aad(project_id, name)) if sealed is not None else None


def project_allowed_hosts(db: Database, project_id: str) -> list[str]:
    with db.read() as s:
        value = s.scalar(
            select(ProjectSetting.value).where(
                ProjectSetting.project_id == project_id, ProjectSetting.key == EGRESS_HOSTS
            )
        )
    return [str(h) for h in value] if isinstance(value, list) else []


def webhook_secret(db: Database, effect: ClaimedEffect) -> str | None:
    """The signing secret of a delivery: its subscription's, else the project's `WEBHOOK_SHARED_SECRET`."""
    with db.read() as s:
        if effect.subscription_id:
            sub = s.get(WebhookSubscription, effect.subscription_id)
            return db.secret_box.open(sub.secret, subscription_secret_aad(sub.id)) if sub is not None else None
    return project_secret(db, effect.project_id, SHARED_SECRET)


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
