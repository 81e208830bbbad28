"""The worker: claim due outbox rows, execute them through `effects/`, hand each result to an `app/` use case.

`concurrency` threads each loop claim -> execute -> apply. Idle threads sleep on the process's `WAKE`
(bumped by in-process commits and, on PostgreSQL, by the LISTEN thread), with polling as the fallback.
A heartbeat thread renews the leases of the rows in flight and re-queues rows whose lease ran out (a
worker killed with SIGKILL). `stop()` lets in-flight effects finish, then gives back anything unstarted.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC

import httpx

from arabesque.app import children, effect_results, outbox
from arabesque.app.outbox import WAKE, ClaimedEffect
from arabesque.effects.egress import EgressPolicy, EgressRefused, allow_private_from_env
from arabesque.effects.http import DEFAULT_TIMEOUT, HttpExecutor, Secrets
from arabesque.effects.retry import (
    DEFAULT_MAX_ATTEMPTS,
    Backoff,
    Failure,
    GiveUp,
    plugin_decision,
    webhook_decision,
)
from arabesque.effects.webhook import WebhookSender
from arabesque.engine import HttpCall, HttpRequest
from arabesque.store import Database, utcnow
from arabesque.worker.listener import Listener

__all__ = ["Worker", "WorkerSettings"]

log = logging.getLogger("arabesque.worker")


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    try:
        return float(env.get(name, default))
    except ValueError:
        return default


@dataclass(frozen=True)
class WorkerSettings:
    concurrency: int = 4
    lease: float = 30.0  # seconds a claim lasts without a heartbeat
    poll: float = 5.0  # fallback polling interval
    backoff: Backoff = field(default_factory=Backoff)
    webhook_backoff: Backoff = field(default_factory=lambda: Backoff(base=5.0, cap=3600.0))
    webhook_window: float = 24 * 3600.0
    allow_private: bool = False

    @classmethod
    def from_env(cls, concurrency: int = 4, environ: Mapping[str, str] | None = None) -> WorkerSettings:
        env = os.environ if environ is None else environ
        base = _float(env, "ARABESQUE_RETRY_BASE_SECONDS", 1.0)
        return cls(
            concurrency=concurrency,
            lease=_float(env, "ARABESQUE_WORKER_LEASE_SECONDS", 30.0),
            poll=_float(env, "ARABESQUE_WORKER_POLL_SECONDS", 5.0),
            backoff=Backoff(base=base, cap=_float(env, "ARABESQUE_RETRY_CAP_SECONDS", 300.0)),
            webhook_backoff=Backoff(base=_float(env, "ARABESQUE_WEBHOOK_RETRY_BASE_SECONDS", 5.0), cap=3600.0),
            webhook_window=_float(env, "ARABESQUE_WEBHOOK_RETRY_WINDOW_SECONDS", 24 * 3600.0),
            allow_private=allow_private_from_env(env),
        )


class Worker:
    def __init__(self, db: Database, settings: WorkerSettings | None = None, worker_id: str | None = None) -> None:
        self.db = db
        self.settings = settings or WorkerSettings.from_env()
        self.id = worker_id or f"{os.uname().nodename}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.stopping = threading.Event()
        self.client = httpx.Client(
            limits=httpx.Limits(max_connections=max(10, self.settings.concurrency * 2)), follow_redirects=False
        )
        self.webhooks = WebhookSender(self.client)
        self.inflight: dict[int, ClaimedEffect] = {}
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._hosts: dict[str, tuple[float, list[str]]] = {}
        self.processed = 0

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        if not self.db.sqlite:
            listener = Listener(self.db.url, WAKE, self.stopping)
            listener.start()
            listener.ready.wait(5)
        self._threads.append(threading.Thread(target=self._heartbeat, name="arabesque-heartbeat", daemon=True))
        for i in range(self.settings.concurrency):
            self._threads.append(threading.Thread(target=self._loop, name=f"arabesque-worker-{i}", daemon=True))
        for t in self._threads:
            t.start()
        log.info("worker %s started (%d threads)", self.id, self.settings.concurrency)

    def stop(self, timeout: float = 30.0) -> None:
        """Graceful: stop claiming, let in-flight effects finish (up to `timeout`), give back the rest."""
        self.stopping.set()
        WAKE.notify()
        deadline = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        try:
            outbox.release(self.db, self.id)
        finally:
            self.client.close()

    def run_forever(self) -> None:
        self.start()
        try:
            while not self.stopping.wait(1.0):
                pass
        finally:
            self.stop()

    # -- loops -----------------------------------------------------------------------------------

    def _loop(self) -> None:
        while not self.stopping.is_set():
            seen = WAKE.generation
            try:
                claimed = outbox.claim(self.db, self.id, self.settings.lease)
            except Exception:
                log.exception("claim failed")
                self.stopping.wait(1.0)
                continue
            if not claimed:
                try:
                    wait = outbox.next_due_in(self.db, self.settings.poll)
                except Exception:
                    wait = self.settings.poll
                if wait > 0:
                    WAKE.wait(seen, wait)
                continue
            for effect in claimed:
                with self._lock:
                    self.inflight[effect.pk] = effect
                try:
                    self.process(effect)
                except Exception:
                    log.exception("effect %s (%s) failed; it will be retried", effect.effect_id, effect.effect_type)
                finally:
                    with self._lock:
                        self.inflight.pop(effect.pk, None)
                        self.processed += 1

    def _heartbeat(self) -> None:
        interval = max(0.05, self.settings.lease / 3)
        while not self.stopping.wait(interval):
            try:
                with self._lock:
                    pks = list(self.inflight)
                outbox.heartbeat(self.db, self.id, pks, self.settings.lease)
                if outbox.requeue_stale(self.db):
                    WAKE.notify()
            except Exception:
                log.exception("heartbeat failed")

    # -- effects ---------------------------------------------------------------------------------

    def process(self, effect: ClaimedEffect) -> None:
        if effect.effect_type == "http":
            self._http(effect)
        elif effect.effect_type == "webhook":
            self._webhook(effect)
        elif effect.effect_type == "child":
            children.start_child(self.db, effect)
        else:  # notifications: no subscribers in the service yet
            effect_results.finish_effect(self.db, effect)

    def _egress(self, project_id: str) -> EgressPolicy:
        now = time.monotonic()
        cached = self._hosts.get(project_id)
        if cached is None or now - cached[0] > 5.0:
            cached = (now, effect_results.project_allowed_hosts(self.db, project_id))
            self._hosts[project_id] = cached
        return EgressPolicy(allow_private=self.settings.allow_private, allowed_hosts=cached[1])

    def _http(self, effect: ClaimedEffect) -> None:
        payload = effect.payload
        call = HttpCall(
            id=effect.effect_id,
            plugin=effect.plugin,
            request=HttpRequest.from_json(payload["request"]),
            awaits_outcome=bool(payload.get("awaitsOutcome")),
        )
        project = effect.project_id
        secrets = Secrets(store=lambda name: effect_results.project_secret(self.db, project, name))
        executor = HttpExecutor(self.client, secrets, egress=self._egress(project))
        timeout = float(payload.get("timeoutSeconds") or DEFAULT_TIMEOUT)
        attempt = executor.attempt(call, timeout)
        if attempt.failure is not None:
            limit = effect.max_attempts or DEFAULT_MAX_ATTEMPTS
            decision = plugin_decision(effect.attempts, limit, attempt.failure, self.settings.backoff, random.random())
            if not isinstance(decision, GiveUp):
                effect_results.retry_http_later(self.db, effect, attempt.outcome, decision.delay)
                return
        effect_results.apply_http_result(self.db, effect, attempt.outcome)

    def _webhook(self, effect: ClaimedEffect) -> None:
        url = str(effect.payload.get("url"))
        try:
            self._egress(effect.project_id).check(url)
        except EgressRefused as exc:
            effect_results.record_webhook_attempt(self.db, effect, None, f"refused: {exc}", 0, None, dead=True)
            return
        secret = effect_results.webhook_secret(self.db, effect)
        delivery = self.webhooks.send(url, effect.effect_id, effect.payload.get("body"), secret)
        if delivery.ok:
            effect_results.record_webhook_attempt(
                self.db, effect, delivery.status_code, None, delivery.latency_ms, None
            )
            return
        failure = (
            Failure("status", delivery.status_code, delivery.retry_after)
            if delivery.status_code is not None
            else Failure("timeout" if delivery.timed_out else "connect")
        )
        created = effect.created_at if effect.created_at.tzinfo else effect.created_at.replace(tzinfo=UTC)
        elapsed = (utcnow() - created).total_seconds()
        decision = webhook_decision(
            effect.attempts,
            elapsed,
            failure,
            self.settings.webhook_backoff,
            random.random(),
            self.settings.webhook_window,
        )
        dead = isinstance(decision, GiveUp)
        retry_in = None if isinstance(decision, GiveUp) else decision.delay
        effect_results.record_webhook_attempt(
            self.db, effect, delivery.status_code, delivery.error, delivery.latency_ms, retry_in, dead=dead
        )
