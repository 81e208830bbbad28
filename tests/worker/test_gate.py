"""The worker's database gate: closed by a failure, opened by the first probe the database answers."""

from __future__ import annotations

import threading

from arabesque.worker.gate import DatabaseGate


def test_the_gate_stays_closed_until_a_probe_is_answered_then_opens_for_every_waiter() -> None:
    answers = iter([False, False, True])
    probes: list[bool] = []
    opened = threading.Event()

    def ping() -> None:
        answer = next(answers)
        probes.append(answer)
        if not answer:
            raise ConnectionError("down")

    gate = DatabaseGate(ping, base=0.001, cap=0.01, on_open=opened.set)
    never = threading.Event()
    assert gate.wait(never) and probes == []  # open: nothing to probe
    gate.down(ConnectionError("down"))
    assert not gate.open
    results: list[bool] = []
    waiters = [threading.Thread(target=lambda: results.append(gate.wait(never))) for _ in range(4)]
    for t in waiters:
        t.start()
    for t in waiters:
        t.join(30)
    assert results == [True] * 4 and gate.open and opened.is_set()
    assert probes == [False, False, True] and gate.failed_probes == 2 and gate.outages == 1


def test_a_waiter_gives_up_when_told_to() -> None:
    def ping() -> None:
        raise ConnectionError("down")

    gate = DatabaseGate(ping, base=0.001, cap=0.01)
    gate.down(ConnectionError("down"))
    stop = threading.Event()
    stop.set()
    assert gate.wait(stop) is False
