"""Outreach: who is targeted and why, who visits them and when, what each visit found, where they go next.

The pack's ``outreach.yaml`` says who is targeted (a decision of its rules), the tiers and their
cadence, the nurse's capacity and what a visit records; these models keep the results. No personal data
appears in ``__str__``.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q

from govreach.registry.models import Area, Person


class TargetingRun(models.Model):
    """One batch run of the pack's rules over the registries: how many were eligible, where."""

    pack_id = models.CharField(max_length=100)
    ruleset_version = models.CharField(max_length=50)
    decided_on = models.DateField()
    eligible_count = models.PositiveIntegerField(default=0)
    undetermined_count = models.PositiveIntegerField(default=0)
    registered_new_count = models.PositiveIntegerField(default=0)
    eligible_by_area = models.JSONField(default=dict, help_text="Area id (as text) -> eligible persons.")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-started_at",)
        indexes = (models.Index(fields=["pack_id", "-started_at"], name="outreach_run_pack_idx"),)

    def __str__(self) -> str:
        return f"Targeting run {self.pk} of {self.pack_id}"


class OutreachRegistration(models.Model):
    """A person in an outreach programme: targeted (to visit), registered (consented at a visit), ended.

    ``trace`` is the rules' explanation of the targeting and the tier (criterion outcomes and the facts
    they read), so that the nurse sees why this person is visited and why in this tier.
    """

    class Status(models.TextChoices):
        TARGETED = "targeted", "To visit"
        REGISTERED = "registered", "Registered"
        DECLINED = "declined", "Declined"
        CLOSED = "closed", "Closed"

    class Source(models.TextChoices):
        REGISTRIES = "registries", "Registries"
        REFERRAL = "referral", "Referral"

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="outreach_registrations")
    pack_id = models.CharField(max_length=100)
    tier = models.SlugField(max_length=50, help_text="A tier id of the pack's outreach.yaml.")
    is_intensive = models.BooleanField(default=False)
    interval_weeks = models.PositiveSmallIntegerField(default=12)
    trace = models.JSONField(default=dict, help_text="The rules' explanation: criteria, facts, date.")
    facts = models.JSONField(default=dict, help_text="The facts the rules decided on (dotted names).")
    decided_on = models.DateField()
    ruleset_version = models.CharField(max_length=50)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.REGISTRIES)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.TARGETED)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="outreach_registrations")
    nurse = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="outreach_caseload",
        help_text="Empty while the neighbourhood's nurses are at capacity.",
    )
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    targeted_at = models.DateTimeField(auto_now_add=True)
    registered_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("area_id", "pk")
        constraints = (
            models.UniqueConstraint(fields=["pack_id", "person"], name="outreach_registration_one_per_pack"),
            models.CheckConstraint(
                condition=Q(status__in=["targeted", "registered", "declined", "closed"]),
                name="outreach_registration_status_valid",
            ),
        )
        indexes = (
            models.Index(fields=["pack_id", "area", "status"], name="outreach_reg_area_idx"),
            models.Index(fields=["nurse", "status"], name="outreach_reg_nurse_idx"),
        )

    def __str__(self) -> str:
        return f"Registration {self.pk} ({self.pack_id}, {self.tier})"

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.TARGETED, self.Status.REGISTERED)


class Referral(models.Model):
    """A referral into the programme: from a partner hospital on discharge, or a walk-in at the office.

    Either ``person`` (someone the registry knows) or the new person's details; the referral's facts are
    decided on at once (``decision``, ``trace``) and, when targeted, make a registration.
    """

    class Status(models.TextChoices):
        TARGETED = "targeted", "Brought into the programme"
        NOT_TARGETED = "not_targeted", "Not in the target group"

    pack_id = models.CharField(max_length=100)
    kind = models.SlugField(max_length=50, help_text="An intake kind of outreach.yaml.")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="outreach_referrals")
    hospital_id = models.CharField(max_length=32, blank=True)
    discharged_on = models.DateField(null=True, blank=True)
    reason = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices)
    trace = models.JSONField(default=dict)
    registration = models.ForeignKey(
        OutreachRegistration, null=True, blank=True, on_delete=models.SET_NULL, related_name="referrals"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="outreach_referrals_made"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at", "-pk")
        indexes = (models.Index(fields=["created_by", "-created_at"], name="outreach_referral_by_idx"),)

    def __str__(self) -> str:
        return f"Referral {self.pk} ({self.kind})"


class VisitPlan(models.Model):
    """One nurse's visits on one day, in route order."""

    pack_id = models.CharField(max_length=100)
    nurse = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="visit_plans")
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="visit_plans")
    day = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("day", "nurse_id")
        constraints = (
            models.UniqueConstraint(fields=["pack_id", "nurse", "day"], name="outreach_plan_one_per_day"),
        )

    def __str__(self) -> str:
        return f"Visit plan {self.pk} on {self.day.isoformat()}"


class Visit(models.Model):
    """A home visit: planned for a day (``route_order`` within it), then done or missed.

    ``due_on`` is when the tier's cadence wanted it; ``is_overdue`` is set when its day passed without
    a record, so the nurse's day list shows it first.
    """

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        DONE = "done", "Done"
        MISSED = "missed", "Missed"

    registration = models.ForeignKey(OutreachRegistration, on_delete=models.CASCADE, related_name="visits")
    plan = models.ForeignKey(
        VisitPlan, null=True, blank=True, on_delete=models.SET_NULL, related_name="visits"
    )
    nurse = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="outreach_visits"
    )
    due_on = models.DateField()
    scheduled_on = models.DateField()
    route_order = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PLANNED)
    is_overdue = models.BooleanField(default=False)
    done_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("scheduled_on", "route_order", "pk")
        constraints = (
            models.CheckConstraint(
                condition=Q(status__in=["planned", "done", "missed"]), name="outreach_visit_status_valid"
            ),
        )
        indexes = (
            models.Index(fields=["nurse", "scheduled_on", "status"], name="outreach_visit_day_idx"),
            models.Index(fields=["registration", "status"], name="outreach_visit_reg_idx"),
        )

    def __str__(self) -> str:
        return f"Visit {self.pk} ({self.status})"

    def is_late_on(self, day: dt.date) -> bool:
        """Planned for a day before ``day`` and still not recorded."""
        return self.status == self.Status.PLANNED and self.scheduled_on < day


class VisitRecord(models.Model):
    """What the nurse found: answers to the pack's assessment questions (by question id), consent, notes."""

    visit = models.OneToOneField(Visit, on_delete=models.CASCADE, related_name="record")
    answers = models.JSONField(default=dict)
    has_consent = models.BooleanField()
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ("recorded_at", "pk")

    def __str__(self) -> str:
        return f"Visit record {self.pk}"


class OnwardReferral(models.Model):
    """A referral from a visit to a clinic or a welfare service, to be followed up by ``due_on``."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        FOLLOWED_UP = "followed_up", "Followed up"

    registration = models.ForeignKey(
        OutreachRegistration, on_delete=models.CASCADE, related_name="onward_referrals"
    )
    record = models.ForeignKey(VisitRecord, on_delete=models.CASCADE, related_name="onward_referrals")
    kind = models.SlugField(max_length=50, help_text="An onward referral kind of outreach.yaml.")
    note = models.CharField(max_length=500, blank=True)
    due_on = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    followed_up_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("due_on", "pk")
        constraints = (
            models.CheckConstraint(
                condition=Q(status__in=["open", "followed_up"]), name="outreach_onward_status_valid"
            ),
        )

    def __str__(self) -> str:
        return f"Onward referral {self.pk} ({self.kind})"

    def is_overdue_on(self, day: dt.date) -> bool:
        return self.status == self.Status.OPEN and self.due_on < day
