"""State changes outside a request record themselves: escalating overdue cases (cron) appends case.escalate."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from tests.web.test_staff import file_application

from govreach.audit.chain import verify_chain
from govreach.audit.models import AuditEntry
from govreach.cases.services import cases_escalate_overdue


@pytest.mark.usefixtures("emutation")
def test_escalating_an_overdue_case_is_recorded_as_a_system_action(officers: dict[str, User]) -> None:
    application = file_application()
    assert application.submitted_at is not None
    day_28 = application.submitted_at + dt.timedelta(days=28)
    assert cases_escalate_overdue(now=day_28)
    [entry] = AuditEntry.objects.filter(action="case.escalate")
    assert (entry.subject_type, entry.subject_id) == ("cases.application", str(application.pk))
    assert (entry.actor_id, entry.actor_role, entry.channel) == (None, "system", "system")
    assert entry.detail == {"role": "adc_revenue"}
    cases_escalate_overdue(now=day_28 + dt.timedelta(hours=1))  # already escalated: nothing new
    assert AuditEntry.objects.filter(action="case.escalate").count() == 1
    assert verify_chain().is_ok
