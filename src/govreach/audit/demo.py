"""The audit demo step: an auditor account (group ``auditor``) and a check of the chain.

The auditor signs in like staff (password, then authenticator code) and reads ``/audit/``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyotp
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from govreach.accounts.models import StaffTOTPDevice
from govreach.audit.chain import verify_chain
from govreach.audit.selectors import AUDITOR_GROUP

if TYPE_CHECKING:
    from govreach.catalogue.management.commands.demo import DemoContext, StepReport

DEMO_AUDITOR = "demo-auditor"
DEMO_PASSWORD = "govreach-demo"  # noqa: S105 - the demo accounts' shared password, printed; DEBUG only


@transaction.atomic
def demo_auditor_ensure() -> User:
    """The demo auditor (once): a password, a confirmed authenticator and the ``auditor`` group."""
    user = User.objects.filter(username=DEMO_AUDITOR).first()
    if user is None:
        user = User.objects.create_user(username=DEMO_AUDITOR, password=DEMO_PASSWORD)
    if not StaffTOTPDevice.objects.filter(user=user).exists():
        StaffTOTPDevice.objects.create(user=user, secret=pyotp.random_base32(32), confirmed_at=timezone.now())
    group, _ = Group.objects.get_or_create(name=AUDITOR_GROUP)
    user.groups.add(group)
    return user


def step_audit(ctx: DemoContext) -> StepReport:
    """The auditor account, where to read the log, and the chain's state now."""
    from govreach.catalogue.management.commands.demo import StepReport

    title = "Audit log (hash-chained)"
    result = verify_chain()
    # the count and head are left out: each run of the demo's batch steps appends to the log
    state = (
        "chain OK: every record checked (govreach audit verify prints the count and the head)"
        if result.problem is None
        else f"chain BROKEN at record {result.problem.seq}: {result.problem.message}"
    )
    lines = [state, "check it any time: govreach audit verify; publish its head: govreach audit anchor"]
    problems = [] if result.problem is None else [state]
    if not settings.DEBUG:
        return StepReport(
            title, lines, problems=problems, warnings=["no demo auditor: only with GOVREACH_DEBUG=1"]
        )
    user = demo_auditor_ensure()
    secret = StaffTOTPDevice.objects.get(user=user).secret
    lines += [
        f"auditor: {DEMO_AUDITOR} at {ctx.url(reverse('accounts:staff_login'))}, password '{DEMO_PASSWORD}',",
        f"  authenticator secret {secret}",
        f"  (or the code: GOVREACH_DEBUG=1 uv run --frozen govreach demo_totp {DEMO_AUDITOR})",
        f"  then {ctx.url(reverse('audit:entries'))}",
    ]
    return StepReport(title, lines, problems=problems)
