"""The worker: claim due outbox rows, execute them through `effects/`, hand each result to an `app/` use case.

Three kinds of thread, so that claiming, network time and recording overlap:

- the claimer (`arabesque-worker-claim`) claims due rows in batches (one transaction per batch), as long as
  fewer than `capacity` effects are held, and hands each to the pool; when nothing is due it sleeps on the
  process's `WAKE` (bumped by in-process commits and, on PostgreSQL, by the LISTEN thread), with polling as
  the fallback;
- `concurrency` pool threads (`arabesque-worker-N`) execute effects: a webhook is signed and sent, and its
  attempt queued for the recorder; a plugin call (or an e-mail) is sent and its outcome applied under the
  runtime's lock (one transaction per effect: it changes a runtime); a child start runs its transaction;
- the recorder (`arabesque-worker-record`) writes every queued webhook attempt (and finished notification) in
  one transaction per drained batch.

An effect stays held (its row `running`, its lease renewed by the heartbeat thread) from its claim until its
outcome is recorded. The heartbeat also re-queues rows whose lease ran out more than `lease_grace` seconds ago
(a worker killed with SIGKILL). `stop()` stops claiming, lets effects that started finish and be recorded, then
gives back the rest.

Failures. Whatever goes wrong while executing an effect is a failed attempt, recorded with `last_error` and
subject to the plugin's `maxAttempts` or the webhook's retry window; nothing is left to the lease to retry for
ever. The exception is the database itself: while it does not answer (`store.database_unavailable`), the `DatabaseGate`
closes, no thread claims or sends, and an outcome already obtained is kept and recorded once the database
answers again (with backoff), so a vendor is not called again for want of a place to write its answer.
"""

from __future__ import annotations

import logging
import os
import queue
import random
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from functools import partial
from typing import TypeVar

import httpx

from arabesque.app.access.projects import project_allowed_hosts
from arabesque.app.collection_flow.message_tokens import with_link_tokens
from arabesque.app.outcomes.apply_http_result import apply_http_result, retry_http_later
from arabesque.app.outcomes.fail_effect import fail_effect
from arabesque.app.outcomes.finish_effect import finish_effect, finish_effects
from arabesque.app.retention import Retention
from arabesque.app.secrets.secret_cache import SecretCache
from arabesque.app.webhooks.record_attempts import WebhookResult, record_webhook_attempts
from arabesque.app.workflows import children
from arabesque.effects.egress import EgressPolicy, EgressRefused, Unresolved
from arabesque.effects.email import EmailExecutor, EmailSettings, SmtpServer
from arabesque.effects.http import DEFAULT_TIMEOUT, Attempt, HttpExecutor, Secrets, describe
from arabesque.effects.retry import (
    DEFAULT_MAX_ATTEMPTS,
    Backoff,
    Failure,
    GiveUp,
    plugin_decision,
    webhook_decision,
)
from arabesque.effects.webhook import Delivery, WebhookSender
from arabesque.engine import EmailCall, HttpCall, HttpOutcome, HttpRequest
from arabesque.settings import Settings
from arabesque.store import Database, database_unavailable, outbox, utcnow
from arabesque.store.outbox import WAKE, ClaimedEffect
from arabesque.worker.attempts import attempt_context, observe_attempt, observe_delivery
from arabesque.worker.gate import DatabaseGate
from arabesque.worker.listener import Listener
from arabesque.worker.retention import RetentionJob

__all__ = ["Worker", "WorkerSettings"]

log = logging.getLogger("arabesque.worker")


@dataclass(frozen=True)
class WorkerSettings:
    concurrency: int = 4
    lease: float = 30.0  # seconds a claim lasts without a heartbeat
    lease_grace: float = 30.0  # seconds past an expired lease before its effect is run again (late heartbeats)
    poll: float = 5.0  # fallback polling interval
    backoff: Backoff = field(default_factory=Backoff)
    webhook_backoff: Backoff = field(default_factory=lambda: Backoff(base=5.0, cap=3600.0))
    webhook_window: float = 24 * 3600.0
    allow_private: bool = False
    batch: int = 32  # most rows claimed per transaction
    capacity: int = 0  # most effects held at once (claimed, not yet recorded); 0: max(4 x concurrency, 2 x batch)
    cache_ttl: float = 5.0  # seconds secrets and egress settings are cached
    retention: Retention = field(default_factory=Retention)  # what the periodic pruning keeps, for how long
    retention_interval: float = 3600.0  # seconds between prunings; 0: never prune
    email: EmailSettings = field(default_factory=EmailSettings)  # the sender, SMTP server, public URL

    @property
    def held(self) -> int:
        return self.capacity if self.capacity > 0 else max(4 * max(1, self.concurrency), 2 * self.batch)

    @classmethod
    def from_settings(cls, settings: Settings, concurrency: int = 4) -> WorkerSettings:
        days = settings.retention_days
        return cls(
            concurrency=concurrency,
            lease=settings.worker_lease_seconds,
            lease_grace=settings.worker_lease_grace_seconds,
            poll=settings.worker_poll_seconds,
            backoff=Backoff(base=settings.retry_base_seconds, cap=settings.retry_cap_seconds),
            webhook_backoff=Backoff(base=settings.webhook_retry_base_seconds, cap=3600.0),
            webhook_window=settings.webhook_retry_window_seconds,
            allow_private=settings.allow_private_urls,
            # Finished outbox rows and webhook attempts; idempotency records and sign-in failures are kept as
            # long as they count, no longer.
            retention=Retention(finished=timedelta(days=days) if days > 0 else None),
            retention_interval=settings.retention_interval_seconds,
            email=EmailSettings(
                sender=settings.email_sender,
                from_email=settings.email_from,
                public_url=settings.public_url,
                smtp=SmtpServer(
                    host=settings.smtp_host,
                    port=settings.smtp_port,
                    security=settings.smtp_security,
                    user=settings.smtp_user,
                    password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
                ),
            ),
        )


_STOP = object()
_LOOKUP = object()  # a webhook's signing secret is looked up by the thread that sends it
DB_RETRY_BASE = 0.1  # seconds before trying a write again when the database did not answer; doubles
DB_RETRY_CAP = 5.0
T = TypeVar("T")


class Abandoned(Exception):
    """`stop()` gave up waiting for the database: the outcome is not recorded; the effect runs again after its
    lease (at least once)."""


def idempotency_key(effect: ClaimedEffect) -> str:
    """The `Idempotency-Key` of a plugin call: the same on every retry of one effect. Plugin effect ids count
    per runtime (`e1`, `e2`...), so the runtime's id makes the key unique across cases."""
    return f"{effect.runtime_id}:{effect.effect_id}"


class Worker:
    def __init__(self, db: Database, settings: WorkerSettings | None = None, worker_id: str | None = None) -> None:
        self.db = db
        self.settings = settings or WorkerSettings()
        self.id = worker_id or f"{os.uname().nodename}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.stopping = threading.Event()  # stop claiming
        self._abandon = threading.Event()  # stop waiting for the database (stop()'s deadline passed)
        self._finished = threading.Event()  # stop renewing leases
        self._beat = threading.Event()  # renew leases now (the database answers again)
        self.gate = DatabaseGate(db.ping, on_open=self._beat.set)
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
        self._claimer: threading.Thread | None = None
        self._heartbeat_thread: threading.Thread | None = None
        self._recorder: threading.Thread | None = None
        self.retention: RetentionJob | None = None
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
        self._heartbeat_thread = threading.Thread(target=self._heartbeat, name="arabesque-heartbeat", daemon=True)
        self._claimer = threading.Thread(target=self._claim_loop, name="arabesque-worker-claim", daemon=True)
        for t in (self._recorder, self._heartbeat_thread, self._claimer):
            t.start()
        if self.settings.retention_interval > 0:
            self.retention = RetentionJob(
                self.db, self.settings.retention, self.settings.retention_interval, self.stopping, self.gate
            )
            self.retention.start()
        log.info("worker %s started (%d threads)", self.id, self.settings.concurrency)

    def stop(self, timeout: float = 30.0) -> None:
        """Graceful: stop claiming, let started effects finish and be recorded (up to `timeout`), give back
        the rest (claimed but not started, or not recorded in time: they are due again at once). Leases are
        renewed until the end, so nothing is run twice meanwhile."""
        self.stopping.set()
        WAKE.notify()
        self.gate.wake()
        with self._freed:
            self._freed.notify_all()
        deadline = time.monotonic() + timeout
        try:
            if self._claimer is not None:
                self._claimer.join(max(0.0, deadline - time.monotonic()))
            if self._pool is not None:
                with self._lock:
                    futures = dict(self._futures)
                for f, effect in futures.items():
                    if f.cancel():  # not started: nothing was sent, release() gives the row back
                        self._done([effect])
                wait_futures(list(futures), max(0.0, deadline - time.monotonic()))
            if self._recorder is not None:
                self._results.put(_STOP)
                self._recorder.join(max(0.0, deadline - time.monotonic()))
        finally:
            self._abandon.set()  # whatever still waits for the database gives up now
            self.gate.wake()
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
            self._finished.set()
            self._beat.set()
            for thread in (self._heartbeat_thread, self.retention):
                if thread is not None:
                    thread.join(5.0)
            try:
                outbox.release(self.db, self.id)
            except Exception as exc:  # the database is down: the leases give the rows back
                log.warning("could not give back the effects still held (%s); their leases will", describe(exc))
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

    # -- the database: wait while it does not answer ------------------------------------------------

    def _with_database(self, work: Callable[[], T]) -> T:
        """Run `work` (database reads or a transaction) once the database answers; while it fails for want of
        a database, close the gate and try again with backoff. Any other exception propagates; `Abandoned` when
        stop()'s deadline passes first."""
        delay = DB_RETRY_BASE
        while True:
            if not self.gate.wait(self._abandon):
                raise Abandoned
            try:
                return work()
            except Exception as exc:
                if not database_unavailable(exc):
                    raise
                self.gate.down(exc)
            if self._abandon.wait(delay):
                raise Abandoned
            delay = min(DB_RETRY_CAP, delay * 2)

    def _execute(self, effect: ClaimedEffect, send: Callable[[], T], failed: Callable[[str], T]) -> T:
        """The outbound side of an effect: `send` reads what it needs from the database, then sends. A database
        that does not answer stops it before anything is sent (wait, start over); any other exception is a
        failed attempt, `failed(error)`."""
        try:
            return self._with_database(send)
        except Abandoned:
            raise
        except Exception as exc:
            log.exception(
                "effect %s (%s) failed unexpectedly; counted as a failed attempt", effect.effect_id, effect.effect_type
            )
            return failed(f"internal error: {describe(exc)}")

    def _record(self, effect: ClaimedEffect, write: Callable[[], object], failed: Callable[[str], object]) -> None:
        """Record an effect's outcome (`write`, one transaction), waiting for the database while it does not
        answer: the outcome is kept, the call is not made again. A write that fails otherwise (the outcome
        cannot be stored) counts as a failed attempt, `failed(error)`; if even that fails, the effect is
        dead-lettered with the error."""
        try:
            self._with_database(write)
            return
        except Abandoned:
            raise
        except Exception as exc:
            error = f"internal error: {describe(exc)}"
            log.exception("recording the outcome of effect %s failed; counted as a failed attempt", effect.effect_id)
        try:
            self._with_database(lambda: failed(error))
        except Abandoned:
            raise
        except Exception:
            log.exception("recording effect %s as failed failed too; dead-lettering it", effect.effect_id)
            self._with_database(lambda: fail_effect(self.db, effect, error, None, audit=False))

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
            if not self.gate.wait(self.stopping):  # paused while the database does not answer
                break
            seen = WAKE.generation
            try:
                batch = self.settings.batch
                claimed = outbox.claim(self.db, self.id, self.settings.lease, limit=min(free, batch), window=batch)
            except Exception as exc:
                if database_unavailable(exc):
                    self.gate.down(exc)
                else:
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
                secrets: dict[int, str | None] = self.secrets.webhook_secrets(hooks) if hooks else {}
            except Exception as exc:  # each delivery looks its secret up itself
                log.warning("secret lookup failed (%s); each delivery looks up its own", describe(exc))
                secrets = {}
            with self._lock:
                for effect in claimed:
                    self.inflight[effect.pk] = effect
            for effect in claimed:
                with self._lock:
                    future = self._pool.submit(self._run, effect, secrets.get(effect.pk, _LOOKUP))
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

    def _run(self, effect: ClaimedEffect, secret: object) -> None:
        with attempt_context(effect):
            self._run_attempt(effect, secret)

    def _run_attempt(self, effect: ClaimedEffect, secret: object) -> None:
        queued = False
        try:
            if effect.effect_type == "webhook":
                started = time.perf_counter()
                result = self._execute(
                    effect,
                    lambda: self.deliver(effect, self._secret(effect, secret)),
                    lambda error: self._webhook_failed(effect, error),
                )
                observe_delivery(result, time.perf_counter() - started)
                self._results.put(result)
                queued = True
            elif effect.effect_type == "http":
                self._http(effect)
            elif effect.effect_type == "email":
                self._email(effect)
            elif effect.effect_type == "child":
                self._child(effect)
            else:  # notifications: no subscribers in the service yet
                self._results.put(effect)
                queued = True
        except Abandoned:
            log.warning("effect %s: stopped while the database was unavailable; it will run again", effect.effect_id)
        except Exception:  # a bug in the worker itself: the lease gives the effect back
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
                self._record_batch(attempts, finished)
            except Abandoned:
                log.warning("%d outcomes not recorded (stopped while the database was unavailable)", len(items))
            except Exception:  # a bug: the leases give the effects back
                log.exception("recording %d outcomes failed; they will be retried", len(attempts) + len(finished))
            self._done([a.effect for a in attempts] + finished)

    def _record_batch(self, attempts: list[WebhookResult], finished: list[ClaimedEffect]) -> None:
        """A drained batch: its webhook attempts in one transaction, its finished notifications in another; if
        that fails for another reason than the database, one by one, so that one that cannot be stored does not
        hold up the others."""
        try:
            self._with_database(lambda: record_webhook_attempts(self.db, attempts))
            self._with_database(lambda: finish_effects(self.db, finished))
            return
        except Abandoned:
            raise
        except Exception:
            log.exception(
                "recording %d outcomes at once failed; recording them one by one", len(attempts) + len(finished)
            )
        for attempt in attempts:
            self._record_attempt(attempt)
        for effect in finished:
            self._record(
                effect,
                partial(finish_effect, self.db, effect),
                partial(finish_effect, self.db, effect, "dead"),
            )

    def _record_attempt(self, attempt: WebhookResult) -> None:
        effect = attempt.effect

        def failed(error: str) -> set[int]:
            return record_webhook_attempts(self.db, [self._webhook_failed(effect, error)])

        self._record(effect, partial(record_webhook_attempts, self.db, [attempt]), failed)

    def _heartbeat(self) -> None:
        interval = max(0.05, self.settings.lease / 3)
        while not self._finished.is_set():
            self._beat.wait(interval)
            self._beat.clear()
            if self._finished.is_set() or not self.gate.open:
                continue  # the gate's probe finds out when the database answers, then beats at once
            try:
                with self._lock:
                    pks = list(self.inflight)
                outbox.heartbeat(self.db, self.id, pks, self.settings.lease)
                stale = outbox.requeue_stale(self.db, self.settings.lease_grace)
                if stale:
                    log.warning("re-queued %d effects whose lease ran out (a worker stopped renewing it)", stale)
                    WAKE.notify()
            except Exception as exc:
                if database_unavailable(exc):
                    self.gate.down(exc)
                else:
                    log.exception("heartbeat failed")

    # -- effects ---------------------------------------------------------------------------------

    def _egress(self, project_id: str) -> EgressPolicy:
        if self.settings.allow_private:  # every target is allowed: no need for the project's allow-list
            return EgressPolicy(allow_private=True)
        now = time.monotonic()
        cached = self._hosts.get(project_id)
        if cached is None or now - cached[0] > self.settings.cache_ttl:
            cached = (now, project_allowed_hosts(self.db, project_id))
            self._hosts[project_id] = cached
        return EgressPolicy(allow_private=self.settings.allow_private, allowed_hosts=cached[1])

    def _secret(self, effect: ClaimedEffect, secret: object) -> str | None:
        if secret is _LOOKUP:
            return self.secrets.webhook_secrets([effect])[effect.pk]
        return secret if isinstance(secret, str) else None

    def _http(self, effect: ClaimedEffect) -> None:
        self._attempt_plugin(effect, lambda: self._call(effect))

    def _email(self, effect: ClaimedEffect) -> None:
        """An e-mail plugin's message: rendered and sent once, its outcome applied like a plugin call's (the same
        retry policy, `maxAttempts`, audit and callbacks)."""
        self._attempt_plugin(effect, lambda: self._send_email(effect))

    def _attempt_plugin(self, effect: ClaimedEffect, send: Callable[[], Attempt]) -> None:
        started = time.perf_counter()
        attempt = self._execute(effect, send, lambda error: _failed_attempt(effect, error))
        outcome = "ok" if attempt.failure is None else attempt.failure.kind
        observe_attempt(effect, outcome, time.perf_counter() - started, attempt.outcome.status)
        self._record(
            effect,
            lambda: self._apply_attempt(effect, attempt),
            lambda error: self._apply_attempt(effect, _failed_attempt(effect, error)),
        )

    def _send_email(self, effect: ClaimedEffect) -> Attempt:
        project = effect.project_id
        executor = EmailExecutor(
            self.settings.email,
            lambda name: self.secrets.project_secret(project, name),
            self.client,
            egress=self._egress(project),
            trusted_client=self.trusted_client,
        )
        timeout = float(effect.payload.get("timeoutSeconds") or DEFAULT_TIMEOUT)
        call = with_link_tokens(
            self.db, EmailCall.from_json(effect.payload), project_id=project, runtime_id=effect.runtime_id
        )
        return executor.attempt(call, idempotency_key(effect), timeout)

    def _call(self, effect: ClaimedEffect) -> Attempt:
        """Send a plugin's request once (its secrets and the project's egress settings read first)."""
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
        return executor.attempt(call, timeout, idempotency_key(effect))

    def _apply_attempt(self, effect: ClaimedEffect, attempt: Attempt) -> None:
        """Record a plugin call's attempt: due again after a backoff, or its final outcome applied."""
        if attempt.failure is not None:
            limit = effect.max_attempts or DEFAULT_MAX_ATTEMPTS
            decision = plugin_decision(effect.attempts, limit, attempt.failure, self.settings.backoff, random.random())
            if not isinstance(decision, GiveUp):
                retry_http_later(self.db, effect, attempt.outcome, decision.delay)
                return
        apply_http_result(self.db, effect, attempt.outcome)

    def _child(self, effect: ClaimedEffect) -> None:
        started, outcome = time.perf_counter(), "ok"

        def failed(error: str) -> None:
            nonlocal outcome
            outcome = "error"
            self._child_failed(effect, error)

        try:
            self._record(effect, lambda: children.start_child(self.db, effect), failed)
        finally:
            observe_attempt(effect, outcome, time.perf_counter() - started)

    def _child_failed(self, effect: ClaimedEffect, error: str) -> None:
        limit = effect.max_attempts or DEFAULT_MAX_ATTEMPTS
        decision = plugin_decision(effect.attempts, limit, Failure("error"), self.settings.backoff, random.random())
        retry_in = None if isinstance(decision, GiveUp) else decision.delay
        fail_effect(self.db, effect, error, retry_in)

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
        return self._webhook_decided(effect, delivery.status_code, delivery.error, delivery.latency_ms, failure)

    def _webhook_failed(self, effect: ClaimedEffect, error: str) -> WebhookResult:
        """An attempt at a delivery that failed unexpectedly: retried within the window like any other."""
        return self._webhook_decided(effect, None, error, 0, Failure("error"))

    def _webhook_decided(
        self, effect: ClaimedEffect, status: int | None, error: str | None, latency_ms: int, failure: Failure
    ) -> WebhookResult:
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
        return WebhookResult(effect, status, error, latency_ms, retry_in, dead=dead)


def _failed_attempt(effect: ClaimedEffect, error: str) -> Attempt:
    """A plugin call that failed in an unexpected way: an error outcome, retried up to `maxAttempts`."""
    return Attempt(HttpOutcome(effect.effect_id, error=error), Failure("error"))
