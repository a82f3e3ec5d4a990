"""Proactive entitlements: cycles that decide whole registries, the entitlements they grant and end.

A cycle decides every supply point on one date; its outcomes and link mismatches are kept per unit so
that nobody is dropped without a recorded reason. Refusal (Lei 7-A/2016: the customer may object) is
final: no later cycle overturns it. Partners, letters and review cases build on these tables.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q


class Cycle(models.Model):
    """One run of a pack's proactive cycle on one decision date, with its resumable step checkpoints."""

    class Status(models.TextChoices):
        RUNNING = "running", "running"
        COMPLETED = "completed", "completed"
        FAILED = "failed", "failed"

    class Engine(models.TextChoices):
        DUCKDB = "duckdb", "DuckDB"
        SPARK = "spark", "Spark"

    pack_id = models.CharField(max_length=100)
    pack_version = models.CharField(max_length=40)
    decided_on = models.DateField(help_text="The cycle date: rules and parameters in force on this day.")
    engine = models.CharField(max_length=10, choices=Engine.choices, default=Engine.DUCKDB)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    registries_dir = models.CharField(max_length=500)
    registries_fingerprint = models.CharField(max_length=64, blank=True)
    workdir = models.CharField(max_length=500, help_text="Where the engine keeps the cycle's working tables.")
    previous = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The completed cycle whose tax facts this one reuses for unchanged contracts.",
    )
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    steps: models.JSONField[dict[str, Any]] = models.JSONField(
        default=dict, help_text="Checkpoint per finished step: seconds, rows; write: batches committed."
    )
    counts: models.JSONField[dict[str, Any]] = models.JSONField(default=dict)
    report: models.JSONField[dict[str, Any]] = models.JSONField(default=dict)
    error = models.TextField(blank=True)

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=["pack_id", "decided_on"], name="entitlements_cycle_one_per_date"),
        )
        indexes = (
            models.Index(fields=["pack_id", "status", "decided_on"], name="entitlements_cycle_latest"),
        )

    def __str__(self) -> str:
        return f"cycle {self.pk} {self.pack_id} {self.decided_on} ({self.status})"


class Entitlement(models.Model):
    """A household's entitlement on one supply point, from the cycle that granted it to the one that ended it.

    At most one active or refused entitlement per pack and unit; ended ones stay as history.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", "active"
        ENDED = "ended", "ended"
        REFUSED = "refused", "refused"

    pack_id = models.CharField(max_length=100)
    unit_key = models.CharField(max_length=64, help_text="The unit decided: the supply point (CPE).")
    household_key = models.CharField(max_length=64, blank=True, help_text="The linked tax household.")
    supply_point_code = models.CharField(max_length=32)
    supplier_id = models.CharField(max_length=64, blank=True)
    area_code = models.CharField(max_length=20, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    is_back_dated = models.BooleanField(default=False, help_text="valid_from lies before the granting cycle.")
    granted_in = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="granted")
    ended_in = models.ForeignKey(Cycle, null=True, blank=True, on_delete=models.PROTECT, related_name="ended")
    end_reason = models.CharField(max_length=100, blank=True, help_text="The criterion that failed.")
    last_decision: models.JSONField[dict[str, Any]] = models.JSONField(
        default=dict, help_text="Criteria outcomes (true/false/null) of the last decision that changed them."
    )
    decision_key = models.CharField(
        max_length=64, blank=True, help_text="One letter per criterion (t/f/u): cheap change detection."
    )
    refused_at = models.DateTimeField(null=True, blank=True)
    refusal_channel = models.CharField(max_length=20, blank=True)
    pack_version = models.CharField(
        max_length=64, blank=True, help_text="The version of the pack's rules that granted it."
    )
    original_valid_from = models.DateField(
        null=True,
        blank=True,
        help_text="valid_from before a review back-dated it (the difference is back-pay).",
    )

    class Meta:
        constraints = (
            models.UniqueConstraint(
                fields=["pack_id", "unit_key"],
                condition=Q(status__in=["active", "refused"]),
                name="entitlements_one_in_force_per_unit",
            ),
            models.UniqueConstraint(
                fields=["pack_id", "unit_key", "granted_in"], name="entitlements_one_grant_per_cycle"
            ),
        )
        # Only the indexes some query uses: a cycle inserts millions of entitlements, each index a
        # B-tree insert per row (no query looks entitlements up by household).
        indexes = (
            models.Index(fields=["pack_id", "status"], name="entitlements_pack_status"),
            models.Index(fields=["supplier_id", "status"], name="entitlements_supplier_status"),
            models.Index(fields=["supply_point_code"], name="entitlements_supply_point"),
        )

    def __str__(self) -> str:
        return f"{self.pack_id} {self.unit_key} {self.status} from {self.valid_from}"

    @property
    def is_in_force(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def back_dated_days(self) -> int:
        """Days a review moved the start back (0 when it was not back-dated by a review)."""
        if self.original_valid_from is None:
            return 0
        return (self.original_valid_from - self.valid_from).days


class CycleOutcome(models.Model):
    """What one cycle concluded for one unit, with the criteria that failed (or were unknown)."""

    class Outcome(models.TextChoices):
        NEW_GRANT = "new_grant", "new grant"
        CONTINUING = "continuing", "continuing"
        ENDED = "ended", "ended"
        NOT_ELIGIBLE = "not_eligible", "not eligible"
        UNDETERMINED = "undetermined", "undetermined"
        REFUSED_KEPT = "refused_kept", "refused kept"

    # Indexed by the unique constraint, whose first column it is (a second index on it alone would only
    # slow the cycle's write of millions of outcomes).
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="outcomes", db_index=False)
    unit_key = models.CharField(max_length=64)
    household_key = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    failing_criteria = models.CharField(
        max_length=300, blank=True, help_text="Comma-separated ids of false criteria; '?id' when unknown."
    )
    area_code = models.CharField(max_length=20, blank=True)

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=["cycle", "unit_key"], name="entitlements_outcome_one_per_unit"),
        )
        indexes = (
            models.Index(fields=["cycle", "outcome"], name="entitlements_outcome_kind"),
            models.Index(fields=["unit_key"], name="entitlements_outcome_unit"),
        )

    def __str__(self) -> str:
        return f"{self.unit_key}: {self.outcome}"


# -- partners ---------------------------------------------------------------------------------------------
class Partner(models.Model):
    """An energy supplier that sends its customer list and gets back, per supply point, only yes/no."""

    supplier_id = models.CharField(max_length=64, unique=True, help_text="As in the customer registries.")
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.supplier_id})"


class PartnerMembership(models.Model):
    """A user who works for a partner: may upload its customer list and download its answers."""

    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="partner_memberships")
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="memberships")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=["user", "partner"], name="entitlements_partner_member_once"),
        )

    def __str__(self) -> str:
        return f"user {self.user_id} of partner {self.partner_id}"


class PartnerToken(models.Model):
    """An API token of one partner, stored as a SHA-256 hash; shown once, revocable."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(max_length=100, help_text="What the partner uses it for, e.g. 'billing system'.")
    prefix = models.CharField(max_length=12, help_text="The first characters, to tell tokens apart.")
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"token {self.prefix}... of partner {self.partner_id}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class CustomerListUpload(models.Model):
    """A customer list a partner sent: it replaced that supplier's rows in the next cycle's input."""

    class Channel(models.TextChoices):
        WEB = "web", "partner page"
        API = "api", "API"

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="uploads")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    uploaded_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    token = models.ForeignKey(
        PartnerToken, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rows = models.PositiveIntegerField()
    size_bytes = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    written_to = models.CharField(max_length=500, help_text="The customers dataset the next cycle reads.")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"upload {self.pk} of partner {self.partner_id}: {self.rows} rows"


# -- people told, people in control -----------------------------------------------------------------------
class EntitlementPerson(models.Model):
    """A person an entitlement concerns: the contract holder (who may refuse) or a household member.

    Written when the cycle's notices go out, from the customer list and the tax household the cycle read.
    """

    entitlement = models.ForeignKey(Entitlement, on_delete=models.CASCADE, related_name="people")
    national_id = models.CharField(max_length=64)
    person = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_contract_holder = models.BooleanField(default=False)

    class Meta:
        constraints = (
            models.UniqueConstraint(
                fields=["entitlement", "national_id"], name="entitlements_person_once_per_entitlement"
            ),
        )
        indexes = (models.Index(fields=["national_id"], name="entitlements_person_nif"),)

    def __str__(self) -> str:
        return f"person of entitlement {self.entitlement_id}"


class ContactPreference(models.Model):
    """How a person wants to be told about their entitlements: SMS, email or a posted letter."""

    class Channel(models.TextChoices):
        SMS = "sms", "SMS"
        EMAIL = "email", "Email"
        LETTER = "letter", "Letter"

    person = models.OneToOneField("registry.Person", on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    email = models.EmailField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"contact preference {self.channel} of person {self.person_id}"


class LinkCorrection(models.Model):
    """A supply point linked to a tax household by hand, after a review found the automatic link wrong.

    Who and why are kept; the latest correction for a supply point is the one in force.
    """

    pack_id = models.CharField(max_length=100)
    supply_point_code = models.CharField(max_length=32)
    household_key_before = models.CharField(max_length=64, blank=True)
    household_key = models.CharField(max_length=64, help_text="The tax household chosen by hand.")
    reason = models.TextField()
    corrected_by = models.ForeignKey("auth.User", on_delete=models.PROTECT, related_name="+")
    review = models.ForeignKey(
        "EntitlementReview", null=True, blank=True, on_delete=models.SET_NULL, related_name="link_corrections"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = (models.Index(fields=["pack_id", "supply_point_code"], name="entitlements_link_fix_cpe"),)

    def __str__(self) -> str:
        return f"link correction {self.pk} of {self.supply_point_code}"


class EntitlementReview(models.Model):
    """A citizen's contest of an ended entitlement or a non-grant, worked as a case of the pack's workflow.

    ``application`` is the case (state, events, decision) in govreach.cases; this row holds what the
    entitlement side needs: the supply point, the entitlement contested and what the review changed.
    """

    class Outcome(models.TextChoices):
        UPHELD = "upheld", "upheld"
        CORRECTED = "corrected", "corrected"

    pack_id = models.CharField(max_length=100)
    application = models.OneToOneField(
        "cases.Application", on_delete=models.PROTECT, related_name="entitlement_review"
    )
    supply_point_code = models.CharField(max_length=32)
    entitlement = models.ForeignKey(
        Entitlement, null=True, blank=True, on_delete=models.PROTECT, related_name="reviews",
        help_text="The ended entitlement contested; empty for a non-grant.",
    )  # fmt: skip
    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="+")
    grounds = models.TextField(help_text="What the citizen says is wrong.")
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    eligible_from = models.DateField(null=True, blank=True)
    result_entitlement = models.ForeignKey(
        Entitlement, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="The entitlement granted or back-dated by a corrected review.",
    )  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"review {self.pk} of {self.supply_point_code}"
