"""Admin for the catalogue: see what is loaded, and roll a pack back or forward to a stored version."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from govreach.catalogue.models import ServicePack
from govreach.catalogue.services import PackVersionRefused, service_pack_activate

if TYPE_CHECKING:
    ServicePackModelAdmin = admin.ModelAdmin[ServicePack]
else:
    ServicePackModelAdmin = admin.ModelAdmin  # not subscriptable at run time without django-stubs-ext


@admin.register(ServicePack)
class ServicePackAdmin(ServicePackModelAdmin):
    list_display = ("pack_id", "version", "state", "is_active", "kind", "country", "loaded_at")
    list_filter = ("state", "is_active", "kind", "country")
    search_fields = ("pack_id",)
    ordering = ("pack_id", "-loaded_at")
    actions = ("activate",)
    # Rows mirror pack files: change the files and run `govreach packs load`, never edit here.
    readonly_fields = tuple(f.name for f in ServicePack._meta.fields)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Make the selected version the one in force", permissions=["change"])
    def activate(self, request: HttpRequest, queryset: QuerySet[ServicePack]) -> None:
        chosen = list(queryset)
        if len({sp.pack_id for sp in chosen}) != len(chosen):
            self.message_user(request, "Choose at most one version of each pack.", messages.ERROR)
            return
        for service_pack in chosen:
            try:
                service_pack_activate(service_pack=service_pack, by=request.user)
            except PackVersionRefused as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return
        self.message_user(request, f"{len(chosen)} version(s) now in force.", messages.SUCCESS)
