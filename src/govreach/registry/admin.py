"""Admin registrations: read-mostly views for operators; personal data stays out of list columns."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin

from govreach.registry.models import (
    Area,
    Household,
    ImportRun,
    Membership,
    Person,
    QuarantinedRow,
    RecordLink,
    RegistrySource,
    SourceRecord,
)

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin
else:

    class ModelAdmin(admin.ModelAdmin):
        """``ModelAdmin[Model]`` at runtime too, without django-stubs' monkeypatch in production."""

        def __class_getitem__(cls, _item: Any) -> type:
            return cls


@admin.register(Area)
class AreaAdmin(ModelAdmin[Area]):
    list_display = ("code", "name", "level", "depth", "path")
    list_filter = ("level",)
    search_fields = ("code", "name")
    readonly_fields = ("path", "depth")
    raw_id_fields = ("parent",)


@admin.register(RegistrySource)
class RegistrySourceAdmin(ModelAdmin[RegistrySource]):
    list_display = ("name", "agency", "dataset", "extracted_at", "licence", "creates_persons")
    search_fields = ("name", "agency", "dataset")


@admin.register(Person)
class PersonAdmin(ModelAdmin[Person]):
    list_display = ("id", "area", "created_at", "updated_at")
    search_fields = ("=national_id", "=family_name")
    raw_id_fields = ("area",)


@admin.register(Household)
class HouseholdAdmin(ModelAdmin[Household]):
    list_display = ("id", "reference", "area")
    search_fields = ("=reference",)
    raw_id_fields = ("area",)


@admin.register(Membership)
class MembershipAdmin(ModelAdmin[Membership]):
    list_display = ("id", "person", "household", "role", "valid_from", "valid_to")
    list_filter = ("role",)
    raw_id_fields = ("person", "household")


@admin.register(ImportRun)
class ImportRunAdmin(ModelAdmin[ImportRun]):
    list_display = (
        "id",
        "source",
        "status",
        "read_count",
        "inserted_count",
        "updated_count",
        "unchanged_count",
        "quarantined_count",
        "started_at",
        "finished_at",
    )
    list_filter = ("status", "source")
    readonly_fields = tuple(f.name for f in ImportRun._meta.fields)


@admin.register(QuarantinedRow)
class QuarantinedRowAdmin(ModelAdmin[QuarantinedRow]):
    list_display = ("run", "row_number", "field", "reason")
    list_filter = ("field",)
    raw_id_fields = ("run",)


@admin.register(SourceRecord)
class SourceRecordAdmin(ModelAdmin[SourceRecord]):
    list_display = ("id", "source", "source_key", "person", "first_seen_at", "last_seen_at")
    list_filter = ("source",)
    search_fields = ("=source_key",)
    raw_id_fields = ("person", "household", "created_by_run", "updated_by_run")


@admin.register(RecordLink)
class RecordLinkAdmin(ModelAdmin[RecordLink]):
    list_display = ("id", "status", "method", "match_probability", "decided_by", "decided_at")
    list_filter = ("status", "method")
    raw_id_fields = ("left_record", "right_record", "person", "decided_by")
