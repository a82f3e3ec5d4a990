"""The demo step: staff on the imported Brazilian areas, a cohort with fewer places than eligible students,
the schools' 9th-graders registered, an allocation with a printed seed, and a class with sessions."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import User

from govreach.accounts.models import StaffAssignment, StaffTOTPDevice
from govreach.catalogue.management.commands.demo import SETUP_STEPS, DemoContext
from govreach.catalogue.models import ServicePack
from govreach.programmes.demo import step_programmes
from govreach.programmes.lottery import allocation_order
from govreach.programmes.models import Allocation, Cohort, Registration, Session
from govreach.registry.models import Area


@pytest.mark.slow
def test_the_demo_step_is_complete_and_idempotent(
    service_pack: ServicePack, areas: dict[str, Area], settings: object, tmp_path: Path
) -> None:
    settings.DEBUG = True  # type: ignore[attr-defined]
    settings.VAR_DIR = tmp_path  # type: ignore[attr-defined]
    assert step_programmes in SETUP_STEPS
    ctx = DemoContext(base_url="http://127.0.0.1:8000")
    first = step_programmes(ctx)
    assert not first.problems and not first.warnings, first
    cohort = Cohort.objects.get()
    eligible = Registration.objects.filter(cohort=cohort, is_eligible=True).count()
    assert 0 < cohort.places < eligible
    assert Registration.objects.filter(cohort=cohort).count() > eligible  # not every 9th-grader may enrol
    assert cohort.area == areas["BR-2607901"] and cohort.status == "allocated"
    assert Allocation.objects.filter(cohort=cohort, status="allocated").count() == cohort.places
    ranked = allocation_order(
        Registration.objects.filter(cohort=cohort, is_eligible=True).values_list("key", "priority_score"),
        seed=cohort.lottery_seed,
        places=cohort.places,
    )
    assert [r.key for r in ranked] == list(
        Allocation.objects.filter(cohort=cohort)
        .order_by("position")
        .values_list("registration__key", flat=True)
    )
    assert Session.objects.filter(cohort=cohort).exists()
    for username in ("prepara-coordenacao", "prepara-professora", "prepara-secretaria"):
        user = User.objects.get(username=username)
        assert StaffAssignment.objects.filter(user=user, pack_id="br-prepara").exists()
        secret = StaffTOTPDevice.objects.get(user=user).secret
        assert any(secret in line for line in first.lines)
    text = "\n".join(first.lines)
    assert f"--seed '{cohort.lottery_seed}' --check" in text
    assert "http://127.0.0.1:8000/programmes/cohorts/" in text
    again = step_programmes(ctx)
    assert again.lines == first.lines
    assert Registration.objects.count() == Registration.objects.filter(cohort=cohort).count()
