"""The worker: executes the outbox's effects (plugin calls, child starts, webhooks) through `effects/`
and hands their results to `app/`."""

from arabesque.worker.runner import Worker, WorkerSettings

__all__ = ["Worker", "WorkerSettings"]
