"""The outbox: every message GovReach owes someone, written with the change that caused it, sent by a worker.

A message is rendered when it is enqueued, so what was sent stays auditable even if the pack changes.
The recipient (a phone number or an email address) is personal data: it never appears in ``__str__``,
``repr``, a log line or a URL; humans see ``recipient_masked``.
"""

from __future__ import annotations

from typing import ClassVar

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone

from govreach.notify.privacy import recipient_mask


class OutboxMessage(models.Model):
    """One message to one recipient on one channel; ``dedupe_key`` makes the same event produce it once."""

    class Channel(models.TextChoices):
        SMS = "sms", "SMS"
        EMAIL = "email", "Email"
        LETTER = "letter", "Letter"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    # Fields that hold personal data: kept out of __str__, repr, logs and URLs.
    PERSONAL_DATA_FIELDS: ClassVar[tuple[str, ...]] = ("recipient",)

    channel = models.CharField(max_length=10, choices=Channel.choices)
    recipient = models.CharField(
        max_length=254,
        help_text="Personal data: an E.164 phone number, an email address or a postal address. "
        "Never log it, never put it in a URL.",
    )
    language = models.CharField(max_length=15)
    # None: a platform message (a login code), not a service's; distinct from any pack id.
    pack_id = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    message_id = models.CharField(max_length=100)
    subject = models.TextField(blank=True, help_text="As rendered at enqueue time (empty for an SMS).")
    body = models.TextField(help_text="As rendered at enqueue time: exactly what is sent.")
    context = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    dedupe_key = models.CharField(max_length=255, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_expires_at = models.DateTimeField(
        null=True, blank=True, help_text="While sending: after this, the worker is presumed dead."
    )
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    handed_over_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the worker holding the claim began handing the message to its backend. Still set "
        "once the lease has run out: the worker died mid-call and the outcome is unknown.",
    )
    area = models.ForeignKey(
        "registry.Area",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The area the message concerns (an application's), so staff of that area can see and "
        "resend it; none for platform messages such as login codes.",
    )
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    provider_message_id = models.CharField(max_length=255, blank=True)
    resend_log = models.JSONField(
        default=list,
        blank=True,
        help_text="Who put the message back in the queue, when, and after what error.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ("-created_at", "-pk")
        indexes = (
            # The worker's two questions: what is queued and due, and whose lease has run out.
            models.Index(fields=["status", "next_attempt_at"], name="notify_outbox_due_idx"),
            models.Index(fields=["status", "lease_expires_at"], name="notify_outbox_lease_idx"),
            models.Index(fields=["pack_id", "message_id"], name="notify_outbox_message_idx"),
        )
        constraints = (
            models.CheckConstraint(
                condition=Q(status__in=["queued", "sending", "sent", "failed", "cancelled"]),
                name="notify_outbox_status_known",
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False), name="notify_outbox_sent_has_sent_at"
            ),
        )

    def __str__(self) -> str:
        return f"{self.channel} '{self.message_id}' #{self.pk} ({self.status})"

    @property
    def recipient_masked(self) -> str:
        """The recipient as a person may see it in the admin: recognisable, not usable."""
        return recipient_mask(self.recipient)


class DeliveryAttempt(models.Model):
    """One try at handing a message to its backend, and what came of it."""

    class Outcome(models.TextChoices):
        SENT = "sent", "Sent"
        RETRY = "retry", "Failed, will retry"
        FAILED = "failed", "Failed for good"

    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="delivery_attempts")
    at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    backend = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ("message_id", "at", "pk")

    def __str__(self) -> str:
        return f"attempt on message #{self.message_id} at {self.at:%Y-%m-%d %H:%M:%S}: {self.outcome}"
