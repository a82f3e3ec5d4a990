"""Reads from the outbox for staff: what was sent, what is waiting, what failed and why."""

from __future__ import annotations

from django.db.models import QuerySet

from govreach.notify.models import OutboxMessage


def outbox_list_for_staff(status: str | None = None) -> QuerySet[OutboxMessage]:
    """Messages newest first, optionally of one status; ValueError for a status that does not exist.

    Show the recipient only as ``recipient_masked``.
    """
    messages = OutboxMessage.objects.all()
    if status is not None:
        if status not in OutboxMessage.Status.values:
            raise ValueError(
                f"unknown status '{status}': use one of {', '.join(OutboxMessage.Status.values)}"
            )
        messages = messages.filter(status=status)
    return messages.order_by("-created_at", "-pk")
