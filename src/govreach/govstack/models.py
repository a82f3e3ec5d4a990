"""The GovStack building blocks over GovReach's own model.

Registration keeps no data of its own: an application is a ``cases.Application``, a task a workflow
step, an e-form a pack form. What lives here is what the building blocks add: the client systems that
call (the ``Information-Mediator-Client``) with their tokens and permissions, opaque ids for GovReach
rows (never a national id in a URL), the applicants of client systems, documents uploaded before their
application exists, and the generic registries of the Digital Registries building block.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

# What a client system may be allowed to do (ClientSystem.permissions).
APPLY = "registration.apply"  # submit and follow applications for its applicants, upload documents
OPERATE = "registration.operate"  # see and complete operator tasks, as its operator account may
STATISTICS = "registration.statistics"
REGISTRIES_MANAGE = "registries.manage"  # the database management API: create, change, delete registries
DATA_USAGE = "registries.data_usage"  # "my personal data usage": who read or changed a person's data
PERMISSIONS = (APPLY, OPERATE, STATISTICS, REGISTRIES_MANAGE, DATA_USAGE)

# What a client system may do in one registry (ClientSystem.registries: {name or "*": [operations]}).
READ = "read"
WRITE = "write"
DELETE = "delete"
REGISTRY_OPERATIONS = (READ, WRITE, DELETE)


class ClientSystem(models.Model):
    """A system calling the GovStack APIs, named as the Information Mediator names it.

    ``identifier`` is ``INSTANCE/CLASS/MEMBER/SUBSYSTEM`` (``eGovStack/GOV/90000009/portal``).
    ``operator`` is the staff account whose pack roles and areas decide which tasks the system sees
    and may complete: a back office acts with exactly the rights of that officer, no more.
    """

    identifier = models.CharField(max_length=255, unique=True)
    name = models.CharField(max_length=200)
    permissions: models.JSONField[list[str]] = models.JSONField(default=list, blank=True)
    registries: models.JSONField[dict[str, list[str]]] = models.JSONField(default=dict, blank=True)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.identifier

    def may(self, permission: str) -> bool:
        return self.is_active and permission in self.permissions

    def may_in_registry(self, registry: str, operation: str) -> bool:
        """Whether the system may ``operation`` (read, write, delete) in the registry named ``registry``."""
        if not self.is_active:
            return False
        allowed = set(self.registries.get(registry, [])) | set(self.registries.get("*", []))
        return operation in allowed


class ClientToken(models.Model):
    """An API key of one client system, stored as a SHA-256 hash; shown once, revocable."""

    client = models.ForeignKey(ClientSystem, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, help_text="The first characters, to tell keys apart.")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"key {self.prefix}... of {self.client_id}"


class OpaqueId(models.Model):
    """The UUID a GovStack path carries for a GovReach row (an application, a person, a household)."""

    class Kind(models.TextChoices):
        APPLICATION = "application", "Application"
        PERSON = "person", "Person"
        HOUSEHOLD = "household", "Household"
        ACCOUNT = "account", "Applicant account"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    object_id = models.BigIntegerField()
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        constraints = (models.UniqueConstraint(fields=("kind", "object_id"), name="govstack_opaque_once"),)

    def __str__(self) -> str:
        return f"{self.kind} {self.uuid}"


class ExternalApplicant(models.Model):
    """An applicant as a client system knows them (``applicantId``), and the GovReach account behind.

    The building block says new applicant records are created internally when needed: the first
    application of an unknown ``applicantId`` creates an account with no password and no personal data.
    """

    client = models.ForeignKey(ClientSystem, on_delete=models.CASCADE, related_name="applicants")
    applicant_id = models.CharField(max_length=200)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=("client", "applicant_id"), name="govstack_applicant_once"),
        )

    def __str__(self) -> str:
        return f"applicant {self.pk} of {self.client_id}"


def pending_document_upload_to(instance: PendingDocument, filename: str) -> str:
    # Never the uploaded file's name: it may carry personal data.
    return f"govstack/uploads/{instance.uuid.hex}"


class PendingDocument(models.Model):
    """A file uploaded with ``POST /documents`` before its application exists.

    Checked by its content when uploaded; attached to the application (as a ``cases.Document``, checked
    again against the form's question) when the application names it, and then marked used.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey(ClientSystem, on_delete=models.CASCADE, related_name="uploads")
    kind = models.CharField(max_length=100, blank=True, help_text="The form's document question, if given.")
    file = models.FileField(upload_to=pending_document_upload_to)
    content_type = models.CharField(max_length=100)
    size_bytes = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"upload {self.uuid}"


class Registry(models.Model):
    """A registry of the Digital Registries building block.

    ``kind`` says where its records live: generic registries keep JSON records here (``RegistryRecord``),
    validated by their schema version; ``persons`` and ``households`` are GovReach's own registries,
    read through the API and fed only by registry imports.
    """

    class Kind(models.TextChoices):
        GENERIC = "generic", "Generic"
        PERSONS = "persons", "GovReach persons"
        HOUSEHOLDS = "households", "GovReach households"

    name = models.CharField(max_length=100, unique=True, help_text="As in the paths: /data/{name}/{version}.")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.GENERIC)
    description = models.TextField(blank=True)
    institution = models.CharField(max_length=200, blank=True)
    group_name = models.CharField(max_length=200, blank=True)
    catalog_name = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        ClientSystem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("pk",)
        verbose_name_plural = "registries"

    def __str__(self) -> str:
        return self.name

    @property
    def is_builtin(self) -> bool:
        return self.kind != self.Kind.GENERIC


class RegistrySchema(models.Model):
    """One version of a registry's schema (JSON Schema); versions are never changed, only added."""

    registry = models.ForeignKey(Registry, on_delete=models.CASCADE, related_name="schemas")
    version = models.CharField(max_length=32)
    schema: models.JSONField[dict[str, Any]] = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("registry", "pk")
        constraints = (models.UniqueConstraint(fields=("registry", "version"), name="govstack_schema_once"),)

    def __str__(self) -> str:
        return f"{self.registry_id} v{self.version}"


class RegistryRecord(models.Model):
    """A record of a generic registry: its content as JSON, valid against ``schema_version``."""

    registry = models.ForeignKey(Registry, on_delete=models.CASCADE, related_name="records")
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    schema_version = models.CharField(max_length=32)
    content: models.JSONField[dict[str, Any]] = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    modified_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("pk",)

    def __str__(self) -> str:
        return f"record {self.uuid}"


def record_file_upload_to(instance: RecordFile, filename: str) -> str:
    return f"govstack/records/{instance.record.uuid.hex}/{instance.sha256[:32]}"


class RecordFile(models.Model):
    """A file held in a field of a generic record (``FieldFileType``), served by ``readValue``."""

    record = models.ForeignKey(RegistryRecord, on_delete=models.CASCADE, related_name="files")
    field = models.CharField(max_length=200)
    file = models.FileField(upload_to=record_file_upload_to)
    content_type = models.CharField(max_length=100)
    size_bytes = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        constraints = (models.UniqueConstraint(fields=("record", "field"), name="govstack_file_per_field"),)

    def __str__(self) -> str:
        return f"file of {self.record_id}.{self.field}"
