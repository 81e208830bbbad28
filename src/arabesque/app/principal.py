"""Who is calling: the project an API key belongs to, and how audit records name the caller."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Principal"]


@dataclass(frozen=True)
class Principal:
    project_id: str
    actor: str  # e.g. "api-key:arb_1a2b3c4d" — never the key itself
