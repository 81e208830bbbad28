"""Whether the database answers, as the worker's threads see it: while it does not, they neither claim nor send.

A worker that cannot record outcomes must not keep calling vendors: every call it made would be made again
once its claim runs out. So the first thread whose database work fails for want of a database (`down`) closes
the gate; from then on every thread that is about to claim, send or record waits at it (`wait`). One waiting
thread at a time probes the database (`SELECT 1`), with exponential backoff between probes; the first answer
opens the gate for all of them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

__all__ = ["DatabaseGate"]

log = logging.getLogger("arabesque.worker")


class DatabaseGate:
    def __init__(
        self,
        ping: Callable[[], None],
        base: float = 0.1,
        cap: float = 5.0,
        on_open: Callable[[], None] | None = None,
    ) -> None:
        """`ping` raises while the database does not answer; probes back off from `base` to `cap` seconds;
        `on_open` runs in the probing thread when the gate opens again."""
        self._ping, self.base, self.cap, self._on_open = ping, base, cap, on_open
        self._cond = threading.Condition()
        self._open = True
        self._probing = False
        self._delay = base
        self._next_probe = 0.0
        self._closed_at = 0.0
        self.outages = 0  # times the gate closed
        self.failed_probes = 0  # probes the database did not answer

    @property
    def open(self) -> bool:
        return self._open

    def down(self, exc: BaseException) -> None:
        """The database did not answer `exc`'s caller: close the gate (claims and sends wait)."""
        with self._cond:
            if not self._open:
                return
            now = time.monotonic()
            self._open, self._closed_at, self._delay, self._next_probe = False, now, self.base, now + self.base
            self.outages += 1
        log.warning("database unavailable (%s): claims and sends paused until it answers", type(exc).__name__)

    def wake(self) -> None:
        """Make waiting threads look at their `until` event again (stop)."""
        with self._cond:
            self._cond.notify_all()

    def wait(self, until: threading.Event) -> bool:
        """Return True once the database answers (at once while the gate is open); False if `until` is set first
        (call `wake` after setting it)."""
        while True:
            with self._cond:
                if self._open:
                    return True
                if until.is_set():
                    return False
                pause = self._next_probe - time.monotonic()
                if self._probing or pause > 0:  # another thread probes, or the next probe is not due yet
                    self._cond.wait(self.cap if self._probing else pause)
                    continue
                self._probing = True
            answered = self._probe()
            with self._cond:
                self._probing = False
                if answered:
                    self._open = True
                    outage = time.monotonic() - self._closed_at
                else:
                    self.failed_probes += 1
                    self._next_probe = time.monotonic() + self._delay
                    self._delay = min(self.cap, self._delay * 2)
                self._cond.notify_all()
            if answered:
                log.info("database answers again after %.1f s: claims and sends resume", outage)
                if self._on_open is not None:
                    self._on_open()
                return True

    def _probe(self) -> bool:
        try:
            self._ping()
        except Exception:
            return False
        return True
