"""Reads from the outbox for staff: what was sent, what is waiting, what failed and why."""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from govreach.accounts.selectors import staff_area_scope, staff_assignment_list_for_user
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


def outbox_failed_for_staff(user: AbstractBaseUser | AnonymousUser) -> QuerySet[OutboxMessage]:
    """Failed messages ``user`` may see and resend, newest first.

    Staff see the failed messages of the packs they hold a role on today, in the areas of those roles
    (and below); a superuser sees every failed message, platform ones (login codes) too. Anyone else: none.
    """
    failed = OutboxMessage.objects.filter(status=OutboxMessage.Status.FAILED).select_related("area")
    if not (user.is_authenticated and user.is_active):
        return failed.none()
    if getattr(user, "is_superuser", False):
        return failed.order_by("-created_at", "-pk")
    pack_ids = sorted({a.pack_id for a in staff_assignment_list_for_user(user)})
    if not pack_ids:
        return failed.none()
    allowed = reduce(or_, (Q(pack_id=p, area__in=staff_area_scope(user, pack_id=p)) for p in pack_ids))
    return failed.filter(allowed).order_by("-created_at", "-pk")
