"""The audit chain: append-only entries, each hashed with the previous entry's hash, and a head row.

Rows are written only by ``govreach.audit.log.audit_record``; the ORM refuses to update or delete
them (``AuditEntryImmutable``). Nothing here references another table by foreign key: an entry must
outlive the user, person or case it mentions, unchanged.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models

#: The previous hash of the first entry.
GENESIS_HASH = "0" * 64


class AuditEntryImmutable(Exception):
    """Raised on any attempt to change or remove an audit entry through the ORM."""


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    def update(self, **kwargs: Any) -> int:
        raise AuditEntryImmutable("Audit entries cannot be changed.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditEntryImmutable("Audit entries cannot be removed.")

    def bulk_update(self, objs: Any, fields: Any, batch_size: int | None = None) -> int:
        raise AuditEntryImmutable("Audit entries cannot be changed.")

    def bulk_create(self, *args: Any, **kwargs: Any) -> list[AuditEntry]:
        raise AuditEntryImmutable("Audit entries are appended one by one with audit_record().")

    def update_or_create(self, *args: Any, **kwargs: Any) -> tuple[AuditEntry, bool]:
        raise AuditEntryImmutable("Audit entries cannot be changed.")


AuditEntryManager = models.Manager.from_queryset(AuditEntryQuerySet)


class AuditEntry(models.Model):
    """One audited event: who (actor, acting for whom), did what (``action``) to what (``subject``),
    about whose data (``person_id``), through which channel; ``hash`` chains it to entry ``seq - 1``.
    """

    seq = models.BigIntegerField(primary_key=True, help_text="1, 2, 3... with no gap.")
    created_at = models.DateTimeField(db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor_username = models.CharField(max_length=150, blank=True)
    actor_role = models.CharField(max_length=200, blank=True, help_text="e.g. staff:officer, intermediary.")
    acting_for_citizen_id = models.BigIntegerField(
        null=True, blank=True, help_text="The citizen account an intermediary acted for."
    )
    action = models.CharField(max_length=100, db_index=True)
    subject_type = models.CharField(max_length=100, blank=True, help_text="app_label.model")
    subject_id = models.CharField(max_length=64, blank=True)
    person_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    channel = models.CharField(max_length=32, blank=True)
    client = models.CharField(max_length=200, blank=True, help_text="GovStack Information-Mediator-Client.")
    detail: models.JSONField[dict[str, Any]] = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects: ClassVar[AuditEntryManager[AuditEntry]] = AuditEntryManager()

    class Meta:
        ordering = ("-seq",)
        verbose_name_plural = "audit entries"
        indexes = (models.Index(fields=["person_id", "-seq"], name="audit_entry_person_idx"),)

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not getattr(self, "_appending", False):
            raise AuditEntryImmutable("Audit entries are appended with audit_record() and never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditEntryImmutable("Audit entries cannot be removed.")


class AuditChainHead(models.Model):
    """The single row (pk 1) holding the last entry's ``seq`` and ``hash``.

    Appenders lock it (an UPDATE first, so the lock is taken before anything is read, on PostgreSQL
    and SQLite alike), which serialises appends so that two writers can never fork the chain; the
    verifier compares it with the last entry, so removing the newest entries shows.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        constraints = (models.CheckConstraint(condition=models.Q(id=1), name="audit_head_single_row"),)

    def __str__(self) -> str:
        return f"Audit chain head #{self.seq}"
