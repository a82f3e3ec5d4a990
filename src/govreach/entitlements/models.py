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
        indexes = (
            models.Index(fields=["pack_id", "status"], name="entitlements_pack_status"),
            models.Index(fields=["supplier_id", "status"], name="entitlements_supplier_status"),
            models.Index(fields=["household_key"], name="entitlements_household"),
            models.Index(fields=["supply_point_code"], name="entitlements_supply_point"),
        )

    def __str__(self) -> str:
        return f"{self.pack_id} {self.unit_key} {self.status} from {self.valid_from}"

    @property
    def is_in_force(self) -> bool:
        return self.status == self.Status.ACTIVE


class CycleOutcome(models.Model):
    """What one cycle concluded for one unit, with the criteria that failed (or were unknown)."""

    class Outcome(models.TextChoices):
        NEW_GRANT = "new_grant", "new grant"
        CONTINUING = "continuing", "continuing"
        ENDED = "ended", "ended"
        NOT_ELIGIBLE = "not_eligible", "not eligible"
        UNDETERMINED = "undetermined", "undetermined"
        REFUSED_KEPT = "refused_kept", "refused kept"

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="outcomes")
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


class LinkMismatch(models.Model):
    """A customer record that did not link cleanly to the registries, and how (the 11% of complaints)."""

    class Kind(models.TextChoices):
        NO_TAX_NUMBER = "no_tax_number", "no tax number"
        UNKNOWN_TAX_NUMBER = "unknown_tax_number", "unknown tax number"
        ADDRESS_MISMATCH = "address_mismatch", "address differs from the tax registry"
        NAME_MISMATCH = "name_mismatch", "name differs from the tax registry"
        AMBIGUOUS_ADDRESS = "ambiguous_address", "several tax households at the address"
        NO_ADDRESS_MATCH = "no_address_match", "no tax household at the address"
        DUPLICATE_SUPPLY_POINT = "duplicate_supply_point", "supply point listed more than once"

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="mismatches")
    customer_record_id = models.CharField(max_length=64)
    supply_point_code = models.CharField(max_length=32)
    supplier_id = models.CharField(max_length=64, blank=True)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    details: models.JSONField[dict[str, Any]] = models.JSONField(default=dict)

    class Meta:
        constraints = (
            models.UniqueConstraint(
                fields=["cycle", "customer_record_id", "kind"], name="entitlements_mismatch_once"
            ),
        )
        indexes = (
            models.Index(fields=["cycle", "kind"], name="entitlements_mismatch_kind"),
            models.Index(fields=["supply_point_code"], name="entitlements_mismatch_cpe"),
        )

    def __str__(self) -> str:
        return f"{self.customer_record_id}: {self.kind}"
