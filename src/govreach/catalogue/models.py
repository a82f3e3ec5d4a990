"""The catalogue of service packs loaded into this GovReach: one row per (pack, version).

The pack's files stay the source of truth; a row records which version was loaded from where, with
the digest of its files, and which version is the one in force (``is_active``) for new decisions.

A version moves draft -> reviewed -> approved -> active -> retired; who proposed, reviewed, approved
and activated it, and when, is kept on the row, and every move is a ``PackVersionEvent`` (and an audit
record). A pilot (``govreach.policy``) may put an approved version in force in chosen areas only.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q


class ServicePack(models.Model):
    """One loaded version of a service pack; at most one version of a pack is active."""

    class Kind(models.TextChoices):
        APPLICATION = "application", "Application"
        PROACTIVE = "proactive", "Proactive entitlement"
        OUTREACH = "outreach", "Outreach"
        PROGRAMME = "programme", "Programme enrolment"

    class Unit(models.TextChoices):
        HOUSEHOLD = "household", "Household"
        PERSON = "person", "Person"

    pack_id = models.CharField(max_length=100)
    version = models.CharField(max_length=64)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    unit = models.CharField(max_length=20, choices=Unit.choices)
    country = models.CharField(max_length=2)
    owner = models.CharField(max_length=300, blank=True)
    titles: models.JSONField[dict[str, str]] = models.JSONField(default=dict)
    summaries: models.JSONField[dict[str, str]] = models.JSONField(default=dict)
    languages: models.JSONField[list[str]] = models.JSONField(default=list)
    legal_basis: models.JSONField[list[dict[str, Any]]] = models.JSONField(default=list)
    path = models.CharField(max_length=1000, help_text="Folder the pack was loaded from.")
    digest = models.CharField(max_length=64, help_text="SHA-256 of the pack's files when loaded.")
    loaded_at = models.DateTimeField()
    is_active = models.BooleanField(default=False, help_text="The version used for new decisions.")

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        REVIEWED = "reviewed", "Reviewed"
        APPROVED = "approved", "Approved"
        ACTIVE = "active", "Active"
        RETIRED = "retired", "Retired"

    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    version_dir = models.CharField(
        max_length=200, blank=True, help_text="versions/<version> inside the pack, empty for its own files."
    )
    change_summaries: models.JSONField[dict[str, str]] = models.JSONField(default=dict, blank=True)
    on_rollback = models.CharField(max_length=20, default="keep_until_review")
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="Empty: loaded by the system (govreach packs load).",
    )  # fmt: skip
    proposed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    activated_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("pack_id", "-loaded_at")
        constraints = (
            # The four-eyes rule, also in the database: whoever approves did not propose or review alone.
            models.CheckConstraint(
                condition=models.Q(approved_by__isnull=True) | ~models.Q(approved_by=models.F("proposed_by")),
                name="catalogue_approver_is_not_proposer",
            ),
            models.CheckConstraint(
                condition=models.Q(reviewed_by__isnull=True) | ~models.Q(reviewed_by=models.F("proposed_by")),
                name="catalogue_reviewer_is_not_proposer",
            ),
            models.CheckConstraint(
                condition=models.Q(approved_by__isnull=True)
                | models.Q(proposed_by__isnull=False)
                | ~models.Q(approved_by=models.F("reviewed_by")),
                name="catalogue_system_version_has_two_people",
            ),
            models.CheckConstraint(
                condition=models.Q(is_active=False) | models.Q(state="active"),
                name="catalogue_active_row_is_in_state_active",
            ),
            models.UniqueConstraint(fields=("pack_id", "version"), name="catalogue_pack_version_unique"),
            models.UniqueConstraint(
                fields=("pack_id",),
                condition=models.Q(is_active=True),
                name="catalogue_one_active_version_per_pack",
            ),
        )

    def __str__(self) -> str:
        return f"{self.pack_id} {self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The flag the rest of GovReach reads and the state the approval reads never disagree.
        if self.is_active:
            self.state = self.State.ACTIVE
            if kwargs.get("update_fields") is not None and "is_active" in kwargs["update_fields"]:
                kwargs["update_fields"] = {*kwargs["update_fields"], "state"}
        super().save(*args, **kwargs)


class PackVersionEvent(models.Model):
    """One move of a pack version through its states (or a pilot's start and end), with who and when."""

    service_pack = models.ForeignKey(ServicePack, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="Empty: the system (govreach packs load, or a scheduled cycle).",
    )  # fmt: skip
    at = models.DateTimeField()
    detail: models.JSONField[dict[str, Any]] = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ("at", "pk")

    def __str__(self) -> str:
        return f"{self.service_pack} {self.action}"


class PackPilot(models.Model):
    """An approved version in force in chosen areas (and everything below them) for a period, while
    the rest of the country stays on the version in force. Rolling it back ends it; what happens to the
    entitlements it granted is the version's ``on_rollback``, carried out by the next cycle."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        ENDED = "ended", "Ended"
        ROLLED_BACK = "rolled_back", "Rolled back"

    service_pack = models.ForeignKey(ServicePack, on_delete=models.PROTECT, related_name="pilots")
    areas = models.ManyToManyField("registry.Area", related_name="+")
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True, help_text="Empty: until ended or rolled back.")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RUNNING)
    on_rollback = models.CharField(max_length=20, default="keep_until_review")
    review_on = models.DateField(
        null=True, blank=True, help_text="Rolled back with keep_until_review: kept until this date."
    )
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField()
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True, help_text="The last day the pilot's version decided.")

    class Meta:
        ordering = ("-starts_on", "-pk")
        constraints = (
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="catalogue_pilot_dates_ordered",
            ),
        )

    def __str__(self) -> str:
        return f"pilot of {self.service_pack} from {self.starts_on}"
