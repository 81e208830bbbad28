"""The worker: claim due outbox rows, execute them through `effects/`, hand each result to an `app/` use case.

Three kinds of thread, so that claiming, network time and recording overlap:

- the claimer (`arabesque-worker-claim`) claims due rows in batches (one transaction per batch), as long as
  fewer than `capacity` effects are held, and hands each to the pool; when nothing is due it sleeps on the
  process's `WAKE` (bumped by in-process commits and, on PostgreSQL, by the LISTEN thread), with polling as
  the fallback;
- `concurrency` pool threads (`arabesque-worker-N`) execute effects: a webhook is signed and sent, and its
  attempt queued for the recorder; a plugin call is sent and its outcome applied under the runtime's lock
  (one transaction per effect: it changes a runtime); a child start runs its transaction;
- the recorder (`arabesque-worker-record`) writes every queued webhook attempt (and finished notification) in
  one transaction per drained batch.

An effect stays held (its row `running`, its lease renewed by the heartbeat thread) from its claim until its
outcome is recorded. The heartbeat also re-queues rows whose lease ran out (a worker killed with SIGKILL).
`stop()` stops claiming, lets effects that started finish and be recorded, then gives back the rest.
"""

from __future__ import annotations

import logging
import os
import queue
import random
import threading
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass, field
from datetime import UTC

import httpx

from arabesque.app import children, effect_results, outbox
from arabesque.app.effect_results import SecretCache, WebhookResult
from arabesque.app.outbox import WAKE, ClaimedEffect
from arabesque.effects.egress import EgressPolicy, EgressRefused, Unresolved, allow_private_from_env
from arabesque.effects.http import DEFAULT_TIMEOUT, HttpExecutor, Secrets
from arabesque.effects.retry import (
    DEFAULT_MAX_ATTEMPTS,
    Backoff,
    Failure,
    GiveUp,
    plugin_decision,
    webhook_decision,
)
from arabesque.effects.webhook import Delivery, WebhookSender
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
    batch: int = 32  # most rows claimed per transaction
    capacity: int = 0  # most effects held at once (claimed, not yet recorded); 0: max(4 x concurrency, 2 x batch)
    cache_ttl: float = 5.0  # seconds secrets and egress settings are cached

    @property
    def held(self) -> int:
        return self.capacity if self.capacity > 0 else max(4 * max(1, self.concurrency), 2 * self.batch)

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


_STOP = object()


def idempotency_key(effect: ClaimedEffect) -> str:
    """The `Idempotency-Key` of a plugin call: the same on every retry of one effect. Plugin effect ids count
    per runtime (`e1`, `e2`...), so the runtime's id makes the key unique across cases."""
    return f"{effect.runtime_id}:{effect.effect_id}"


class Worker:
    def __init__(self, db: Database, settings: WorkerSettings | None = None, worker_id: str | None = None) -> None:
        self.db = db
        self.settings = settings or WorkerSettings.from_env()
        self.id = worker_id or f"{os.uname().nodename}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.stopping = threading.Event()
        limits = httpx.Limits(max_connections=max(10, self.settings.concurrency * 2))
        # Two pools: one for targets that must be public (each new connection checked by the egress guard), one
        # for those the policy lets reach any address, so neither reuses the other's connections.
        self.client = httpx.Client(limits=limits, follow_redirects=False)
        self.trusted_client = httpx.Client(limits=limits, follow_redirects=False)
        self.webhooks = WebhookSender(self.client, trusted_client=self.trusted_client)
        self.secrets = SecretCache(db, self.settings.cache_ttl)
        self.inflight: dict[int, ClaimedEffect] = {}
        self._lock = threading.Lock()
        self._freed = threading.Condition(self._lock)
        self._threads: list[threading.Thread] = []
        self._recorder: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._futures: dict[Future[None], ClaimedEffect] = {}
        self._results: queue.Queue[object] = queue.Queue()
        self._hosts: dict[str, tuple[float, list[str]]] = {}
        self.processed = 0

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        if not self.db.sqlite:
            listener = Listener(self.db.url, WAKE, self.stopping)
            listener.start()
            listener.ready.wait(5)
        self._pool = ThreadPoolExecutor(max(1, self.settings.concurrency), thread_name_prefix="arabesque-worker")
        self._recorder = threading.Thread(target=self._record_loop, name="arabesque-worker-record", daemon=True)
        self._threads.append(threading.Thread(target=self._heartbeat, name="arabesque-heartbeat", daemon=True))
        self._threads.append(threading.Thread(target=self._claim_loop, name="arabesque-worker-claim", daemon=True))
        self._recorder.start()
        for t in self._threads:
            t.start()
        log.info("worker %s started (%d threads)", self.id, self.settings.concurrency)

    def stop(self, timeout: float = 30.0) -> None:
        """Graceful: stop claiming, let started effects finish and be recorded (up to `timeout`), give back
        the rest (claimed but not started, or not recorded in time: they are due again at once)."""
        self.stopping.set()
        WAKE.notify()
        with self._freed:
            self._freed.notify_all()
        deadline = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        try:
            if self._pool is not None:
                with self._lock:
                    futures = dict(self._futures)
                for f, effect in futures.items():
                    if f.cancel():  # not started: nothing was sent, release() gives the row back
                        self._done([effect])
                wait_futures(list(futures), max(0.0, deadline - time.monotonic()))
                self._pool.shutdown(wait=False, cancel_futures=True)
            if self._recorder is not None:
                self._results.put(_STOP)
                self._recorder.join(max(0.0, deadline - time.monotonic()))
        finally:
            try:
                outbox.release(self.db, self.id)
            finally:
                self.client.close()
                self.trusted_client.close()

    def run_forever(self) -> None:
        self.start()
        try:
            while not self.stopping.wait(1.0):
                pass
        finally:
            self.stop()

    # -- loops -----------------------------------------------------------------------------------

    def _claim_loop(self) -> None:
        assert self._pool is not None
        limit = self.settings.held
        while not self.stopping.is_set():
            with self._freed:
                free = limit - len(self.inflight)
                if free <= 0:
                    self._freed.wait(1.0)
                    continue
            seen = WAKE.generation
            try:
                batch = self.settings.batch
                claimed = outbox.claim(self.db, self.id, self.settings.lease, limit=min(free, batch), window=batch)
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
            hooks = [e for e in claimed if e.effect_type == "webhook"]
            try:
                secrets = self.secrets.webhook_secrets(hooks) if hooks else {}
            except Exception:
                log.exception("secret lookup failed; the effects will be retried")
                secrets = None
            with self._lock:
                for effect in claimed:
                    self.inflight[effect.pk] = effect
            if secrets is None:  # give them back through the lease: nothing was sent
                self._done(claimed)
                self.stopping.wait(1.0)
                continue
            for effect in claimed:
                with self._lock:
                    future = self._pool.submit(self._run, effect, secrets.get(effect.pk))
                    self._futures[future] = effect
                future.add_done_callback(self._forget)

    def _forget(self, future: Future[None]) -> None:
        with self._lock:
            self._futures.pop(future, None)

    def _done(self, effects: list[ClaimedEffect]) -> None:
        with self._freed:
            for effect in effects:
                if self.inflight.pop(effect.pk, None) is not None:
                    self.processed += 1
            self._freed.notify_all()

    def _run(self, effect: ClaimedEffect, secret: str | None) -> None:
        queued = False
        try:
            if effect.effect_type == "webhook":
                self._results.put(self.deliver(effect, secret))
                queued = True
            elif effect.effect_type in ("http", "child"):
                self.process(effect)
            else:  # notifications: no subscribers in the service yet
                self._results.put(effect)
                queued = True
        except Exception:
            log.exception("effect %s (%s) failed; it will be retried", effect.effect_id, effect.effect_type)
        finally:
            if not queued:
                self._done([effect])

    def _record_loop(self) -> None:
        stop = False
        while not stop:
            items = [self._results.get()]
            while len(items) < 512:
                try:
                    items.append(self._results.get_nowait())
                except queue.Empty:
                    break
            stop = any(i is _STOP for i in items)
            attempts = [i for i in items if isinstance(i, WebhookResult)]
            finished = [i for i in items if isinstance(i, ClaimedEffect)]
            try:
                effect_results.record_webhook_attempts(self.db, attempts)
                effect_results.finish_effects(self.db, finished)
            except Exception:
                # not recorded: the rows stay claimed until their lease runs out, then are delivered again
                log.exception("recording %d outcomes failed; they will be retried", len(attempts) + len(finished))
            self._done([a.effect for a in attempts] + finished)

    def _heartbeat(self) -> None:
        interval = max(0.05, self.settings.lease / 3)
        while not self.stopping.wait(interval):
            try:
                with self._lock:
                    pks = list(self.inflight)
                outbox.heartbeat(self.db, self.id, pks, self.settings.lease)
                stale = outbox.requeue_stale(self.db)
                if stale:
                    log.warning("re-queued %d effects whose lease ran out (a worker stopped renewing it)", stale)
                    WAKE.notify()
            except Exception:
                log.exception("heartbeat failed")

    # -- effects ---------------------------------------------------------------------------------

    def process(self, effect: ClaimedEffect) -> None:
        """Execute one claimed effect and record its outcome, in the calling thread."""
        if effect.effect_type == "http":
            self._http(effect)
        elif effect.effect_type == "webhook":
            [secret] = self.secrets.webhook_secrets([effect]).values()
            effect_results.record_webhook_attempts(self.db, [self.deliver(effect, secret)])
        elif effect.effect_type == "child":
            children.start_child(self.db, effect)
        else:  # notifications: no subscribers in the service yet
            effect_results.finish_effect(self.db, effect)

    def _egress(self, project_id: str) -> EgressPolicy:
        if self.settings.allow_private:  # every target is allowed: no need for the project's allow-list
            return EgressPolicy(allow_private=True)
        now = time.monotonic()
        cached = self._hosts.get(project_id)
        if cached is None or now - cached[0] > self.settings.cache_ttl:
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
        secrets = Secrets(store=lambda name: self.secrets.project_secret(project, name))
        executor = HttpExecutor(self.client, secrets, egress=self._egress(project), trusted_client=self.trusted_client)
        timeout = float(payload.get("timeoutSeconds") or DEFAULT_TIMEOUT)
        attempt = executor.attempt(call, timeout, idempotency_key(effect))
        if attempt.failure is not None:
            limit = effect.max_attempts or DEFAULT_MAX_ATTEMPTS
            decision = plugin_decision(effect.attempts, limit, attempt.failure, self.settings.backoff, random.random())
            if not isinstance(decision, GiveUp):
                effect_results.retry_http_later(self.db, effect, attempt.outcome, decision.delay)
                return
        effect_results.apply_http_result(self.db, effect, attempt.outcome)

    def deliver(self, effect: ClaimedEffect, secret: str | None) -> WebhookResult:
        """Send one webhook attempt (signed with `secret`) and decide what follows; nothing is recorded."""
        url = str(effect.payload.get("url"))
        egress = self._egress(effect.project_id)
        try:
            egress.check(url)
            guard = egress.connect_guard(url)
            delivery = self.webhooks.send(url, effect.effect_id, effect.payload.get("body"), secret, guard)
        except EgressRefused as exc:
            return WebhookResult(effect, None, f"refused: {exc}", 0, None, dead=True)
        except Unresolved as exc:  # DNS fails transiently too: retried like a connection error
            delivery = Delivery(None, str(exc), 0)
        if delivery.ok:
            return WebhookResult(effect, delivery.status_code, None, delivery.latency_ms)
        if delivery.invalid:
            return WebhookResult(effect, None, delivery.error, delivery.latency_ms, None, dead=True)
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
        return WebhookResult(effect, delivery.status_code, delivery.error, delivery.latency_ms, retry_in, dead=dead)
