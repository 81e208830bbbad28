"""`arabesque_workflow_transitions_total`: each transition counted once its transaction has committed.

`apply_step` hands a step's transitions to its transaction (`count_when_committed`); they are counted after the
commit, and never for a transaction retried or refused after its step. Counting is in memory: no statement is added
to the run and event paths (tests/api/test_statement_counts.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from arabesque.observability.metrics import count_transition
from arabesque.store import Transaction

__all__ = ["count_when_committed"]


def count_when_committed(tx: Transaction, definition_id: str, transitions: Iterable[tuple[str, str, str]]) -> None:
    """Count `transitions` ((event, from, to) of `definition_id`) when `tx` commits."""
    moves = [(source, target) for _event, source, target in transitions]

    def count() -> None:
        for source, target in moves:
            count_transition(definition_id, source, target)

    if moves:
        tx.after_commit(count)
