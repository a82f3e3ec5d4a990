"""Satisfaction ratings of completed services, and grievances with their deadline and escalation level.

A rating's comment and a grievance's text and contact are personal data: they are shown to the person
and to the staff who handle them, never in ``__str__``, a URL, a log line or a published figure.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from govreach.registry.models import Area


class Channel(models.TextChoices):
    """How the service was delivered: by the person online, or with an intermediary or at a counter."""

    DIGITAL = "digital", "Digital"
    ASSISTED = "assisted", "Assisted"


class Rating(models.Model):
    """One person's answer to "how satisfied are you" after one completed service, 1 (very dissatisfied)
    to 5 (very satisfied); at most one per service delivered and person.

    ``service_kind`` + ``service_key`` name what was delivered (``case`` + application id, ``entitlement``
    + entitlement id); ``service`` is the pack id the figures group by.
    """

    class Kind(models.TextChoices):
        CASE = "case", "Application decided"
        ENTITLEMENT = "entitlement", "Entitlement granted"

    service_kind = models.CharField(max_length=20, choices=Kind.choices)
    service_key = models.CharField(max_length=64)
    service = models.CharField(max_length=100, help_text="The pack id of the service.")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    area = models.ForeignKey(Area, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    via = models.CharField(max_length=10, default="web", help_text="Where the answer came: web or sms.")
    rating = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True, help_text="Personal data: never published.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-created_at", "-pk")
        constraints = (
            models.UniqueConstraint(
                fields=("service_kind", "service_key", "user"), name="feedback_one_rating_per_service"
            ),
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="feedback_rating_1_to_5"),
        )
        indexes = (models.Index(fields=["service", "created_at"], name="feedback_rating_service_idx"),)

    def __str__(self) -> str:
        return f"rating {self.pk} of {self.service_kind} {self.service_key}"


class Grievance(models.Model):
    """A complaint about a public service, handled at one level of government at a time.

    ``reference`` (``G-2026-7KQ4MX2P``) and a secret (stored as a hash) open the public status page.
    ``tier`` is the current level of the escalation matrix and ``handling_area`` the area at that level
    whose staff handle it; ``due_at`` is that level's deadline for a resolution.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Received"
        IN_PROGRESS = "in_progress", "Being handled"
        RESOLVED = "resolved", "Resolved"
        REJECTED = "rejected", "Rejected"

    class Source(models.TextChoices):
        WEB = "web", "Online"
        SMS = "sms", "SMS"
        INTERMEDIARY = "intermediary", "Intermediary"
        COUNTER = "counter", "Counter"
        PHONE = "phone", "Phone call"

    OPEN_STATUSES = ("open", "in_progress")
    PERSONAL_DATA_FIELDS = ("text", "contact")

    reference = models.CharField(max_length=32, unique=True)
    status_secret_hash = models.CharField(max_length=128, editable=False)
    category = models.CharField(max_length=40)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    service = models.CharField(max_length=100, blank=True, help_text="Pack id of the service, if any.")
    text = models.TextField(help_text="Personal data: the complainant's own words.")
    source = models.CharField(max_length=15, choices=Source.choices)
    complainant = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Staff or an intermediary who recorded it for the complainant.",
    )
    contact_channel = models.CharField(max_length=10, blank=True, help_text="sms or email; empty: none.")
    contact = models.CharField(max_length=254, blank=True, help_text="Personal data: never logged.")
    language = models.CharField(max_length=16, default="en")
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.OPEN)
    tier = models.CharField(max_length=40)
    tier_index = models.PositiveSmallIntegerField(default=0)
    handling_area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    acknowledge_due_at = models.DateTimeField()
    due_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=100, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("due_at", "pk")
        indexes = (
            models.Index(fields=["status", "due_at"], name="feedback_grievance_due_idx"),
            models.Index(fields=["tier", "status"], name="feedback_grievance_tier_idx"),
        )
        constraints = (
            models.CheckConstraint(
                condition=Q(status__in=["open", "in_progress", "resolved", "rejected"]),
                name="feedback_grievance_status_known",
            ),
        )

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def is_overdue(self, now: dt.datetime | None = None) -> bool:
        """Still open past the current level's deadline."""
        return self.is_open and self.due_at <= (now or timezone.now())


class GrievanceEvent(models.Model):
    """One step of a grievance: filed, replied, resolved, rejected or escalated, and by whom.

    ``note`` is what the complainant is told (a reply, the resolution, the reason of a rejection or of an
    escalation); ``data`` holds no personal data.
    """

    grievance = models.ForeignKey(Grievance, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=20)
    tier = models.CharField(max_length=40)
    status = models.CharField(max_length=15)
    note = models.TextField(blank=True)
    data: models.JSONField[dict[str, Any]] = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ("at", "pk")

    def __str__(self) -> str:
        return f"{self.grievance_id}: {self.action}"
