"""Admin for people and access. Phone numbers show masked in lists and are not searchable (a search
puts its terms in the URL); authenticator secrets and code hashes are never shown."""

from __future__ import annotations

from django.contrib import admin

from govreach.accounts.models import CitizenAccount, Consent, Intermediary, StaffAssignment, StaffTOTPDevice


@admin.register(StaffAssignment)
class StaffAssignmentAdmin(admin.ModelAdmin[StaffAssignment]):
    list_display = ("user", "pack_id", "role", "area", "starts_on", "ends_on")
    list_filter = ("pack_id", "role")
    search_fields = ("user__username", "area__code", "area__name")
    raw_id_fields = ("user", "area")


@admin.register(StaffTOTPDevice)
class StaffTOTPDeviceAdmin(admin.ModelAdmin[StaffTOTPDevice]):
    """Delete a device to let its user enrol a new authenticator at their next sign-in."""

    list_display = ("user", "confirmed_at", "created_at")
    fields = ("user", "confirmed_at", "created_at")
    readonly_fields = ("user", "confirmed_at", "created_at")
    search_fields = ("user__username",)

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(CitizenAccount)
class CitizenAccountAdmin(admin.ModelAdmin[CitizenAccount]):
    list_display = ("__str__", "masked_phone", "preferred_language", "created_at")
    raw_id_fields = ("user", "person")


@admin.register(Intermediary)
class IntermediaryAdmin(admin.ModelAdmin[Intermediary]):
    list_display = ("centre_name", "user", "area", "is_active")
    list_filter = ("is_active",)
    search_fields = ("centre_name", "user__username")
    raw_id_fields = ("user", "area")


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin[Consent]):
    list_display = ("__str__", "intermediary", "pack_id", "method", "granted_at", "revoked_at")
    list_filter = ("method", "pack_id")
    readonly_fields = (
        "citizen",
        "intermediary",
        "pack_id",
        "method",
        "requested_at",
        "granted_at",
        "revoked_at",
        "revoked_by",
        "document",
        "evidence",
    )

    def has_add_permission(self, request: object) -> bool:
        return False
