"""Reads for the citizen and staff pages, on top of the cases and accounts models.

Every lookup that takes something from a URL (a reference, a document id) is scoped to the user in the
same query, and answers None both when the row does not exist and when the user may not see it: the
views turn that into one 404, so a reference cannot be probed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from govreach.accounts.models import StaffAssignment
from govreach.accounts.selectors import staff_area_scope, staff_assignment_list_for_user
from govreach.cases.models import DRAFT, Application, Document, Payment
from govreach.cases.selectors import case_queue_for_staff, case_roles
from govreach.notify.models import OutboxMessage
from govreach.registry.models import Area


def draft_for(*, owner: Any, filer: Any, pack_id: str, form_id: str) -> Application | None:
    """The open draft ``filer`` is filling in for ``owner`` (themselves, or the citizen they assist)."""
    return (
        Application.objects.filter(
            applicant_id=owner.pk, submitted_by_id=filer.pk, pack_id=pack_id, form_id=form_id, state=DRAFT
        )
        .order_by("-updated_at", "-pk")
        .first()
    )


def application_for_filer(*, application_id: int, filer: Any) -> Application | None:
    """An application ``filer`` filled in (any state), or None: for pages that carry a draft's id."""
    return Application.objects.filter(pk=application_id, submitted_by_id=filer.pk).first()


def _citizen_q(user: Any) -> Q:
    return Q(applicant_id=user.pk) | Q(acting_for_id=user.pk) | Q(submitted_by_id=user.pk)


def application_for_citizen(*, reference: str, user: Any) -> Application | None:
    """The submitted application ``reference`` when ``user`` is its applicant or filed it, else None."""
    if not reference or user is None or user.pk is None:
        return None
    return (
        Application.objects.exclude(state=DRAFT)
        .filter(_citizen_q(user), reference=reference)
        .select_related("area")
        .first()
    )


def drafts_for_citizen(user: Any) -> QuerySet[Application]:
    """The citizen's drafts, their own and those an intermediary is preparing for them."""
    return Application.objects.filter(_citizen_q(user), state=DRAFT).order_by("-updated_at", "-pk")


def paid_purposes(application: Application) -> set[str]:
    return set(application.payments.filter(status=Payment.Status.PAID).values_list("purpose", flat=True))


def payment_for(*, application: Application, payment_id: int) -> Payment | None:
    return Payment.objects.filter(pk=payment_id, application=application).first()


# --- staff -----------------------------------------------------------------------------------------


def staff_pack_ids(user: Any) -> list[str]:
    """The services the user holds a role for today, in a stable order."""
    return list(dict.fromkeys(a.pack_id for a in staff_assignment_list_for_user(user)))


def staff_assignments_in(user: Any, pack_id: str) -> list[StaffAssignment]:
    return [a for a in staff_assignment_list_for_user(user) if a.pack_id == pack_id]


def case_for_staff(*, reference: str, user: Any) -> Application | None:
    """The submitted case ``reference`` when it lies in the user's area scope for its service, else None."""
    application = (
        Application.objects.exclude(state=DRAFT).filter(reference=reference).select_related("area").first()
        if reference
        else None
    )
    if application is None or application.area_id is None:
        return None
    scope = staff_area_scope(user, pack_id=application.pack_id, roles=case_roles(application.pack_id))
    in_scope = scope.filter(pk=application.area_id).exists()
    return application if in_scope else None


def document_for_staff(*, application: Application, document_id: int) -> Document | None:
    return Document.objects.filter(pk=document_id, application=application).first()


def area_in_scope(user: Any, *, pack_id: str, code: str) -> Area | None:
    """The area ``code`` when the user may see it for ``pack_id``; None otherwise (the filter is ignored)."""
    if not code:
        return None
    return staff_area_scope(user, pack_id=pack_id, roles=case_roles(pack_id)).filter(code=code).first()


def scope_areas(user: Any, *, pack_id: str) -> list[Area]:
    """The areas the user may filter the queue by: their assigned areas and everything below."""
    return list(staff_area_scope(user, pack_id=pack_id, roles=case_roles(pack_id)).order_by("path")[:500])


@dataclass(frozen=True)
class Queue:
    """One page of the queue and the counts an officer plans the day with."""

    cases: list[Application]
    total: int
    overdue: int
    by_state: dict[str, int]


def queue_for_staff(user: Any, *, pack_id: str, state: str | None, area: Area | None) -> Queue:
    """The officer's queue (overdue first), its size and overdue count, and counts by state in scope."""
    qs = case_queue_for_staff(user, pack_id=pack_id, state=state, area=area)
    cases = list(qs[:200])
    now = timezone.now()
    overdue = qs.filter(Q(due_at__lte=now, decided_at__isnull=True) | Q(state_due_at__lte=now)).count()
    everything = case_queue_for_staff(user, pack_id=pack_id, area=area)
    by_state = Counter(everything.values_list("state", flat=True))
    return Queue(cases=cases, total=qs.count(), overdue=overdue, by_state=dict(by_state))


def outbox_recent(limit: int = 50) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.order_by("-created_at", "-pk")[:limit])
