"""The catalogue of service packs loaded into this GovReach: one row per (pack, version).

The pack's files stay the source of truth; a row records which version was loaded from where, with
the digest of its files, and which version is the one in force (``is_active``) for new decisions.
"""

from __future__ import annotations

from typing import Any

from django.db import models


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

    class Meta:
        ordering = ("pack_id", "-loaded_at")
        constraints = (
            models.UniqueConstraint(fields=("pack_id", "version"), name="catalogue_pack_version_unique"),
            models.UniqueConstraint(
                fields=("pack_id",),
                condition=models.Q(is_active=True),
                name="catalogue_one_active_version_per_pack",
            ),
        )

    def __str__(self) -> str:
        return f"{self.pack_id} {self.version}"
