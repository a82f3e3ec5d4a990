"""Budget lines per service, year and area, and the published snapshot of each service's figures.

A snapshot holds only what may be published: counts after disclosure control (``None`` where
suppressed) and the rates and times derived from published cells. Pages read it in one query.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from govreach.registry.models import Area


class BudgetLine(models.Model):
    """One line of a service's budget for a year and an area (``Saturday classes: teachers``), with where
    the figure comes from. ``is_illustrative`` marks a figure made up for the demo, never a real one."""

    pack_id = models.CharField(max_length=100)
    year = models.PositiveSmallIntegerField()
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="budget_lines")
    line = models.CharField(max_length=200, help_text="What the money pays for.")
    amount = models.DecimalField(max_digits=16, decimal_places=2)
    currency = models.CharField(max_length=3, help_text="ISO 4217, e.g. EUR, BDT.")
    source = models.CharField(max_length=500, help_text="Where the figure comes from.")
    note = models.TextField(blank=True)
    is_illustrative = models.BooleanField(default=False)
    loaded_from = models.CharField(max_length=300, blank=True, help_text="The pack file it was loaded from.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("pack_id", "-year", "area__path", "line")
        constraints = (
            models.UniqueConstraint(
                fields=("pack_id", "year", "area", "line"), name="transparency_budget_line"
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="transparency_budget_amount_not_negative"
            ),
        )

    def __str__(self) -> str:
        return f"{self.pack_id} {self.year} {self.line}"


class Snapshot(models.Model):
    """The published figures of one service for one year, as computed at ``computed_at``."""

    pack_id = models.CharField(max_length=100)
    year = models.PositiveSmallIntegerField()
    computed_at = models.DateTimeField()
    data: models.JSONField[dict[str, Any]] = models.JSONField(default=dict)

    class Meta:
        ordering = ("pack_id", "-year")
        constraints = (models.UniqueConstraint(fields=("pack_id", "year"), name="transparency_snapshot_one"),)

    def __str__(self) -> str:
        return f"{self.pack_id} {self.year}"
