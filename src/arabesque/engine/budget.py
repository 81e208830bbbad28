"""The evaluation budget: how much work a definition may make one step do.

Guards, transformers, rules and schemas come from definitions, which any API key holder can upload, so
their evaluation is bounded. A `Meter` lives for one step and counts work deterministically:

* steps: one per unit of work whose amount depends on the data rather than on the definition's text
  (an item of a json-logic `map`/`filter`/`reduce`, weighted by the size of the rule that runs for it; an
  element of a JMESPath projection; a value walked by a comparison, `to_string` or `cat`; a JSON-schema
  keyword applied to a value). A definition's own text runs once per evaluation and is already bounded
  by the definition size limit, so the usual guard costs no count at all.
* value size: the logical size of a value that is walked or handed out (scalars 1, strings 1 + length,
  containers 1 + their members and keys). Expressions such as `[@, @]` build values that share members,
  so sizes are memoised per object for one evaluation: a value of logical size 2^40 is measured in 40
  lookups, and refused, instead of being walked.
* depth: how deeply such a value nests.

Time is the host's: `Env.time_left`, when given, returns the seconds left in the step; the meter calls it
every `CLOCK_EVERY` steps and before each regular-expression match (whose timeout it bounds). The engine
itself reads no clock. Without it, a regular-expression match is bounded by `Limits.regex_seconds`, which
the `regex` module enforces.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from arabesque.engine.errors import StepError

__all__ = ["CLOCK_EVERY", "DEFAULT_LIMITS", "BudgetExceeded", "Limits", "Meter", "TimeLeft"]

TimeLeft = Callable[[], float]
CLOCK_EVERY = 1 << 14  # steps between two calls of the host's clock


@dataclass(frozen=True)
class Limits:
    """Per-step evaluation limits; the defaults leave real KYB definitions far below them."""

    steps: int = 5_000_000  # about a second or two of Python work
    value_size: int = 8_000_000  # about 8 MB of JSON: four times the default context limit
    depth: int = 200
    regex_seconds: float = 1.0  # the longest a regular-expression match may take
    step_seconds: float = 0.0  # the host's time limit per step (0: none), for messages; see `Env.time_left`

    def __post_init__(self) -> None:
        if self.steps < 1 or self.value_size < 1 or self.depth < 1 or not self.regex_seconds > 0:
            raise ValueError(f"evaluation limits must be positive: {self}")


DEFAULT_LIMITS = Limits()

_LIMIT_WORDING = {
    "steps": "did more than {n} steps of work",
    "value_size": "built or walked a value larger than {n} (its size as JSON, roughly in characters)",
    "depth": "built a value nested more than {n} levels deep",
    "time": "ran past the step's time limit of {n} s",
    "regex": "a regular expression did not finish matching within {n} s",
}


class BudgetExceeded(StepError):
    """An evaluation went over a limit; `limit` names it (`steps`, `value_size`, `depth`, `time`, `regex`),
    `amount` is the limit's value and `path` where in the definition the evaluation came from."""

    def __init__(self, limit: str, amount: float, detail: str = "", path: str = "") -> None:
        self.limit, self.amount, self.detail, self.path = limit, amount, detail, path
        super().__init__(self._text())

    @property
    def reason(self) -> str:
        """What went over which limit, without the path."""
        what = _LIMIT_WORDING.get(self.limit, self.limit + " over {n}").format(n=_number(self.amount))
        return f"the evaluation {what} ({self.detail})" if self.detail else f"the evaluation {what}"

    def _text(self) -> str:
        return f"{self.path}: {self.reason}" if self.path else self.reason

    def at(self, path: str) -> BudgetExceeded:
        """Name where the evaluation came from, unless an inner evaluation already did."""
        if not self.path and path:
            self.path = path
            self.args = (self._text(),)
        return self


def _number(value: float) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:g}"
    return f"{int(value):,}"


class Meter:
    """The work counter of one step; every evaluation in the step shares it."""

    __slots__ = ("_next_check", "_sizes", "limits", "steps", "time_left")

    def __init__(self, limits: Limits = DEFAULT_LIMITS, time_left: TimeLeft | None = None) -> None:
        self.limits = limits
        self.time_left = time_left
        self.steps = 0
        self._next_check = min(limits.steps, CLOCK_EVERY)
        self._sizes: dict[int, tuple[Any, int]] | None = None

    # -- steps and time ------------------------------------------------------------------------------

    def tick(self, n: int = 1) -> None:
        """Count `n` steps of work (before doing it); raise when the step limit or the time is reached."""
        self.steps += n
        if self.steps > self._next_check:
            self._check()

    def _check(self) -> None:
        if self.steps > self.limits.steps:
            raise BudgetExceeded("steps", self.limits.steps)
        self.check_time()
        self._next_check = min(self.limits.steps, self.steps + CLOCK_EVERY)

    def check_time(self) -> None:
        if self.time_left is not None and self.time_left() <= 0:
            raise BudgetExceeded("time", self.limits.step_seconds)

    def regex_timeout(self) -> tuple[float, str]:
        """How long a regular-expression match may take now, and which limit that is: `regex_seconds`, or
        the time left in the step when less."""
        cap = self.limits.regex_seconds
        if self.time_left is None:
            return cap, "regex"
        left = self.time_left()
        if left <= 0:
            raise BudgetExceeded("time", self.limits.step_seconds)
        return (left, "time") if left < cap else (cap, "regex")

    def regex_timed_out(self, limit: str, pattern: str) -> BudgetExceeded:
        amount = self.limits.step_seconds if limit == "time" else self.limits.regex_seconds
        shown = pattern if len(pattern) <= 80 else pattern[:77] + "..."
        return BudgetExceeded(limit, amount, f"matching /{shown}/")

    # -- sizes ---------------------------------------------------------------------------------------

    def begin(self) -> Meter:
        """Start an evaluation: sizes measured by an earlier one are forgotten (its values may have changed)."""
        self._sizes = None
        return self

    def walk(self, value: Any) -> None:
        """Count the work of walking `value` entirely (comparing, printing, copying it): about one step per
        member (a size unit is roughly a character of its JSON; a member is 16 on average)."""
        if type(value) is list or type(value) is dict:
            self.tick((self.size(value) >> 4) + 1)

    def check(self, value: Any) -> Any:
        """`value`, once its logical size and depth are known to be within the limits (a value built or
        handed out)."""
        if type(value) is list or type(value) is dict:
            self.size(value)
        elif type(value) is str and len(value) > self.limits.value_size:
            raise BudgetExceeded("value_size", self.limits.value_size)
        return value

    def size(self, value: Any) -> int:
        """The logical size of `value` (memoised per object for this evaluation); raise over the limits."""
        sizes = self._sizes
        if sizes is None:
            sizes = self._sizes = {}
        return self._measure(value, sizes, 0)

    def _measure(self, value: Any, sizes: dict[int, tuple[Any, int]], depth: int) -> int:
        kind = type(value)
        if kind is str:
            return 1 + len(value)
        if kind is not list and kind is not dict:
            return 1
        known = sizes.get(id(value))
        if known is not None:
            return known[1]
        if depth >= self.limits.depth:
            raise BudgetExceeded("depth", self.limits.depth)
        total = 1
        if kind is list:
            for item in value:
                total += self._measure(item, sizes, depth + 1)
        else:
            for key, item in value.items():
                total += 1 + (len(key) if type(key) is str else 1) + self._measure(item, sizes, depth + 1)
        if total > self.limits.value_size:
            raise BudgetExceeded("value_size", self.limits.value_size)
        # The value is kept with its size: its id cannot be reused by another object during the evaluation.
        sizes[id(value)] = (value, total)
        return total
