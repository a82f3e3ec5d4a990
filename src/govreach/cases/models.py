"""Applications and their cases: the workflow state from the pack, documents, payments, hearings,
decisions with their rule trace, the issued record, and the timeline of everything that happened.

Writes go through ``govreach.cases.services``; these models hold fields, constraints and cheap facts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from govreach.registry.models import Area

DRAFT = "draft"


def document_upload_to(instance: Document, filename: str) -> str:
    # Never the applicant's file name in the path: it may carry personal data.
    return f"cases/{instance.application_id}/documents/{instance.sha256[:32]}"


def record_upload_to(instance: RecordCopy, filename: str) -> str:
    return f"cases/{instance.application_id}/records/{instance.verification_token[:16]}.pdf"


class Application(models.Model):
    """One application to a pack's service, from draft to its final state.

    ``reference`` (``BD-2026-000123``) is given on submission and is what the applicant tracks with,
    together with a short secret stored only as a hash. ``facts`` holds the case facts the workflow
    sets (``case.hearing_held``...); ``due_at`` is the overall statutory deadline (28 days for e-Mutation).
    """

    reference = models.CharField(max_length=32, unique=True, null=True, blank=True)
    status_secret_hash = models.CharField(max_length=128, blank=True, editable=False)
    case_number = models.CharField(max_length=64, blank=True)
    pack_id = models.CharField(max_length=100)
    pack_version = models.CharField(max_length=64)
    form_id = models.CharField(max_length=100)
    answers: models.JSONField[dict[str, Any]] = models.JSONField(default=dict, blank=True)
    facts: models.JSONField[dict[str, Any]] = models.JSONField(default=dict, blank=True)
    language = models.CharField(max_length=16, default="en")
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="applications"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="applications_filed",
        help_text="Who filled in and filed it: the applicant, or an intermediary acting for them.",
    )
    acting_for = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The citizen an intermediary filed for (empty when the applicant filed themselves).",
    )
    consent = models.ForeignKey(
        "accounts.Consent", null=True, blank=True, on_delete=models.PROTECT, related_name="applications"
    )
    area = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.PROTECT, related_name="applications"
    )
    state = models.CharField(max_length=64, default=DRAFT)
    state_entered_at = models.DateTimeField(default=timezone.now)
    state_due_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True, help_text="Overall deadline for the decision.")
    decided_at = models.DateTimeField(null=True, blank=True)
    is_escalated = models.BooleanField(default=False)
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalated_to_role = models.CharField(max_length=100, blank=True)
    idempotency_key = models.CharField(max_length=100, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "-pk")
        indexes = (
            models.Index(fields=["pack_id", "state"], name="cases_app_pack_state_idx"),
            models.Index(fields=["due_at"], name="cases_app_due_idx"),
        )

    def __str__(self) -> str:
        # No personal data: logs and admin breadcrumbs show only the reference.
        return self.reference or f"draft #{self.pk}"

    @property
    def is_draft(self) -> bool:
        return self.state == DRAFT

    def is_overdue(self, now: dt.datetime | None = None) -> bool:
        """Past its overall deadline before a decision, or past the deadline of its current state."""
        now = now or timezone.now()
        overall = self.due_at is not None and self.decided_at is None and self.due_at <= now
        in_state = self.state_due_at is not None and self.state_due_at <= now
        return overall or in_state


class CaseEvent(models.Model):
    """One line of the case timeline: who did what, for whom, from which state to which."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acting_for = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=100, help_text="A transition id or a service action.")
    from_state = models.CharField(max_length=64, blank=True)
    to_state = models.CharField(max_length=64, blank=True)
    note = models.TextField(blank=True)
    data: models.JSONField[dict[str, Any]] = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ("at", "pk")

    def __str__(self) -> str:
        return f"{self.application_id}: {self.action}"


class Document(models.Model):
    """A file attached to an application for a document question of the form (``kind``)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=100, help_text="The form's document question id.")
    file = models.FileField(upload_to=document_upload_to)
    content_type = models.CharField(max_length=100, help_text="Detected from the content, not the name.")
    size_bytes = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("kind", "-uploaded_at")

    def __str__(self) -> str:
        return f"{self.application_id}: {self.kind}"


class Payment(models.Model):
    """A fee for one purpose of the pack's workflow (``court_fee``...), through a payment provider."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PAID = "paid", "Paid"
        FAILED = "failed", "Failed"

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="payments")
    purpose = models.CharField(max_length=64)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    provider = models.CharField(max_length=64)
    provider_reference = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("created_at", "pk")
        constraints = (
            # One live payment per purpose: a double click never charges twice.
            models.UniqueConstraint(
                fields=("application", "purpose"),
                condition=Q(status__in=("pending", "paid")),
                name="cases_one_live_payment_per_purpose",
            ),
        )

    def __str__(self) -> str:
        return f"{self.application_id}: {self.purpose} {self.amount} {self.currency} ({self.status})"


class Hearing(models.Model):
    """A hearing of the applicant, with the notice sent and, once held, the notes."""

    class Mode(models.TextChoices):
        ONLINE = "online", "Online"
        IN_PERSON = "in_person", "In person"

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="hearings")
    scheduled_at = models.DateTimeField()
    mode = models.CharField(max_length=16, choices=Mode.choices)
    place = models.CharField(
        max_length=500, help_text="The office's address, or the link for an online hearing."
    )
    notice_sent_at = models.DateTimeField(null=True, blank=True)
    held_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-scheduled_at", "-pk")

    def __str__(self) -> str:
        return f"{self.application_id}: hearing {self.scheduled_at:%Y-%m-%d %H:%M}"


class Decision(models.Model):
    """The decision on an application, with its reasons and the rule trace it rests on."""

    class Outcome(models.TextChoices):
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="decisions")
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    reasons = models.TextField()
    rule_trace: models.JSONField[dict[str, Any]] = models.JSONField(default=dict)
    pack_version = models.CharField(max_length=64)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-decided_at", "-pk")

    def __str__(self) -> str:
        return f"{self.application_id}: {self.outcome}"


class RecordCopy(models.Model):
    """The issued record of rights (khatian) as a PDF; the QR code carries ``verification_token``."""

    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="record")
    record_number = models.CharField(max_length=64, unique=True)
    pdf = models.FileField(upload_to=record_upload_to)
    verification_token = models.CharField(max_length=64, unique=True)
    issued_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.record_number


class ReferenceCounter(models.Model):
    """The last application number given under one reference prefix (``BD-2026-``).

    Submissions lock this row (``SELECT ... FOR UPDATE``) to take the next number, so two citizens
    submitting at the same instant never compute the same reference. Numbers may have gaps (a
    submission rolled back after taking one); they are never given twice.
    """

    prefix = models.CharField(max_length=24, unique=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.prefix}{self.last_number:06d}"
