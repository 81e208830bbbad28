"""Case statistics of the caller's project: the numbers behind the Case Management home dashboard."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from arabesque.api.deps import Caller, Db
from arabesque.api.schemas import error_responses
from arabesque.app.cases.statistics import project_statistics

router = APIRouter(prefix="/api/v1/statistics", tags=["statistics"], responses=error_responses(400, 401, 503))


class StateCount(BaseModel):
    state: str
    count: int


class QueueCount(BaseModel):
    queueId: str
    queue: str
    total: int
    byState: list[StateCount]


class OpenCases(BaseModel):
    total: int
    byQueue: list[QueueCount]
    byState: list[StateCount]


class DecidedDay(BaseModel):
    date: date
    approved: int
    rejected: int
    revision: int


class Decided(BaseModel):
    approved: int
    rejected: int
    revision: int


class Workload(BaseModel):
    userId: str
    name: str
    open: int = Field(description="Active cases assigned to the reviewer")
    overdue: int = Field(description="Of those, the ones past their due date (`config.slaHours`)")


class OverdueCase(BaseModel):
    id: str
    name: str
    dueAt: datetime | None
    assigneeId: str | None


class Overdue(BaseModel):
    total: int
    cases: list[OverdueCase] = Field(description="The most overdue cases first, at most 10")


class Statistics(BaseModel):
    generatedAt: datetime
    windowDays: int
    openCases: OpenCases
    decidedPerDay: list[DecidedDay] = Field(description="One entry per UTC day of the window, oldest first")
    decided: Decided
    medianHoursToDecision: float | None = Field(description="Creation to resolution, cases resolved in the window")
    resolvedCases: int
    workload: list[Workload]
    unassigned: int
    overdue: Overdue


@router.get("", response_model=Statistics)
def statistics(who: Caller, db: Db) -> dict[str, Any]:
    """Open cases by queue and state, decisions per day over 30 days, the median time to a decision, each
    reviewer's workload and the overdue cases, for the API key's project."""
    return project_statistics(db, who.project_id)
