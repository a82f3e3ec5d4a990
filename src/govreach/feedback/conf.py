"""Settings of feedback and grievances, read when used with ``getattr(settings, "GOVREACH_...", default)``.

- ``GOVREACH_GRIEVANCE_CATEGORIES``: category ids (``delay``, ``wrong_decision``...); the labels of the
  default ones are translated in this app.
- ``GOVREACH_GRIEVANCE_DEADLINES``: ``{"acknowledge_working_days": 3, "resolve_days": {"delay": 30, ...},
  "default_resolve_days": 30, "escalated_resolve_days": 15}``; keys left out keep their default.
- ``GOVREACH_GRIEVANCE_MATRIX``: the escalation matrix, lowest level of government first: each tier names
  the area levels (from the registry's areas, e.g. ``union``, ``parish``) it covers and the staff role
  (held through an ``accounts.StaffAssignment`` for pack ``GOVREACH_GRIEVANCE_PACK_ID``) that handles it.
- ``GOVREACH_FEEDBACK_COMMENT_MAX_CHARS``: the longest comment kept with a rating (500).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings

DEFAULT_CATEGORIES = ("delay", "wrong_decision", "staff_conduct", "accessibility", "data_privacy", "other")

DEFAULT_DEADLINES: dict[str, Any] = {
    "acknowledge_working_days": 3,
    "default_resolve_days": 30,
    # A complaint about data or conduct is looked at sooner than the general case.
    "resolve_days": {"data_privacy": 20, "staff_conduct": 20},
    "escalated_resolve_days": 15,
}

#: Lowest level first. Area level names are those the population generator and areas.csv use.
DEFAULT_MATRIX: tuple[dict[str, Any], ...] = (
    {"tier": "local", "area_levels": ("union", "parish", "dong", "neighbourhood"), "role": "grievance_local"},
    {
        "tier": "district",
        "area_levels": ("upazila", "municipality", "district"),
        "role": "grievance_district",
    },
    {
        "tier": "regional",
        "area_levels": ("division", "region", "city", "state"),
        "role": "grievance_regional",
    },
    {"tier": "national", "area_levels": ("country",), "role": "grievance_national"},
)


@dataclass(frozen=True)
class Tier:
    """One level of government in the escalation matrix and the staff role that handles it there."""

    tier: str
    area_levels: tuple[str, ...]
    role: str


def grievance_pack_id() -> str:
    """The ``pack_id`` of the staff assignments that give grievance roles (not a service pack)."""
    return str(getattr(settings, "GOVREACH_GRIEVANCE_PACK_ID", "grievances"))


def grievance_categories() -> tuple[str, ...]:
    return tuple(getattr(settings, "GOVREACH_GRIEVANCE_CATEGORIES", DEFAULT_CATEGORIES))


def grievance_deadlines() -> dict[str, Any]:
    return {**DEFAULT_DEADLINES, **dict(getattr(settings, "GOVREACH_GRIEVANCE_DEADLINES", {}))}


def resolve_days(category: str) -> int:
    deadlines = grievance_deadlines()
    return int(deadlines["resolve_days"].get(category, deadlines["default_resolve_days"]))


def escalation_matrix() -> tuple[Tier, ...]:
    raw = getattr(settings, "GOVREACH_GRIEVANCE_MATRIX", DEFAULT_MATRIX)
    return tuple(Tier(str(t["tier"]), tuple(t["area_levels"]), str(t["role"])) for t in raw)


def comment_max_chars() -> int:
    return int(getattr(settings, "GOVREACH_FEEDBACK_COMMENT_MAX_CHARS", 500))
