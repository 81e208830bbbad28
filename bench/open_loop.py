"""Open-loop load: requests sent at a fixed arrival rate, whatever the server's answers do.

A closed-loop client (N connections, each sending its next request when the last answer arrives) slows down with
the server and so hides its queueing. Here request i is due at `start + i / rate`; it goes out on an idle keep-alive
connection (a new one when none is idle), and its latency is counted from when it was due, not from when it went
out, so a generator that falls behind cannot hide the wait either (coordinated omission). `late_ms` reports how far
behind schedule sends started: when it grows, the generator, not the server, is the bottleneck.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from http1 import Connection

__all__ = ["OpenLoop", "open_loop", "percentile"]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(q * len(ordered) + 0.999999) - 1))]


@dataclass
class OpenLoop:
    """What one open-loop phase saw."""

    rate: float
    seconds: float
    offered: int = 0
    statuses: Counter[int] = field(default_factory=Counter)  # 0: no answer (connection error, timeout)
    ok_ms: list[float] = field(default_factory=list)  # latencies of 2xx answers, from when each request was due
    rejected_ms: list[float] = field(default_factory=list)  # of 503 answers
    other_ms: list[float] = field(default_factory=list)  # of anything else
    late_ms: list[float] = field(default_factory=list)  # how late each send started
    client_cpu_s: float = 0.0
    connections: int = 0
    first_error: str = ""
    after_sending: float | None = None  # what `then` returned (e.g. seconds until latency was normal again)
    machine_steal: float = 0.0  # share of the cores' time the hypervisor gave to other machines (set by the caller)

    @property
    def slowest_ms(self) -> float:
        return max(self.ok_ms + self.rejected_ms + self.other_ms, default=float("nan"))

    def summary(self) -> dict[str, float]:
        ok = self.statuses.get(200, 0)
        return {
            "offered_rps": self.rate,
            "seconds": self.seconds,
            "offered": self.offered,
            "ok": ok,
            "rejected_503": self.statuses.get(503, 0),
            "failed": self.offered - ok - self.statuses.get(503, 0),
            "p50_ms": percentile(self.ok_ms, 0.50),
            "p99_ms": percentile(self.ok_ms, 0.99),
            "rejected_p99_ms": percentile(self.rejected_ms, 0.99),
            "slowest_ms": self.slowest_ms,
            "late_p99_ms": percentile(self.late_ms, 0.99),
            "client_cpu_ms_per_request": self.client_cpu_s * 1000 / max(1, self.offered),
            "connections": self.connections,
            "machine_steal": self.machine_steal,
        }


async def open_loop(
    host: str,
    port: int,
    key: str,
    rate: float,
    seconds: float,
    make: Callable[[int], tuple[str, bytes]],
    timeout: float = 60.0,
    max_connections: int = 1024,
    then: Callable[[], Awaitable[float]] | None = None,
) -> OpenLoop:
    """Send `rate * seconds` POSTs at a fixed rate (`make(i)` gives path and body, called before the clock
    starts); wait for every answer (at most `timeout` seconds each); return what was seen. `then` starts as the
    last request goes out, while answers are still due (its result is `after_sending`)."""
    result = OpenLoop(rate=rate, seconds=seconds)
    count = int(rate * seconds)
    requests = [make(i) for i in range(count)]
    # First in, first out: every connection keeps being used, so none sits idle long enough for the server's
    # keep-alive timeout to close it under a request.
    idle: deque[Connection] = deque()
    loop = asyncio.get_running_loop()

    async def one(i: int, due: float) -> None:
        result.late_ms.append((loop.time() - due) * 1000)
        conn = idle.popleft() if idle else None
        if conn is None:
            if result.connections >= max_connections:
                result.statuses[0] += 1
                result.first_error = result.first_error or f"over {max_connections} connections open"
                return
            result.connections += 1
            conn = Connection(host, port, key)
        path, body = requests[i]
        try:
            async with asyncio.timeout(timeout):  # cheaper than wait_for: no extra task per request
                status, data = await conn.post(path, body)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            await conn.close()
            result.connections -= 1
            result.statuses[0] += 1
            result.first_error = result.first_error or repr(exc)
            return
        elapsed = (loop.time() - due) * 1000
        result.statuses[status] += 1
        if 200 <= status < 300:
            result.ok_ms.append(elapsed)
        elif status == 503:
            result.rejected_ms.append(elapsed)
        else:
            result.other_ms.append(elapsed)
            result.first_error = result.first_error or f"{status} {data[:200]!r}"
        idle.append(conn)

    cpu = time.process_time()
    start = loop.time() + 0.05
    tasks: set[asyncio.Task[None]] = set()
    for i in range(count):
        due = start + i / rate
        wait = due - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        task = asyncio.create_task(one(i, due))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    following = asyncio.create_task(then()) if then is not None else None
    while tasks:
        await asyncio.gather(*tasks)
    if following is not None:
        result.after_sending = await following
    result.offered = count
    result.client_cpu_s = time.process_time() - cpu
    for conn in idle:
        await conn.close()
    return result


async def recovery_seconds(
    host: str,
    port: int,
    key: str,
    make: Callable[[int], tuple[str, bytes]],
    normal_ms: float,
    limit: float = 30.0,
    probes_per_second: float = 10.0,
    streak: int = 5,
) -> float:
    """Seconds from now until `streak` probes in a row (one at a time, `probes_per_second`) are answered 200
    within `normal_ms`; `limit` when that never happens within it."""
    conn = Connection(host, port, key)
    start = time.perf_counter()
    good, i = 0, 0
    try:
        while time.perf_counter() - start < limit:
            sent = time.perf_counter()
            path, body = make(i)
            i += 1
            try:
                status, _ = await asyncio.wait_for(conn.post(path, body), limit)
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
                await conn.close()
                status = 0
            took = (time.perf_counter() - sent) * 1000
            good = good + 1 if status == 200 and took <= normal_ms else 0
            if good >= streak:
                return time.perf_counter() - start - (streak - 1) / probes_per_second
            await asyncio.sleep(max(0.0, 1 / probes_per_second - (time.perf_counter() - sent)))
    finally:
        await conn.close()
    return limit
