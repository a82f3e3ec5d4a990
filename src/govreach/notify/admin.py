"""The outbox in the admin: read-only, recipients masked, failed messages can be queued again."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from govreach.notify.models import DeliveryAttempt, OutboxMessage
from govreach.notify.services import NotResendable, outbox_resend

if TYPE_CHECKING:
    AttemptInline = admin.TabularInline[DeliveryAttempt, OutboxMessage]
    OutboxModelAdmin = admin.ModelAdmin[OutboxMessage]
else:
    AttemptInline = admin.TabularInline  # not subscriptable at run time without django-stubs-ext
    OutboxModelAdmin = admin.ModelAdmin


class DeliveryAttemptInline(AttemptInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = ("at", "outcome", "error", "duration_ms", "backend")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: OutboxMessage | None = None) -> bool:
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(OutboxModelAdmin):
    list_display = ("pk", "channel", "message_id", "pack_id", "language", "status", "attempts", "created_at")
    list_filter = ("status", "channel", "pack_id")
    search_fields = ("message_id", "dedupe_key")  # never the recipient: it must not travel in a URL
    ordering = ("-created_at",)
    inlines = (DeliveryAttemptInline,)
    actions = ("resend",)
    fields = (
        "channel", "masked_recipient", "language", "pack_id", "message_id", "subject", "body", "status",
        "attempts", "next_attempt_at", "last_error", "sent_at", "provider_message_id", "dedupe_key",
        "resend_log", "created_at",
    )  # fmt: skip
    readonly_fields = fields

    @admin.display(description="recipient")
    def masked_recipient(self, obj: OutboxMessage) -> str:
        return obj.recipient_masked

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: OutboxMessage | None = None) -> bool:
        return False

    @admin.action(description="Queue the selected failed messages again")
    def resend(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        done = 0
        for message in queryset:
            try:
                outbox_resend(message=message, by_user=request.user)  # type: ignore[arg-type]
                done += 1
            except NotResendable as exc:
                self.message_user(request, str(exc), messages.WARNING)
        self.message_user(request, f"{done} message(s) queued again.")
