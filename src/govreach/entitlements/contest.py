"""Contesting: a citizen contests an ended entitlement or a non-grant, and a reviewer decides.

The review is a case of govreach.cases (an ``Application`` in the pack's ``workflow.yaml``: submitted ->
under_review -> decided), so it sits in the staff queues with its deadlines and escalation. The cases
engine takes its facts from a form, and a proactive pack has none: this module is the minimal generic
support for a form-less case (open it, take a transition with the workflow's roles, states and required
data, record the decision and the events). A reviewer may link the supply point to a tax household by
hand (who and why are kept), and a corrected review back-dates the entitlement: no lost back-pay.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from govreach.accounts.models import CitizenAccount
from govreach.cases.models import Application, CaseEvent, Decision
from govreach.cases.services import actor_may_take
from govreach.catalogue.selectors import active_pack
from govreach.entitlements.config import load_cycle_config
from govreach.entitlements.models import (
    Cycle,
    CycleOutcome,
    Entitlement,
    EntitlementPerson,
    EntitlementReview,
    LinkCorrection,
)
from govreach.entitlements.notifications import Contact, contact_for, notice_send
from govreach.entitlements.partners import PACK_ID, cycle_customers_snapshot
from govreach.entitlements.selectors import cycle_latest_completed, cycle_mismatches, cycle_outcome
from govreach.entitlements.services import pack_path
from govreach.notify.services import InvalidRecipient, outbox_enqueue
from govreach.packs.workflow import Workflow
from govreach.registry.models import Area

CONTESTABLE_OUTCOMES = (CycleOutcome.Outcome.NOT_ELIGIBLE, CycleOutcome.Outcome.UNDETERMINED)
# What each kind of link mismatch means, as a reviewer reads it (steps.link_tables records them).
LINK_PROBLEMS = {
    "no_tax_number": _("the supplier holds no tax number for the contract"),
    "unknown_tax_number": _("the tax authority does not know the contract's tax number"),
    "address_mismatch": _("the contract's address differs from the tax registry's"),
    "name_mismatch": _("the holder's name differs from the tax registry's"),
    "ambiguous_address": _("several tax households live at the contract's address"),
    "no_address_match": _("no tax household lives at the contract's address"),
    "duplicate_supply_point": _("the supply point is listed more than once"),
}
REVIEWER_ROLES = ("tariff_reviewer", "tariff_reviewer_national")


class ReviewError(Exception):
    """The review step cannot be taken; the message says why and what to do."""


def _workflow(pack_id: str) -> Workflow:
    pack = active_pack(pack_id)
    if not isinstance(pack.workflow, Workflow):
        raise ReviewError(f"the service '{pack_id}' has no review workflow (workflow.yaml)")
    return pack.workflow


def _reference(year: int) -> str:
    # Not the cases' "PT-2026-..." series: its numbering parses the part after the last dash.
    prefix = f"PTR-{year}-"
    last = (
        Application.objects.filter(reference__startswith=prefix)
        .order_by("-reference")
        .values_list("reference", flat=True)
        .first()
    )
    return f"{prefix}{(int(last.rsplit('-', 1)[1]) + 1) if last else 1:06d}"


def _citizen_contact(account: CitizenAccount) -> Contact:
    contact = contact_for(account.person)
    return contact or Contact("sms", account.phone, account.preferred_language or "pt")


def contestable_for_citizen(
    account: CitizenAccount, supply_point_code: str
) -> tuple[Entitlement | None, Cycle]:
    """What the citizen may contest for this supply point: its ended entitlement, or its non-grant.

    ReviewError when the citizen is not the holder or a household member, or nothing can be contested.
    """
    cycle = cycle_latest_completed(PACK_ID)
    person = account.person
    if cycle is None or person is None or not person.national_id:
        raise ReviewError("we cannot find you in the records yet: ask at a counter")
    code = supply_point_code.strip().upper()
    ended = (
        Entitlement.objects.filter(
            supply_point_code=code, status=Entitlement.Status.ENDED, people__national_id=person.national_id
        )
        .order_by("-valid_to", "-pk")
        .first()
    )
    if ended is not None:
        if Entitlement.objects.filter(unit_key=code, status__in=["active", "refused"]).exists():
            raise ReviewError(
                "this supply point has the tariff again (or you refused it): nothing to contest"
            )
        return ended, cycle
    # Every unit's outcome is in the cycle's store (the database may hold only new grants and ends).
    outcome = cycle_outcome(cycle, code)
    if outcome is None or outcome["outcome"] not in CONTESTABLE_OUTCOMES:
        raise ReviewError("no ended tariff nor refusal to grant it for this supply point in the latest cycle")
    snapshot = cycle_customers_snapshot(cycle)
    holders = (
        duckdb.connect()
        .execute(
            "SELECT DISTINCT national_id FROM read_parquet(?) WHERE cpe = ?", [snapshot.as_posix(), code]
        )
        .fetchall()
    )
    if (person.national_id,) not in holders:
        raise ReviewError("only the contract holder of this supply point can contest it")
    return None, cycle


@transaction.atomic
def review_open(*, account: CitizenAccount, supply_point_code: str, grounds: str) -> EntitlementReview:
    """Open a review case for the citizen's contest; one open review per supply point at a time."""
    if not grounds.strip():
        raise ReviewError("say what is wrong, e.g. 'my address is recorded wrongly'")
    entitlement, cycle = contestable_for_citizen(account, supply_point_code)
    code = supply_point_code.strip().upper()
    open_review = (
        EntitlementReview.objects.filter(supply_point_code=code).exclude(application__state="decided").first()
    )
    if open_review is not None:
        return open_review
    workflow = _workflow(cycle.pack_id)
    pack = active_pack(cycle.pack_id)
    area_code = (
        entitlement.area_code if entitlement else (cycle_outcome(cycle, code) or {}).get("area_code") or ""
    )
    now = timezone.now()
    initial = workflow.states[workflow.initial]
    application = Application.objects.create(
        reference=_reference(now.year),
        pack_id=cycle.pack_id,
        pack_version=pack.version,
        form_id="",
        facts={"review.supply_point": code},
        language=account.preferred_language or "pt",
        applicant=account.user,
        submitted_by=account.user,
        area=Area.objects.filter(code=area_code).first(),
        state=workflow.initial,
        state_entered_at=now,
        state_due_at=now + dt.timedelta(days=initial.deadline_days) if initial.deadline_days else None,
        submitted_at=now,
        due_at=now + dt.timedelta(days=workflow.deadline_days) if workflow.deadline_days else None,
    )
    CaseEvent.objects.create(
        application=application, actor=account.user, action="submit", to_state=workflow.initial, note=grounds
    )
    review = EntitlementReview.objects.create(
        pack_id=cycle.pack_id,
        application=application,
        supply_point_code=code,
        entitlement=entitlement,
        cycle=cycle,
        grounds=grounds.strip(),
    )
    _tell_citizen(review, "review_received", {"reference": application.reference or ""}, "received")
    return review


def _tell_citizen(review: EntitlementReview, message_id: str, context: dict[str, Any], event: str) -> None:
    account = CitizenAccount.objects.filter(user_id=review.application.applicant_id).first()
    if account is None:
        return
    contact = _citizen_contact(account)
    try:
        outbox_enqueue(
            channel=contact.channel,
            to=contact.to,
            message_id=message_id,
            language=contact.language,
            context=context,
            dedupe_key=f"entitlements:review:{review.pk}:{event}",
            pack_id=review.pack_id,
        )
    except InvalidRecipient:
        return


def review_may(review: EntitlementReview, transition_id: str, user: Any) -> bool:
    workflow = _workflow(review.pack_id)
    transition = workflow.transitions.get(transition_id)
    if transition is None or user is None:
        return False
    return actor_may_take(review.application, transition, user, active_pack(review.pack_id))


def review_transitions_for(review: EntitlementReview, user: Any) -> list[str]:
    """The workflow steps ``user`` may take on this review now."""
    workflow = _workflow(review.pack_id)
    return [
        t.id for t in workflow.transitions_from(review.application.state) if review_may(review, t.id, user)
    ]


@transaction.atomic
def review_transition(
    *, review: EntitlementReview, transition_id: str, by_user: Any, data: dict[str, Any] | None = None
) -> EntitlementReview:
    """Take a workflow step on a review: role and area, state and required data checked as cases does.

    ``correct`` needs ``eligible_from`` (the date the household was entitled): the entitlement is given
    back or back-dated to it. ``uphold`` keeps the decision. Both record a Decision with the reason.
    """
    data = dict(data or {})
    review = (
        EntitlementReview.objects.select_for_update(of=("self",))
        .select_related("application")
        .get(pk=review.pk)
    )
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related("area")
        .get(pk=review.application_id)
    )
    review.application = application
    workflow = _workflow(review.pack_id)
    transition = workflow.transitions.get(transition_id)
    if transition is None:
        raise ReviewError(f"no step '{transition_id}': steps are {', '.join(workflow.transitions)}")
    if not review_may(review, transition_id, by_user):
        raise ReviewError(
            f"you may not take the step '{transition_id}': it is for {', '.join(transition.by)}"
        )
    if application.state not in transition.sources:
        raise ReviewError(
            f"the step '{transition_id}' is not possible while the review is '{application.state}'"
        )
    for required in transition.requires:
        if not str(data.get(required) or "").strip():
            raise ReviewError(f"'{required}' is required for this step")
    eligible_from: dt.date | None = None
    if transition_id == "correct":
        raw = data.get("eligible_from")
        try:
            eligible_from = raw if isinstance(raw, dt.date) else dt.date.fromisoformat(str(raw or ""))
        except ValueError:
            raise ReviewError(
                "'eligible_from' must be the date the household was entitled, YYYY-MM-DD"
            ) from None
        if eligible_from > timezone.localdate():
            raise ReviewError("'eligible_from' cannot be in the future")
    now = timezone.now()
    source = application.state
    reason = str(data.get("reason") or "").strip()
    pack = active_pack(review.pack_id)
    if transition.outcome is not None:
        Decision.objects.create(
            application=application,
            outcome=transition.outcome,
            reasons=reason,
            rule_trace={
                "review": review.pk,
                "eligible_from": eligible_from.isoformat() if eligible_from else None,
            },
            pack_version=pack.version,
            decided_by=by_user,
        )
        application.decided_at = now
    application.state = transition.target
    application.state_entered_at = now
    days = workflow.states[transition.target].deadline_days
    application.state_due_at = now + dt.timedelta(days=days) if days else None
    application.save()
    CaseEvent.objects.create(
        application=application,
        actor=by_user,
        action=transition.id,
        from_state=source,
        to_state=transition.target,
        note=reason,
        data={"eligible_from": eligible_from.isoformat()} if eligible_from else {},
    )
    if transition_id == "uphold":
        review.outcome = EntitlementReview.Outcome.UPHELD
    if transition_id == "correct" and eligible_from is not None:
        review.outcome = EntitlementReview.Outcome.CORRECTED
        review.eligible_from = eligible_from
        review.result_entitlement = _back_date(review, eligible_from)
    review.save()
    if transition.notify:
        _tell_citizen(
            review,
            transition.notify,
            {"reference": application.reference or "", "reasons": reason},
            transition.id,
        )
    return review


def _household_exists(cycle: Cycle, household_key: str) -> bool:
    config = load_cycle_config(pack_path(cycle.pack_id))
    registries = Path(cycle.registries_dir)
    path = registries / "registries" / f"{config.registries.tax}.parquet"
    if not path.exists():
        path = registries / f"{config.registries.tax}.parquet"
    row = (
        duckdb.connect()
        .execute(
            "SELECT count(*) FROM read_parquet(?) WHERE tax_household_id = ?",
            [path.as_posix(), household_key],
        )
        .fetchone()
    )
    return bool(row and row[0])


def link_current(review: EntitlementReview) -> str:
    """The tax household the supply point is linked to now: the latest correction, else the cycle's link."""
    fixed = LinkCorrection.objects.filter(pack_id=review.pack_id, supply_point_code=review.supply_point_code)
    latest = fixed.order_by("-created_at", "-pk").first()
    if latest is not None:
        return latest.household_key
    if review.entitlement is not None:
        return review.entitlement.household_key
    outcome = cycle_outcome(review.cycle, review.supply_point_code)
    return (outcome or {}).get("household_key") or ""


def link_problems(review: EntitlementReview) -> list[str]:
    """What the contested cycle found wrong when linking the supply point (from the cycle's store)."""
    found = cycle_mismatches(review.cycle, supply_point_code=review.supply_point_code)
    return [str(LINK_PROBLEMS.get(m["kind"], m["kind"])) for m in found]


@transaction.atomic
def link_correct(
    *, review: EntitlementReview, household_key: str, reason: str, by_user: Any
) -> LinkCorrection:
    """A reviewer links the supply point to a tax household by hand, with the reason (kept with who)."""
    if review.application.state != "under_review":
        raise ReviewError("start the review before correcting the link")
    if not any(review_may(review, t, by_user) for t in ("uphold", "correct")):
        raise ReviewError("only a reviewer of this area may correct the link")
    household_key = household_key.strip()
    if not reason.strip():
        raise ReviewError("say why the link is corrected (e.g. 'the tax registry has the old street name')")
    if not household_key or not _household_exists(review.cycle, household_key):
        raise ReviewError(f"no tax household '{household_key}' in the tax registry the cycle read")
    return LinkCorrection.objects.create(
        pack_id=review.pack_id,
        supply_point_code=review.supply_point_code,
        household_key_before=link_current(review),
        household_key=household_key,
        reason=reason.strip(),
        corrected_by=by_user,
        review=review,
    )


def _back_date(review: EntitlementReview, eligible_from: dt.date) -> Entitlement:
    """Give the tariff back from ``eligible_from``: back-date the entitlement in force, or grant it again."""
    code = review.supply_point_code
    household = link_current(review)
    in_force = (
        Entitlement.objects.select_for_update(of=("self",))
        .filter(
            pack_id=review.pack_id,
            unit_key=code,
            status__in=[Entitlement.Status.ACTIVE, Entitlement.Status.REFUSED],
        )
        .first()
    )
    if in_force is not None and in_force.status == Entitlement.Status.REFUSED:
        raise ReviewError("the holder refused the tariff on this supply point; a refusal is never overturned")
    today = timezone.localdate()
    if in_force is not None:
        if eligible_from < in_force.valid_from:
            in_force.original_valid_from = in_force.original_valid_from or in_force.valid_from
            in_force.valid_from = eligible_from
            in_force.is_back_dated = True
        if household and household != in_force.household_key:
            in_force.household_key = household
        in_force.save(update_fields=["valid_from", "original_valid_from", "is_back_dated", "household_key"])
        entitlement = in_force
    else:
        latest = cycle_latest_completed(review.pack_id) or review.cycle
        before = review.entitlement
        if Entitlement.objects.filter(pack_id=review.pack_id, unit_key=code, granted_in=latest).exists():
            raise ReviewError(
                f"supply point {code} already had a grant in cycle {latest.pk}; ask the data team"
            )
        outcome = cycle_outcome(review.cycle, code) or {}
        entitlement = Entitlement.objects.create(
            pack_id=review.pack_id,
            unit_key=code,
            household_key=household,
            supply_point_code=code,
            supplier_id=before.supplier_id if before else "",
            area_code=before.area_code if before else (outcome.get("area_code") or ""),
            status=Entitlement.Status.ACTIVE,
            valid_from=eligible_from,
            original_valid_from=today,
            is_back_dated=eligible_from < today,
            granted_in=latest,
            last_decision={
                "review": review.pk,
                "decided_on": today.isoformat(),
                "decision": True,
                "criteria": before.last_decision.get("criteria", {}) if before else {},
            },
        )
        people = (
            EntitlementPerson.objects.filter(entitlement=before)
            if before
            else EntitlementPerson.objects.none()
        )
        EntitlementPerson.objects.bulk_create(
            [
                EntitlementPerson(
                    entitlement=entitlement,
                    national_id=p.national_id,
                    person=p.person,
                    is_contract_holder=p.is_contract_holder,
                )
                for p in people
            ],
            ignore_conflicts=True,
        )
        if before is None:
            account = CitizenAccount.objects.filter(user_id=review.application.applicant_id).first()
            person = account.person if account else None
            if person is not None and person.national_id:
                EntitlementPerson.objects.get_or_create(
                    entitlement=entitlement,
                    national_id=person.national_id,
                    defaults={"person": person, "is_contract_holder": True},
                )
    notice_send(
        entitlement=entitlement,
        message_id="entitlement_back_dated",
        context={
            "reference": review.application.reference or "",
            "supply_point": code,
            "valid_from": entitlement.valid_from.isoformat(),
            "days": str(entitlement.back_dated_days),
        },
        key=f"entitlements:review:{review.pk}:back_dated",
    )
    return entitlement


def review_queue_for_staff(user: Any, pack_id: str) -> list[EntitlementReview]:
    """Reviews in the user's areas (reviewer roles), open first then the newest."""
    from govreach.cases.selectors import case_queue_for_staff

    cases = case_queue_for_staff(user, pack_id=pack_id)
    return list(
        EntitlementReview.objects.filter(application__in=cases)
        .select_related("application", "entitlement")
        .order_by(F("application__decided_at").asc(nulls_first=True), "-created_at")
    )
