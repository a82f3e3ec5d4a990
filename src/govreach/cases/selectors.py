"""Reads on applications and cases: staff queues in their area scope, a citizen's own applications,
the steps a user may take now, and the public status (stage and dates only, never personal data).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import BooleanField, Case, Q, QuerySet, Value, When
from django.utils import timezone

from govreach.accounts.models import CitizenAccount
from govreach.accounts.selectors import staff_area_scope
from govreach.cases.models import DRAFT, Application, RecordCopy
from govreach.cases.services import actor_may_take, pack_of, status_secret_matches
from govreach.packs.loader import text_in
from govreach.packs.workflow import Transition, Workflow
from govreach.registry.models import Area


def case_roles(pack_id: str) -> list[str]:
    """The staff roles of ``pack_id``'s case workflow: only they see its cases (not a finance role)."""
    from govreach.catalogue.selectors import active_pack

    try:
        workflow = active_pack(pack_id).workflow
    except Exception:  # an unknown or unloadable pack: nobody sees cases of it
        return []
    return list(workflow.roles) if isinstance(workflow, Workflow) else []


def case_queue_for_staff(
    user: Any, *, pack_id: str, state: str | None = None, area: Area | None = None
) -> QuerySet[Application]:
    """Submitted cases of ``pack_id`` in the user's area scope, overdue first, then oldest deadline.

    ``area`` narrows to that area and below (never beyond the scope); ``state`` to one workflow state.
    """
    now = timezone.now()
    qs = (
        Application.objects.exclude(state=DRAFT)
        .filter(pack_id=pack_id, area__in=staff_area_scope(user, pack_id=pack_id, roles=case_roles(pack_id)))
        .select_related("area")
    )
    if state:
        qs = qs.filter(state=state)
    if area is not None:
        qs = qs.filter(area__path__startswith=area.path)
    overdue = Q(due_at__lte=now, decided_at__isnull=True) | Q(state_due_at__lte=now)
    return qs.annotate(
        overdue=Case(When(overdue, then=Value(True)), default=Value(False), output_field=BooleanField())
    ).order_by("-overdue", "-is_escalated", "due_at", "pk")


def case_allowed_transitions(application: Application, user: Any) -> list[Transition]:
    """The workflow steps ``user`` may take on this case now (by role, area and state), guards aside.

    Guards (no rejection before a hearing) are checked when the step is taken, with the reason shown.
    """
    if application.state == DRAFT:
        return []
    pack = pack_of(application)
    workflow = pack.workflow
    if not isinstance(workflow, Workflow):
        return []
    return [
        t
        for t in workflow.transitions_from(application.state)
        if user is not None and actor_may_take(application, t, user, pack)
    ]


def application_list_for_citizen(account: CitizenAccount) -> QuerySet[Application]:
    """The citizen's applications: their own and those an intermediary filed for them, newest first."""
    return (
        Application.objects.filter(Q(applicant_id=account.user_id) | Q(acting_for_id=account.user_id))
        .select_related("area")
        .order_by("-created_at", "-pk")
    )


@dataclass(frozen=True)
class PublicStatus:
    """What anyone with the reference and the secret may see: the stage and dates, nothing personal."""

    reference: str
    service_title: str
    stage: str
    is_final: bool
    submitted_on: dt.date | None
    stage_since: dt.date
    decision_due_on: dt.date | None
    decided_on: dt.date | None
    is_overdue: bool
    timeline: list[tuple[dt.date, str]]


def application_status_public(reference: str, secret: str, *, language: str = "en") -> PublicStatus | None:
    """The public status of an application, or None when the reference or the secret is wrong.

    Both wrong cases give the same None, so the page cannot be used to find which references exist.
    """
    application = (
        Application.objects.exclude(state=DRAFT).filter(reference=reference.strip().upper()).first()
        if reference
        else None
    )
    if application is None or not status_secret_matches(application, secret or ""):
        return None
    pack = pack_of(application)
    workflow = pack.workflow if isinstance(pack.workflow, Workflow) else None

    def stage_of(state_id: str) -> str:
        state = workflow.states.get(state_id) if workflow else None
        return text_in(state.public_title, language) if state else state_id

    state = workflow.states.get(application.state) if workflow else None
    timeline = [
        (timezone.localdate(e.at), stage_of(e.to_state))
        for e in application.events.exclude(to_state="").exclude(to_state=DRAFT).order_by("at", "pk")
        if e.to_state != e.from_state or e.action == "submit"
    ]
    return PublicStatus(
        reference=application.reference or "",
        service_title=pack.title(language),
        stage=stage_of(application.state),
        is_final=bool(state and state.is_terminal),
        submitted_on=timezone.localdate(application.submitted_at) if application.submitted_at else None,
        stage_since=timezone.localdate(application.state_entered_at),
        decision_due_on=timezone.localdate(application.due_at) if application.due_at else None,
        decided_on=timezone.localdate(application.decided_at) if application.decided_at else None,
        is_overdue=application.is_overdue() and not (state and state.is_terminal),
        timeline=timeline,
    )


def record_for_verification(token: str) -> RecordCopy | None:
    """The issued record whose QR code carries ``token``, or None (a forged or mistyped code)."""
    if not token:
        return None
    return (
        RecordCopy.objects.select_related("application", "application__area")
        .filter(verification_token=token)
        .first()
    )


def application_timeline(application: Application) -> QuerySet[Any]:
    """Every event of the case, oldest first, with who acted and for whom (the staff case page)."""
    return application.events.select_related("actor", "acting_for").order_by("at", "pk")
