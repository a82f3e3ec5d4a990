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


def test_the_demo_step_rates_a_home_visit_and_a_course_it_completes_once(db: None, settings: Any) -> None:
    """The outreach step planned a visit and the programme step allocated a class: the feedback step
    records the visit and the student's outcome, and the person visited and the guardian rate them."""
    from django.contrib.auth.models import User

    from govreach.catalogue.services import service_pack_load
    from govreach.feedback.models import Rating
    from govreach.outreach.models import Visit
    from govreach.programmes.models import Allocation, ClassGroup, Hub, Outcome

    from .factories import (
        BR_AREAS,
        GUARDIAN_PHONE,
        HYO,
        KR_AREAS,
        PREPARA,
        import_areas,
        make_course,
        make_person,
        make_visit,
        pack,
    )

    settings.DEBUG = True
    for pack_id in (HYO, PREPARA):
        service_pack_load(pack=pack(pack_id))
    import_areas(KR_AREAS)
    import_areas(BR_AREAS)
    planned = make_visit(make_person(area_code="KR-11200550", language="ko"), status="planned")
    course = make_course(
        make_person(area_code="BR-2607901"), guardian_phone=GUARDIAN_PHONE, with_outcome=False
    )
    hub = Hub.objects.create(cohort=course.cohort, code="polo-1", titles={"pt-BR": "Polo 1"}, capacity=40)
    group = ClassGroup.objects.create(
        cohort=course.cohort, hub=hub, name="A", teacher=User.objects.create_user(username="teacher")
    )
    Allocation.objects.create(
        registration=course, cohort=course.cohort, status="allocated", position=1, lottery_number="ab",
        hub=hub, class_group=group,
    )  # fmt: skip
    ctx = DemoContext(base_url="http://demo.test")

    first = step_feedback(ctx)
    second = step_feedback(ctx)

    assert not first.problems and not second.problems
    assert (
        Visit.objects.get(pk=planned.pk).status == "done"
        and Outcome.objects.filter(registration=course).exists()
    )
    assert sorted(Rating.objects.values_list("service_kind", "service")) == [
        ("course", PREPARA),
        ("visit", HYO),
    ]
    lines = " ".join(second.lines)
    assert "a home visit rated: sign in with the phone +8210" in lines
    assert f"a Prepara course rated: sign in with the phone {GUARDIAN_PHONE}" in lines
