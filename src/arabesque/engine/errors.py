"""The engine's exceptions.

EngineError
 ├── DefinitionError   the definition cannot be loaded; `.problems` lists every `path: message`
 └── StepError         a step was refused; the snapshot it was given stands unchanged
      ├── EventRejected   the current state does not accept the event (or the state is final)
      └── StepFailed      a guard, a built-in event or a plugin failed while processing the event
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DefinitionError", "EngineError", "EventRejected", "Problem", "StepError", "StepFailed"]


@dataclass(frozen=True)
class Problem:
    """One problem in a definition: where it is (a dotted path) and what is wrong."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class EngineError(Exception):
    """Base of every error the engine raises."""


class DefinitionError(EngineError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


class StepError(EngineError):
    """A step was refused; nothing changed."""


class EventRejected(StepError):
    def __init__(self, event: str, state: str, allowed: list[str]) -> None:
        self.event, self.state, self.allowed = event, state, allowed
        super().__init__(f'Event {event} is not allowed in the current state: "{state}"')


class StepFailed(StepError):
    """A guard, a built-in event or a plugin raised while the event was processed."""
