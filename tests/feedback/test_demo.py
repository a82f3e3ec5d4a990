"""The demo step: officers per level, grievances with one escalated, and nothing more on a second run."""

from __future__ import annotations

from typing import Any

from govreach.catalogue.management.commands.demo import DemoContext
from govreach.feedback.demo import step_feedback
from govreach.feedback.models import Grievance, GrievanceEvent


def test_the_demo_step_is_idempotent_and_escalates_the_overdue_grievance(db: None, settings: Any) -> None:
    settings.DEBUG = True
    ctx = DemoContext(base_url="http://demo.test")
    first = step_feedback(ctx)
    assert not first.problems and not first.warnings
    second = step_feedback(ctx)
    assert Grievance.objects.count() == 3
    assert dict(Grievance.objects.values_list("category", "status")) == {
        "delay": "open",
        "staff_conduct": "resolved",
        "accessibility": "open",
    }
    escalated = Grievance.objects.get(category="accessibility")
    assert escalated.tier == "district" and not escalated.is_overdue()
    assert GrievanceEvent.objects.filter(action="escalated").count() == 1
    assert any("demo-grv-national" in line for line in second.lines)
    assert "escalated 0" in " ".join(second.lines)


def test_the_demo_step_makes_no_accounts_outside_debug(db: None, settings: Any) -> None:
    settings.DEBUG = False
    report = step_feedback(DemoContext(base_url="http://demo.test"))
    assert report.warnings and not Grievance.objects.exists()
