"""The words for each published figure, translated (the open data keeps the English ids and descriptions)."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

COUNT_LABELS: dict[str, Promise] = {
    "started": _("Applications started"),
    "not_submitted": _("Started, not submitted"),
    "received": _("Applications received"),
    "decided": _("Decided"),
    "pending": _("Waiting for a decision"),
    "approved": _("Approved"),
    "rejected": _("Not approved"),
    "decided_on_time": _("Decided within the deadline"),
    "decided_late": _("Decided after the deadline"),
    "pending_in_time": _("Waiting, within the deadline"),
    "overdue": _("Overdue (waiting past the deadline)"),
    "digital": _("Filed online by the applicant"),
    "assisted": _("Filed with help (intermediary or counter)"),
    "enrolled": _("Households enrolled"),
    "estimated_eligible": _("Households estimated eligible"),
    "eligible": _("People eligible"),
    "registered": _("People registered"),
    "visits_done": _("Visits made"),
    "students_enrolled": _("Students enrolled"),
    "sat_exam": _("Sat the entrance exam"),
    "passed_exam": _("Passed the entrance exam"),
    "ratings": _("Satisfaction ratings"),
    "satisfied": _("Satisfied (4 or 5 of 5)"),
    "not_satisfied": _("Not satisfied (1 to 3 of 5)"),
    "grievances": _("Grievances"),
    "grievances_overdue": _("Grievances past their deadline"),
}

MEASURE_LABELS: dict[str, Promise] = {
    "approval_rate_pct": _("Approval rate"),
    "on_time_rate_pct": _("Decided within the deadline"),
    "completion_rate_pct": _("Completion rate (submitted of started)"),
    "digital_share_pct": _("Digital share (filed online by the applicant)"),
    "take_up_pct": _("Take-up"),
    "coverage_pct": _("Coverage (registered of eligible)"),
    "sat_of_enrolled_pct": _("Sat the exam, of those enrolled"),
    "passed_of_sat_pct": _("Passed, of those who sat"),
    "passed_of_enrolled_pct": _("Passed, of those enrolled"),
    "satisfaction_pct": _("User satisfaction"),
    "median_days": _("Median days to decide"),
    "p90_days": _("90th percentile of days to decide"),
}

SPENDING_LABELS: dict[str, Promise] = {
    "discounts_forgone": _("Discounts forgone (households enrolled times the yearly discount)"),
    "fees_collected": _("Fees collected"),
    "places_funded": _("Places funded"),
    "visits_made": _("Visits made"),
}

# Sections of a dashboard: (id, title, counts shown, measures shown, the count charted by area).
SECTIONS: tuple[tuple[str, Promise, tuple[str, ...], tuple[str, ...], str], ...] = (
    (
        "applications",
        _("Applications and decisions"),
        ("received", "decided", "approved", "rejected", "pending", "overdue", "decided_late"),
        ("approval_rate_pct", "on_time_rate_pct", "median_days", "p90_days"),
        "received",
    ),
    (
        "completion",
        _("Completion and channels"),
        ("started", "received", "digital", "assisted"),
        ("completion_rate_pct", "digital_share_pct"),
        "started",
    ),
    (
        "take_up",
        _("Take-up of the entitlement"),
        ("enrolled", "estimated_eligible"),
        ("take_up_pct",),
        "enrolled",
    ),
    (
        "outreach",
        _("Visits and coverage"),
        ("eligible", "registered", "visits_done"),
        ("coverage_pct",),
        "visits_done",
    ),
    (
        "programme",
        _("Programme outcomes"),
        ("students_enrolled", "sat_exam", "passed_exam"),
        ("sat_of_enrolled_pct", "passed_of_sat_pct", "passed_of_enrolled_pct"),
        "students_enrolled",
    ),
    (
        "feedback",
        _("User satisfaction and grievances"),
        ("ratings", "satisfied", "grievances", "grievances_overdue"),
        ("satisfaction_pct",),
        "ratings",
    ),
)
