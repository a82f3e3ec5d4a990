"""Admin views of programmes, read-only: every change goes through govreach.programmes.services, so that
the allocation stays the one the published seed gives. No phone number or fact is listed."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from govreach.programmes.models import Allocation, ClassGroup, Cohort, Registration, Session


class _ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Cohort)
class CohortAdmin(_ReadOnly):
    list_display = ("pack_id", "year", "places", "status", "lottery_seed", "allocated_at")
    list_filter = ("pack_id", "status")


@admin.register(Registration)
class RegistrationAdmin(_ReadOnly):
    list_display = ("key", "cohort", "channel", "is_eligible", "priority_score", "decided_on")
    list_filter = ("cohort", "channel", "is_eligible")
    search_fields = ("key",)
    exclude = ("guardian_phone", "facts", "decision")


@admin.register(Allocation)
class AllocationAdmin(_ReadOnly):
    list_display = ("cohort", "position", "status", "waiting_rank", "hub", "class_group", "was_moved_up")
    list_filter = ("cohort", "status")


@admin.register(ClassGroup)
class ClassGroupAdmin(_ReadOnly):
    list_display = ("name", "cohort", "hub", "teacher")


@admin.register(Session)
class SessionAdmin(_ReadOnly):
    list_display = ("held_on", "class_group", "starts_at", "ends_at")
    list_filter = ("cohort",)
