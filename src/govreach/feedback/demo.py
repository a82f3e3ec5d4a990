"""``govreach demo setup`` step: grievance officers for every level of government above the demo union,
a few grievances (one resolved, one overdue and escalated), and satisfaction ratings from tariff holders,
from a person visited at home (the first visit the outreach step planned is recorded as done) and from
the guardian of a Prepara student (whose entrance-exam outcome is recorded, which ends the course).

Running it again changes nothing: the grievances carry fixed idempotency keys, a service is rated once,
the visit and the outcome are recorded once, and escalation leaves a grievance whose new deadline has
not passed.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pyotp
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from govreach.accounts.models import CitizenAccount, StaffAssignment, StaffTOTPDevice
from govreach.accounts.phones import InvalidPhone, phone_normalise
from govreach.accounts.services import citizen_account_get_or_create, staff_assignment_create
from govreach.entitlements.models import Entitlement, EntitlementPerson
from govreach.feedback import services
from govreach.feedback.conf import grievance_pack_id
from govreach.feedback.models import Grievance, Rating
from govreach.feedback.selectors import grievance_levels
from govreach.outreach.models import Visit
from govreach.packs.forms import Question
from govreach.programmes.models import Registration
from govreach.registry.models import Area
from govreach.web.demo import DEMO_CITIZEN_PHONE, DEMO_PASSWORD, demo_areas

if TYPE_CHECKING:
    from govreach.catalogue.management.commands.demo import DemoContext, StepReport

#: One officer per tier of the default matrix, on the demo union's area at that tier.
DEMO_HANDLERS = (
    ("demo-grv-local", "local"),
    ("demo-grv-district", "district"),
    ("demo-grv-regional", "regional"),
    ("demo-grv-national", "national"),
)

DEMO_GRIEVANCES = (
    # key, category, days ago, text, what happens next
    ("demo:grievance:1", "delay", 2, "My mutation application has waited for weeks without news.", "open"),
    ("demo:grievance:2", "staff_conduct", 12, "The officer at the counter asked me for money.", "resolved"),
    (
        "demo:grievance:3",
        "accessibility",
        45,
        "The land office has stairs only; I use a wheelchair.",
        "overdue",
    ),
)


#: The phone of the visited person's demo account when the registry has none for them (a Seoul mobile).
DEMO_VISITED_PHONE = "+821055510001"


def _staff_user(username: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(username=username, password=DEMO_PASSWORD)
    if not StaffTOTPDevice.objects.filter(user=user).exists():
        StaffTOTPDevice.objects.create(user=user, secret=pyotp.random_base32(32), confirmed_at=timezone.now())
    return user


@transaction.atomic
def demo_feedback_ensure() -> dict[str, object]:
    """Create (once) the officers, grievances and ratings; escalate what is overdue."""
    union: Area = demo_areas()["union"]
    levels = {level.tier.tier: level for level in grievance_levels(union)}
    handlers: dict[str, User] = {}
    for username, tier in DEMO_HANDLERS:
        level = levels.get(tier)
        if level is None:
            continue
        user = _staff_user(username)
        if not StaffAssignment.objects.filter(
            user=user, pack_id=grievance_pack_id(), role=level.tier.role, area=level.area
        ).exists():
            staff_assignment_create(
                user=user, pack_id=grievance_pack_id(), role=level.tier.role, area=level.area
            )
        handlers[tier] = user
    citizen, _created = citizen_account_get_or_create(phone=DEMO_CITIZEN_PHONE, language="en")
    now = timezone.now()
    for key, category, days_ago, text, fate in DEMO_GRIEVANCES:
        if Grievance.objects.filter(idempotency_key=key).exists():
            continue
        filed = services.grievance_file(
            category=category,
            area=union,
            text=text,
            source=Grievance.Source.WEB,
            complainant=citizen.user,
            language="en",
            idempotency_key=key,
            now=now - dt.timedelta(days=days_ago),
        )
        if fate == "resolved" and "local" in handlers:
            services.grievance_reply(
                grievance=filed.grievance, by_user=handlers["local"], note="We are looking into it."
            )
            services.grievance_resolve(
                grievance=filed.grievance,
                by_user=handlers["local"],
                note="The officer was warned and the fee list is now shown at the counter.",
            )
    escalated = services.grievances_escalate(now=now)
    rated = 0
    holders = (
        EntitlementPerson.objects.filter(
            entitlement__status=Entitlement.Status.ACTIVE, person__citizen_accounts__isnull=False
        )
        .select_related("person")
        .order_by("pk")[:5]
    )
    for index, holder in enumerate(holders):
        account = CitizenAccount.objects.filter(person=holder.person).first()
        if account is None:
            continue
        try:
            _rating, created = services.rating_submit(
                account=account,
                kind="entitlement",
                key=str(holder.entitlement_id),
                rating=(5, 4, 4, 3, 2)[index],
            )
        except services.NotPermitted:
            continue
        rated += int(created)
    visit_rater = _demo_visit_rating()
    course_rater = _demo_course_rating()
    invited = services.feedback_invite(now=now)
    return {
        "handlers": handlers,
        "escalated": escalated,
        "rated": rated,
        "levels": levels,
        "invited": invited,
        "visit_rater": visit_rater,
        "course_rater": course_rater,
    }


def _minimal_answer(question: Question) -> str:
    """A plausible answer a nurse could record to a required question of any outreach pack."""
    if question.type == "boolean":
        return "no"
    if question.type in ("integer", "number"):
        return str(int(question.min)) if question.min is not None else "0"
    if question.type == "choice":
        return str(question.choices[0].value) if question.choices else ""
    if question.type == "date":
        return timezone.localdate().isoformat()
    return "-" * max(1, int(question.min or 1))


def _demo_done_visit() -> Visit | None:
    """A visit done: the first one there is, else the first one the outreach step planned, recorded now
    by its nurse with the person's consent and the least answers the pack requires."""
    from govreach.catalogue.selectors import active_pack
    from govreach.outreach.services import OutreachInputError, outreach_of, visit_record_save

    done = Visit.objects.filter(status=Visit.Status.DONE).order_by("pk").first()
    if done is not None:
        return done
    planned = (
        Visit.objects.filter(status=Visit.Status.PLANNED)
        .select_related("registration", "nurse")
        .order_by("scheduled_on", "route_order", "pk")
        .first()
    )
    if planned is None:
        return None
    try:
        outreach = outreach_of(active_pack(planned.registration.pack_id))
        answers = {qid: _minimal_answer(q) for qid, q in outreach.questions.items() if q.required}
        visit_record_save(
            visit=planned, answers=answers, has_consent=True, notes="", acting_user=planned.nurse
        )
    except (OutreachInputError, ValueError, LookupError):
        return None
    return Visit.objects.get(pk=planned.pk)


def _demo_visit_rating() -> CitizenAccount | None:
    """The visited person rates their visit 4 of 5, signed in with their phone (the registry's, else a
    demo phone linked to them); returns their account."""
    visit = _demo_done_visit()
    if visit is None:
        return None
    person = visit.registration.person
    phone = DEMO_VISITED_PHONE
    if person.phone:
        try:
            phone = phone_normalise(person.phone)
        except InvalidPhone:
            phone = DEMO_VISITED_PHONE
    account, _created = citizen_account_get_or_create(phone=phone, language=person.preferred_language or "ko")
    if account.person_id is None:
        account.person = person
        account.save(update_fields=["person"])
    return _rated(
        account, Rating.Kind.VISIT, str(visit.pk), 4, "The nurse explained my blood pressure results clearly."
    )


def _demo_course_rating() -> CitizenAccount | None:
    """A Prepara course completed (the first enrolled student's entrance-exam outcome recorded by their
    class's teacher) and rated 5 of 5 by the guardian, on the phone the school gave; their account."""
    from govreach.programmes.services import OutcomeRow, RegistrationRefused, outcome_record_many

    registration = (
        Registration.objects.filter(outcome__isnull=False).exclude(guardian_phone="").order_by("pk").first()
    )
    if registration is None:
        candidate = (
            Registration.objects.filter(
                allocation__status="allocated", allocation__class_group__teacher__isnull=False
            )
            .exclude(guardian_phone="")
            .select_related("cohort", "allocation__class_group__teacher")
            .order_by("cohort_id", "key")
            .first()
        )
        group = candidate.allocation.class_group if candidate is not None else None
        teacher = group.teacher if group is not None else None
        if candidate is None or teacher is None:
            return None
        row = OutcomeRow(key=candidate.key, has_sat_exam=True, has_passed=True)
        try:
            outcome_record_many(cohort=candidate.cohort, rows=[row], recorded_by=teacher)
        except (RegistrationRefused, ValueError, LookupError):
            return None
        registration = candidate
    try:
        phone = phone_normalise(registration.guardian_phone)
    except InvalidPhone:
        return None
    account, _created = citizen_account_get_or_create(phone=phone, language=registration.language or "pt-BR")
    return _rated(
        account, Rating.Kind.COURSE, str(registration.pk), 5, "My daughter got into the federal institute."
    )


def _rated(account: CitizenAccount, kind: str, key: str, rating: int, comment: str) -> CitizenAccount | None:
    """``account`` after it rated the service (a second run keeps the first rating); None if it may not."""
    try:
        services.rating_submit(account=account, kind=kind, key=key, rating=rating, comment=comment)
    except services.NotPermitted:
        return None
    return account


def step_feedback(ctx: DemoContext) -> StepReport:
    """Grievance officers per level, demo grievances with one escalated, and a few ratings."""
    from govreach.catalogue.management.commands.demo import StepReport

    title = "Feedback and grievances"
    if not settings.DEBUG:
        return StepReport(title, [], warnings=["skipped: demo accounts are made only with GOVREACH_DEBUG=1"])
    made = demo_feedback_ensure()
    lines = [
        f"complain:   {ctx.url(reverse('feedback:grievance_new'))} (anyone; SMS: COMPLAINT <text>)",
        f"follow:     {ctx.url(reverse('feedback:grievance_status'))} (reference and secret code)",
        f"rate:       {ctx.url(reverse('feedback:rate_list'))} (a citizen with a completed service)",
        f"staff:      {ctx.url(reverse('feedback:staff_queue'))}, password '{DEMO_PASSWORD}':",
    ]
    levels = made["levels"]
    assert isinstance(levels, dict)
    for username, tier in DEMO_HANDLERS:
        if tier in levels:
            area = levels[tier].area
            lines.append(f"  {username:<19} {tier} level, {area.name} ({area.level} {area.code})")
    escalated = made["escalated"]
    assert isinstance(escalated, list)
    lines.append(f"escalation: `govreach grievances escalate` (cron); this run escalated {len(escalated)}")
    lines.append(f"ratings:    {made['rated']} new from tariff holders; SMS: RATE <1-5>; USSD: 5")
    rate_list = ctx.url(reverse("feedback:rate_list"))
    for key, what in (("visit_rater", "a home visit"), ("course_rater", "a Prepara course")):
        rater = made[key]
        if isinstance(rater, CitizenAccount):
            lines.append(f"  {what} rated: sign in with the phone {rater.phone} at {rate_list}")
        else:
            lines.append(f"  {what}: none to rate (load the packs and run the outreach and programme steps)")
    lines.append(f"invites:    `govreach feedback invite` (cron); this run queued {made['invited']}")
    return StepReport(title, lines)
