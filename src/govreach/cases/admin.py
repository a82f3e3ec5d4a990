"""Admin views of cases, read-only: every change goes through govreach.cases.services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from govreach.cases.models import Application, CaseEvent, Decision, Payment


class _ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Application)
class ApplicationAdmin(_ReadOnly):
    list_display = ("reference", "pack_id", "state", "area", "submitted_at", "due_at", "is_escalated")
    list_filter = ("pack_id", "state", "is_escalated")
    search_fields = ("reference", "case_number")
    exclude = ("answers", "status_secret_hash")


@admin.register(CaseEvent)
class CaseEventAdmin(_ReadOnly):
    list_display = ("application", "at", "action", "from_state", "to_state")


@admin.register(Payment)
class PaymentAdmin(_ReadOnly):
    list_display = ("application", "purpose", "amount", "currency", "status", "paid_at")


@admin.register(Decision)
class DecisionAdmin(_ReadOnly):
    list_display = ("application", "outcome", "decided_at")
