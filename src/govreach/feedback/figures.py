"""Aggregated figures of satisfaction and grievances for the public dashboard and open data.

Plain functions returning rows of counts only: no text a person wrote, no person, no reference.
The counts are RAW: small-cell suppression (no published cell under 10 people, and secondary
suppression) is the caller's job (``govreach.transparency``), before anything is shown or exported.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from typing import Any

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from govreach.feedback.models import Grievance, Rating

SATISFACTION_KEYS = ("service", "area_code", "month", "channel", "rating", "count")
GRIEVANCE_KEYS = ("service", "area_code", "category", "level", "status", "overdue", "count", "median_days")


def satisfaction_rows(service: str | None = None) -> list[dict[str, Any]]:
    """Ratings counted by service (pack id), area code, month (``YYYY-MM``), channel (digital or assisted)
    and rating (1 to 5). Raw counts: suppress small cells before publishing.
    """
    qs: QuerySet[Rating] = Rating.objects.all()
    if service is not None:
        qs = qs.filter(service=service)
    grouped = (
        qs.annotate(month_at=TruncMonth("created_at"))
        .values("service", "area__code", "month_at", "channel", "rating")
        .annotate(n=Count("pk"))
        .order_by("service", "area__code", "month_at", "channel", "rating")
    )
    return [
        {
            "service": row["service"],
            "area_code": row["area__code"] or "",
            "month": _month(row["month_at"]),
            "channel": row["channel"],
            "rating": row["rating"],
            "count": row["n"],
        }
        for row in grouped
    ]


def grievance_rows(*, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Grievances counted by service (pack id or ``""``), area code (where the complaint is about),
    category, level of government now handling it, status and whether it is overdue, with the median
    number of days from filing to closing among the closed ones (None when none is closed).
    Raw counts: suppress small cells before publishing.
    """
    now = now or timezone.now()
    groups: dict[tuple[str, str, str, str, str, bool], list[float | None]] = defaultdict(list)
    fields = ("service", "area__code", "category", "tier", "status", "due_at", "created_at", "closed_at")
    for service, area_code, category, tier, status, due_at, created_at, closed_at in (
        Grievance.objects.values_list(*fields).order_by("pk").iterator()
    ):
        is_open = status in Grievance.OPEN_STATUSES
        overdue = is_open and due_at <= now
        days = (closed_at - created_at).total_seconds() / 86400 if closed_at is not None else None
        groups[(service, area_code, category, tier, status, overdue)].append(days)
    rows = []
    for (service, area_code, category, tier, status, overdue), durations in sorted(groups.items()):
        closed = [d for d in durations if d is not None]
        rows.append(
            {
                "service": service,
                "area_code": area_code,
                "category": category,
                "level": tier,
                "status": status,
                "overdue": overdue,
                "count": len(durations),
                "median_days": round(statistics.median(closed), 1) if closed else None,
            }
        )
    return rows


def _month(value: dt.datetime | dt.date | None) -> str:
    return value.strftime("%Y-%m") if value is not None else ""
