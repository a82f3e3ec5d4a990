"""The audit log in the admin: read-only, for looking things up; auditors use /audit/ to export."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from govreach.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin[AuditEntry]):
    list_display = (
        "seq",
        "created_at",
        "actor_username",
        "actor_role",
        "action",
        "subject_type",
        "subject_id",
    )
    list_filter = ("channel",)
    search_fields = ("action", "actor_username")
    ordering = ("-seq",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
