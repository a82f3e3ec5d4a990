"""``govreach demo setup`` step: grievance officers for every level of government above the demo union,
a few grievances (one resolved, one overdue and escalated), and satisfaction ratings from tariff holders.

Running it again changes nothing: the grievances carry fixed idempotency keys, a service is rated once,
and escalation leaves a grievance whose new deadline has not passed.
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
from govreach.accounts.services import citizen_account_get_or_create, staff_assignment_create
from govreach.entitlements.models import Entitlement, EntitlementPerson
from govreach.feedback import services
from govreach.feedback.conf import grievance_pack_id
from govreach.feedback.models import Grievance
from govreach.feedback.selectors import grievance_levels
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
    invited = services.feedback_invite(now=now)
    return {
        "handlers": handlers,
        "escalated": escalated,
        "rated": rated,
        "levels": levels,
        "invited": invited,
    }


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
    lines.append(f"ratings:    {made['rated']} new from tariff holders; SMS: RATE <1-5>")
    lines.append(f"invites:    `govreach feedback invite` (cron); this run queued {made['invited']}")
    return StepReport(title, lines)
