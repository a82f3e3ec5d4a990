"""USSD sessions and inbound SMS seen, kept only as long as a gateway may retry them.

Neither table holds a phone number or what the person typed in clear: the phone and the texts are
kept as keyed digests (HMAC with the secret key), enough to recognise a retry, not to read it back.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone


class UssdSession(models.Model):
    """One gateway session (``sessionId``): the last text processed and the reply given to it.

    ``state`` holds what the menus showed that must not change under a retry (the entitlements offered,
    the services listed). ``base_length``/``base_digest`` mark a text prefix to ignore after the session
    expired and started over.
    """

    session_id = models.CharField(max_length=100, unique=True)
    phone_digest = models.CharField(max_length=64)
    service_code = models.CharField(max_length=40, blank=True)
    base_length = models.PositiveIntegerField(default=0)
    base_digest = models.CharField(max_length=64, blank=True)
    last_text_digest = models.CharField(max_length=64, blank=True)
    last_reply = models.TextField(blank=True)
    state: models.JSONField[dict[str, Any]] = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = (models.Index(fields=["updated_at"], name="ussd_session_updated_idx"),)

    def __str__(self) -> str:
        return f"USSD session {self.pk}"


class InboundSms(models.Model):
    """An inbound SMS the gateway delivered with an id: the same id is handled once, whatever the retries."""

    message_digest = models.CharField(max_length=64, unique=True)
    keyword = models.CharField(max_length=20, blank=True)
    outcome = models.CharField(max_length=40, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "inbound SMS"
        verbose_name_plural = "inbound SMS"

    def __str__(self) -> str:
        return f"inbound SMS {self.pk} ({self.keyword or '-'})"
