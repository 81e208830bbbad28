"""`arabesque_workflow_transitions_total`: each transition counted once its transaction has committed.

`apply_step` notes a step's transitions on the session (`note_transitions`, a list append); they are counted when
the transaction commits and forgotten when it ends otherwise, so a transaction retried or refused after its step
counts nothing. Counting is in memory: no statement is added to the run and event paths
(tests/api/test_statement_counts.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from arabesque.observability.metrics import count_transition

__all__ = ["note_transitions"]

_NOTED = "arabesque_transitions"


def note_transitions(s: Session, definition_id: str, transitions: Iterable[tuple[str, str, str]]) -> None:
    """Count `transitions` ((event, from, to) of `definition_id`) when `s`'s transaction commits."""
    s.info.setdefault(_NOTED, []).append((definition_id, tuple(transitions)))


@event.listens_for(Session, "after_commit")
def _count(session: Session) -> None:
    for definition_id, transitions in session.info.pop(_NOTED, ()):
        for _event, source, target in transitions:
            count_transition(definition_id, source, target)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # a rollback (a commit has counted and emptied it already)
        session.info.pop(_NOTED, None)
