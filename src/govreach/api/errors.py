"""The API's error shape: ``{"detail": "...", "problems": [{"field": ..., "message": ...}]}``."""

from __future__ import annotations

from ninja import Field, Schema


class Problem(Schema):
    """One thing wrong with the request: the field (a path such as ``unit.contract.power_kva``) and why."""

    field: str
    message: str


class ProblemsOut(Schema):
    """An error answer: what went wrong, and for bad input every problem with its field."""

    detail: str
    problems: list[Problem] = Field(default_factory=list)


class ProblemsError(Exception):
    """Raise from an endpoint for a 4xx answer listing problems; the NinjaAPI renders it as ProblemsOut."""

    def __init__(self, status: int, detail: str, problems: list[Problem] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.problems = problems or []
