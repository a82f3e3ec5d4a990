"""People and access: staff assignments and their second factor, citizen accounts, one-time codes,
intermediaries (the assisted channel) and the citizen's consent to be assisted.

Users are Django's own ``auth.User``. A citizen's user has no usable password: citizens sign in with a
code sent to their phone. ``__str__`` never shows a phone number, so logs and admin breadcrumbs
cannot leak it.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from govreach.accounts.phones import phone_mask
from govreach.registry.models import Area, Person


class StaffAssignment(models.Model):
    """A user holds ``role`` (a role id from the pack's workflow.yaml) for ``pack_id`` over ``area`` and
    everything below it, from ``starts_on`` to ``ends_on`` inclusive (open-ended when ``ends_on`` is empty).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_assignments"
    )
    pack_id = models.CharField(max_length=100)
    role = models.SlugField(max_length=100, help_text="Role id from the pack's workflow.yaml.")
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="staff_assignments")
    starts_on = models.DateField(default=timezone.localdate)
    ends_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("user_id", "pack_id", "role")
        indexes = (models.Index(fields=["user", "pack_id"], name="accounts_assign_user_pack_idx"),)
        constraints = (
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="accounts_assignment_dates_ordered",
            ),
        )

    def __str__(self) -> str:
        return f"{self.role} for {self.pack_id} on {self.area_id}"

    def is_active_on(self, day: dt.date) -> bool:
        """True when the assignment holds on ``day``."""
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)


class StaffTOTPDevice(models.Model):
    """A staff user's authenticator (RFC 6238 TOTP, 30-second steps, 6 digits).

    The secret is shown once, while the device is unconfirmed; ``last_used_counter`` is the time step of
    the last accepted code, so the same code (or an older one) is never accepted twice.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="totp_device"
    )
    secret = models.CharField(max_length=64, editable=False)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_used_counter = models.BigIntegerField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Authenticator of user {self.user_id}"

    @property
    def is_confirmed(self) -> bool:
        """True once the user has proved, with one code, that the authenticator holds the secret."""
        return self.confirmed_at is not None


class StaffProfile(models.Model):
    """What a user who is not a citizen (an officer, an intermediary) keeps between sign-ins.

    ``preferred_language`` is the BCP 47 tag (``pt-BR``) they last chose with the language switch;
    a citizen's lives on their CitizenAccount instead.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    preferred_language = models.CharField(max_length=16, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Profile of user {self.user_id}"


class CitizenAccount(models.Model):
    """A citizen who signs in with their phone number; linked to a registry person once identified.

    ``preferred_language`` (a BCP 47 tag such as ``pt-BR``) is the language they chose with the switch:
    pages and every message sent to them use it.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="citizen_account"
    )
    phone = models.CharField(max_length=16, unique=True, help_text="E.164, e.g. +8801712345678.")
    preferred_language = models.CharField(max_length=16, blank=True)
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="citizen_accounts"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Citizen {self.pk}"

    @property
    def masked_phone(self) -> str:
        """The phone number as it may be shown on a page or in a log: ``+880••••••••78``."""
        return phone_mask(self.phone)


class Intermediary(models.Model):
    """A person who files for citizens (a Union Digital Centre operator, a social worker), at a centre."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="intermediary"
    )
    centre_name = models.CharField(max_length=200)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="intermediaries")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "intermediaries"

    def __str__(self) -> str:
        return f"{self.centre_name} (user {self.user_id})"


def consent_upload_to(instance: Consent, filename: str) -> str:
    """Consent forms are stored under a random name: the uploaded name may hold personal data."""
    return f"consents/{timezone.now():%Y/%m}/{filename}"


class Consent(models.Model):
    """A citizen's consent that an intermediary act for them on one pack's service.

    Pending until granted (by the code sent to the citizen's phone, or by a signed form uploaded by the
    intermediary); active while granted and not revoked. At most one open (unrevoked) consent exists per
    citizen, intermediary and pack.
    """

    class Method(models.TextChoices):
        OTP = "otp", "Code sent to the citizen's phone"
        SIGNED_UPLOAD = "signed_upload", "Signed consent form"

    citizen = models.ForeignKey(CitizenAccount, on_delete=models.CASCADE, related_name="consents")
    intermediary = models.ForeignKey(Intermediary, on_delete=models.PROTECT, related_name="consents")
    pack_id = models.CharField(max_length=100)
    method = models.CharField(max_length=16, choices=Method.choices)
    requested_at = models.DateTimeField(auto_now_add=True)
    granted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    document = models.FileField(upload_to=consent_upload_to, blank=True)
    evidence: models.JSONField[dict[str, object]] = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ("-requested_at",)
        constraints = (
            models.UniqueConstraint(
                fields=["citizen", "intermediary", "pack_id"],
                condition=Q(revoked_at__isnull=True),
                name="accounts_consent_one_open",
            ),
            models.CheckConstraint(
                condition=Q(method__in=["otp", "signed_upload"]), name="accounts_consent_method_valid"
            ),
            models.CheckConstraint(
                condition=~Q(method="signed_upload") | Q(granted_at__isnull=True) | ~Q(document=""),
                name="accounts_consent_signed_has_document",
            ),
        )

    def __str__(self) -> str:
        return f"Consent {self.pk} ({self.status})"

    @property
    def is_active(self) -> bool:
        """True while the consent is granted and not revoked."""
        return self.granted_at is not None and self.revoked_at is None

    @property
    def status(self) -> str:
        """``pending``, ``active`` or ``revoked``."""
        if self.revoked_at is not None:
            return "revoked"
        return "active" if self.granted_at is not None else "pending"


class PhoneCode(models.Model):
    """A six-digit code sent by SMS, stored as a keyed hash; valid 10 minutes and for 5 tries.

    ``purpose`` says what the code proves: a citizen signing in, or a citizen consenting (``consent``).
    """

    class Purpose(models.TextChoices):
        LOGIN = "login", "Sign in"
        CONSENT = "consent", "Consent to be assisted"

    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    phone = models.CharField(max_length=16)
    salt = models.CharField(max_length=32)
    code_hash = models.CharField(max_length=64)
    consent = models.ForeignKey(
        Consent, null=True, blank=True, on_delete=models.CASCADE, related_name="codes"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = (models.Index(fields=["phone", "purpose", "-created_at"], name="accounts_code_phone_idx"),)

    def __str__(self) -> str:
        return f"{self.purpose} code {self.pk}"
