"""ECMAScript regular expressions (`pattern`, `patternProperties`, the `regex` helper), matched under a budget.

Definitions carry regular expressions written for JavaScript (ajv, `new RegExp(source)`). They are matched
with the `regex` module rather than Python's `re`: its matches take a timeout, and it releases the GIL while
it matches a `str`, so a catastrophic pattern such as `^(a|a)+$` costs one thread at most `timeout` seconds
instead of freezing the process. RE2 (linear time) was the alternative; it has no lookaround and no
backreferences, which ECMAScript has and definitions may use.

The source is translated to keep ECMAScript's meaning where Python's differs:

* `\\d`, `\\w`, `\\b` are ASCII (the ASCII flag); `\\s` is ECMAScript's Unicode white space and line
  terminators (outside a character class; inside one, `\\s` is inlined and `\\S` stays ASCII);
* `$` matches only at the very end (Python's `$` also matches before a final newline), `.` matches
  anything but a line terminator (`\\n`, `\\r`, U+2028, U+2029);
* `(?<name>...)` is kept (the `regex` module reads it), `\\k<name>` becomes `(?P=name)`;
* `[^]` (any character) and `[]` (nothing) are ECMAScript-only classes.

Counted repetitions are expanded when a pattern is compiled, so `(?:a{1000}){1000}` costs a million
nodes and `a{4294967294}` never finishes compiling: a pattern whose expansion exceeds
`MAX_EXPANDED_NODES` is refused like a syntax error.

Not replicated: ECMAScript's identity escapes of letters in non-unicode mode (`\\e` is `e` there, an error
here), flags, and the UTF-16 view of astral characters in non-unicode mode.
"""

from __future__ import annotations

import re
from functools import lru_cache

import regex

from arabesque.engine.budget import Meter

__all__ = ["MAX_EXPANDED_NODES", "JsPattern", "PatternError", "compile_js"]

MAX_EXPANDED_NODES = 200_000

PatternError = regex.error

_JS_SPACE = "\\t\\n\\x0b\\f\\r \\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
_LINE_TERMINATORS = "\\n\\r\\u2028\\u2029"
_QUANTIFIER = re.compile(r"\{(\d+)(?:,(\d*))?\}")
_NAME = re.compile(r"<([A-Za-z_$][\w$]*)>")


class JsPattern:
    """A compiled ECMAScript pattern; `search` runs within the meter's time."""

    __slots__ = ("compiled", "source")

    def __init__(self, source: str, compiled: regex.Pattern[str]) -> None:
        self.source = source
        self.compiled = compiled

    def search(self, text: str, meter: Meter) -> regex.Match[str] | None:
        """The first match in `text`, or None; raise `BudgetExceeded` when the match runs out of time."""
        timeout, limit = meter.regex_timeout()
        try:
            return self.compiled.search(text, timeout=timeout)
        except TimeoutError:
            raise meter.regex_timed_out(limit, self.source) from None


@lru_cache(maxsize=1024)
def compile_js(source: str) -> JsPattern:
    """`new RegExp(source)`; raises `PatternError` (a syntax error, or a pattern too large to compile)."""
    return JsPattern(source, regex.compile(translate(source), regex.ASCII | regex.V0))


def translate(source: str) -> str:
    """The `regex`-module spelling of an ECMAScript pattern (see the module's docstring)."""
    out: list[str] = []
    # Expansion cost per open group: [cost so far, cost of the last item] (for counted repetitions).
    frames: list[list[int]] = [[0, 0]]
    i, n = 0, len(source)
    while i < n:
        c = source[i]
        frame = frames[-1]
        if c == "\\":
            escape, i = _escape(source, i, in_class=False)
            out.append(escape)
            frame[1] = 1
            frame[0] += 1
            continue
        if c == "[":
            cls, i = _char_class(source, i)
            out.append(cls)
            frame[1] = 1
            frame[0] += 1
            continue
        if c == "(":
            frames.append([0, 0])
            if source.startswith("(?<", i) and not source.startswith(("(?<=", "(?<!"), i):
                name = _NAME.match(source, i + 2)
                if name is not None:
                    out.append(f"(?P<{name.group(1)}>")
                    i = name.end()
                    continue
            out.append(c)
            i += 1
            continue
        if c == ")":
            if len(frames) > 1:
                inner = frames.pop()[0]
                frames[-1][1] = inner + 1
                frames[-1][0] += inner + 1
            out.append(c)
            i += 1
            continue
        if c == "{":
            quantifier = _QUANTIFIER.match(source, i)
            if quantifier is not None:
                low, high = quantifier.group(1), quantifier.group(2)
                times = max(int(low), int(high) if high else 0, 1)
                frame[0] += frame[1] * (times - 1)
                frame[1] *= times
                if frame[0] > MAX_EXPANDED_NODES:
                    raise PatternError(f"the pattern expands to more than {MAX_EXPANDED_NODES:,} nodes")
                out.append(quantifier.group(0))
                i = quantifier.end()
                continue
        if c == "$":
            out.append("\\Z")
        elif c == ".":
            out.append(f"[^{_LINE_TERMINATORS}]")
        else:
            out.append(c)
        if c not in "|*+?":
            frame[1] = 1
            frame[0] += 1
        i += 1
    if sum(f[0] for f in frames) > MAX_EXPANDED_NODES:
        raise PatternError(f"the pattern expands to more than {MAX_EXPANDED_NODES:,} nodes")
    return "".join(out)


def _escape(source: str, i: int, in_class: bool) -> tuple[str, int]:
    """The translation of the escape at `source[i]` (a backslash), and the index after it."""
    if i + 1 >= len(source):
        return "\\", i + 1  # a trailing backslash: let the compiler report it
    c = source[i + 1]
    if c == "s":
        return (_JS_SPACE if in_class else f"[{_JS_SPACE}]"), i + 2
    if c == "S" and not in_class:
        return f"[^{_JS_SPACE}]", i + 2
    if c == "k" and not in_class:
        name = _NAME.match(source, i + 2)
        if name is not None:
            return f"(?P={name.group(1)})", name.end()
    if c == "c" and i + 2 < len(source) and source[i + 2].isascii() and source[i + 2].isalpha():
        return f"\\x{ord(source[i + 2]) % 32:02x}", i + 3
    return source[i : i + 2], i + 2


def _char_class(source: str, i: int) -> tuple[str, int]:
    """The translation of the character class starting at `source[i]` (`[`), and the index after it."""
    if source.startswith("[]", i):
        return "(?!)", i + 2
    if source.startswith("[^]", i):
        return "[\\s\\S]", i + 3
    out = ["["]
    j = i + 1
    if j < len(source) and source[j] == "^":
        out.append("^")
        j += 1
    while j < len(source):
        c = source[j]
        if c == "\\":
            escape, j = _escape(source, j, in_class=True)
            out.append(escape)
            continue
        if c == "]":
            out.append("]")
            return "".join(out), j + 1
        out.append("\\[" if c == "[" else c)
        j += 1
    return "".join(out), j  # unterminated: the compiler reports it
