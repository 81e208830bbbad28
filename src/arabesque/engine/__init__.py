"""The workflow engine: pure, synchronous, no I/O.

definition = load_definition(record)            # validate + compile once
snapshot = start(definition, context)            # a new instance at its initial state
result = step(definition, snapshot, Event("GO"), Env(runtime_id, config, now_ms))
result.snapshot, result.effects                   # the new state, and the work to do (as data)
apply_outcome(definition, result.snapshot, HttpOutcome(effect_id, ...), env)
"""

from arabesque.engine.budget import BudgetExceeded, Limits, Meter
from arabesque.engine.definition import Definition, load_definition
from arabesque.engine.errors import (
    DefinitionError,
    EngineError,
    EventRejected,
    Problem,
    StepError,
    StepFailed,
)
from arabesque.engine.step import apply_outcome, next_events, start, step
from arabesque.engine.types import (
    ChildStart,
    Effect,
    EmailCall,
    Env,
    Event,
    HttpCall,
    HttpOutcome,
    HttpRequest,
    Notification,
    Snapshot,
    Status,
    Step,
)

__all__ = [
    "BudgetExceeded",
    "ChildStart",
    "Definition",
    "DefinitionError",
    "Effect",
    "EmailCall",
    "EngineError",
    "Env",
    "Event",
    "EventRejected",
    "HttpCall",
    "HttpOutcome",
    "HttpRequest",
    "Limits",
    "Meter",
    "Notification",
    "Problem",
    "Snapshot",
    "Status",
    "Step",
    "StepError",
    "StepFailed",
    "apply_outcome",
    "load_definition",
    "next_events",
    "start",
    "step",
]
