"""Use case: is the database reachable?"""

from __future__ import annotations

from sqlalchemy.exc import SQLAlchemyError

from arabesque.store import Database

__all__ = ["database_ready"]


def database_ready(db: Database) -> bool:
    try:
        db.ping()
    except (SQLAlchemyError, OSError):
        return False
    return True
