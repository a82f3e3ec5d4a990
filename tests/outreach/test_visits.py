"""Planning within capacity by tier cadence, routes, overdue visits, the visit record page and the figures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest
from django.contrib.auth.models import User
from tests.outreach.conftest import (
    PERSON_SCHEMA,
    TEST_PACK_DIR,
    TODAY,
    import_areas,
    import_register,
    signed_in,
    write_parquet,
    years_ago,
)

from govreach.accounts.models import StaffAssignment
from govreach.catalogue.services import service_pack_load
from govreach.outreach import selectors, services
from govreach.outreach.models import OnwardReferral, OutreachRegistration, Visit
from govreach.outreach.targeting import area_centre, distance_km
from govreach.packs.loader import Pack, load_pack
from govreach.registry.models import Area

pytestmark = pytest.mark.django_db
VILLAGES = [
    ("ZZ", "Testland", "country", ""),
    ("ZZ-1", "River district", "district", "ZZ"),
    ("ZZ-1-A", "Upper village", "village", "ZZ-1"),
    ("ZZ-1-B", "Lower village", "village", "ZZ-1"),
]


@pytest.fixture
def village_pack(db: None) -> Pack:
    """The second outreach pack: folders of YAML only, loaded and run by the same code."""
    pack = load_pack(TEST_PACK_DIR)
    service_pack_load(pack=pack)
    return pack


@pytest.fixture
def villages(db: None, tmp_path: Path) -> dict[str, Area]:
    return import_areas(tmp_path, VILLAGES)


@pytest.fixture
def village_registries(village_pack: Pack, villages: dict[str, Area], tmp_path: Path) -> Path:
    """Five old villagers and one young one in Upper village, one old villager in Lower village."""
    folder = tmp_path / "village-registries"
    rows = []
    for i in range(1, 8):
        age = 40 if i == 6 else 75
        village = "ZZ-1-B" if i == 7 else "ZZ-1-A"
        rows.append(
            {"record_id": f"V-{i}", "national_id": f"ZZ{i:04d}", "given_name": f"Villager{i}", "family_name": "Test",
             "birth_date": years_ago(age), "address": f"Lane {i * 7}", "area_code": village, "household_size": 1 + i % 2}
        )  # fmt: skip
    schema = pa.schema([*PERSON_SCHEMA, ("household_size", pa.int64())])
    register = write_parquet(folder, "villagers", rows, schema)
    write_parquet(
        folder, "conditions", [], pa.schema([("national_id", pa.string()), ("condition", pa.string())])
    )
    import_register(register, "villagers")
    return folder


def test_a_pack_made_only_of_yaml_targets_and_schedules_with_the_same_code(
    village_pack: Pack, village_registries: Path, make_staff: Callable[..., User]
) -> None:
    run = services.targeting_run(pack=village_pack, registries_dir=village_registries, on=TODAY)
    assert run.eligible_count == 6
    worker = make_staff("worker", village_pack.id, "health_worker", "ZZ-1-A")
    summary = services.visit_plan_schedule(area=Area.objects.get(code="ZZ-1"), start=TODAY, days=7)
    # capacity: 3 people per worker; 5 targeted in Upper village, so 2 wait
    assert summary.over_capacity == 2
    caseload = OutreachRegistration.objects.filter(nurse=worker)
    assert caseload.count() == 3
    visits = Visit.objects.filter(nurse=worker)
    # 2 visits a day on Monday, Wednesday, Friday: Monday holds 2, Wednesday the third
    assert sorted((v.scheduled_on.weekday(), v.route_order) for v in visits) == [(0, 1), (0, 2), (2, 1)]
    assert not Visit.objects.filter(registration__area__code="ZZ-1-B").exists()  # no worker there yet
    assert services.visit_plan_schedule(area=Area.objects.get(code="ZZ-1"), start=TODAY, days=7).planned == 0


def test_the_intensive_tier_is_visited_more_often(
    village_pack: Pack, village_registries: Path, make_staff: Callable[..., User]
) -> None:
    services.targeting_run(pack=village_pack, registries_dir=village_registries, on=TODAY)
    worker = make_staff("worker", village_pack.id, "health_worker", "ZZ-1-A")
    area = Area.objects.get(code="ZZ-1-A")
    services.visit_plan_schedule(area=area, start=TODAY, days=1)
    first = Visit.objects.filter(nurse=worker).order_by("route_order").first()
    assert first is not None
    services.visit_record_save(
        visit=first,
        answers={"wellbeing_score": "3"},
        has_consent=True,
        notes="",
        acting_user=worker,
        on=TODAY,
    )
    close = OutreachRegistration.objects.get(pk=first.registration_id)
    assert close.tier == "close" and close.is_intensive and close.interval_weeks == 2
    services.visit_plan_schedule(area=area, start=TODAY + dt.timedelta(days=1), days=8 * 7)
    counts = {
        r.tier: Visit.objects.filter(registration=r, status=Visit.Status.PLANNED).count()
        for r in OutreachRegistration.objects.filter(nurse=worker)
    }
    # in eight weeks: every two weeks for close follow-up, once for standard
    assert counts["close"] == 4
    assert counts["standard"] == 1


def test_a_days_visits_follow_the_nearest_neighbour_route(
    village_pack: Pack, village_registries: Path, make_staff: Callable[..., User]
) -> None:
    services.targeting_run(pack=village_pack, registries_dir=village_registries, on=TODAY)
    worker = make_staff("worker", village_pack.id, "health_worker", "ZZ-1-A")
    services.visit_plan_schedule(area=Area.objects.get(code="ZZ-1-A"), start=TODAY, days=1)
    visits = list(Visit.objects.filter(nurse=worker, scheduled_on=TODAY).select_related("registration"))
    assert len(visits) == 2
    office = area_centre("ZZ-1-A")
    ordered = sorted(visits, key=lambda v: v.route_order)
    points = [(v.registration.latitude, v.registration.longitude) for v in ordered]
    assert all(p[0] is not None for p in points)
    assert distance_km(office, points[0]) <= distance_km(office, points[1])  # type: ignore[arg-type]


def test_a_planned_visit_whose_day_passed_is_overdue_and_first_in_the_day_list(
    village_pack: Pack, village_registries: Path, make_staff: Callable[..., User]
) -> None:
    last_monday = TODAY - dt.timedelta(days=7)
    services.targeting_run(pack=village_pack, registries_dir=village_registries, on=last_monday)
    worker = make_staff("worker", village_pack.id, "health_worker", "ZZ-1-A")
    StaffAssignment.objects.filter(user=worker).update(starts_on=last_monday)
    area = Area.objects.get(code="ZZ-1-A")
    services.visit_plan_schedule(area=area, start=last_monday, days=1)
    late = Visit.objects.get(nurse=worker, route_order=1)
    summary = services.visit_plan_schedule(area=area, start=TODAY, days=1)
    assert summary.overdue == 2
    late.refresh_from_db()
    assert late.is_overdue
    day = selectors.visit_list_for_nurse(worker, pack=village_pack, day=TODAY)
    assert day[0].scheduled_on < TODAY and day[0].is_late_on(TODAY)
    body = signed_in(worker).get("/outreach/visits/").content.decode()
    assert body.index("Overdue") < body.index(f"/outreach/visits/{day[-1].pk}/")


@pytest.fixture
def kr_visit(kr_pack: Pack, kr_registries: Path, make_staff: Callable[..., User]) -> tuple[User, Visit]:
    services.targeting_run(pack=kr_pack, registries_dir=kr_registries, on=TODAY)
    nurse = make_staff("nurse-haengdang", kr_pack.id, "nurse", "KR-11200550")
    services.visit_plan_schedule(area=Area.objects.get(code="KR-11200550"), start=TODAY, days=1)
    visit = Visit.objects.filter(nurse=nurse).order_by("route_order").first()
    assert visit is not None
    return nurse, visit


def _record_form(**extra: str) -> dict[str, str]:
    form = {
        "systolic_bp": "152", "diastolic_bp": "91", "blood_sugar_mg_dl": "160", "weight_kg": "58.5",
        "takes_medication_as_prescribed": "yes", "chronic_disease_controlled": "no",
        "depression_score": "21", "dementia_screen_positive": "no", "needs_medical_bill_help": "yes",
        "medical_bill_support": "none", "consent": "yes", "notes": "Lives on the fourth floor without a lift.",
        "onward_mental_health_centre": "1", "onward_note_mental_health_centre": "GDS 21",
    }  # fmt: skip
    form.update(extra)
    return form


def test_the_nurse_records_a_visit_with_consent_and_an_onward_referral(
    kr_pack: Pack, kr_visit: tuple[User, Visit]
) -> None:
    nurse, visit = kr_visit
    client = signed_in(nurse)
    page = client.get(f"/outreach/visits/{visit.pk}/")
    body = page.content.decode()
    assert page.status_code == 200
    for title in ("Health measurements", "Chronic disease follow-up", "Depression", "Dementia screening",
                  "Help with medical bills"):  # fmt: skip
        assert title in body
    assert "Why this person is visited" in body
    response = client.post(f"/outreach/visits/{visit.pk}/", _record_form())
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.status == Visit.Status.DONE
    record = visit.record
    assert record.has_consent and record.recorded_by == nurse
    assert record.answers["depression_score"] == 21 and record.answers["weight_kg"] == 58.5
    reg = OutreachRegistration.objects.get(pk=visit.registration_id)
    assert reg.status == OutreachRegistration.Status.REGISTERED and reg.registered_at is not None
    # a depression score of 21 (at or above 18) with consent: the intensive group, visited every 4 weeks
    assert reg.tier == "intensive" and reg.interval_weeks == 4
    assert reg.trace["criteria"]["depression_risk"] is True
    onward = OnwardReferral.objects.get()
    assert onward.kind == "mental_health_centre"
    assert onward.due_on == TODAY + dt.timedelta(days=7)
    assert onward.is_overdue_on(TODAY + dt.timedelta(days=8))


def test_a_visit_record_out_of_range_is_refused_with_the_field_named(kr_visit: tuple[User, Visit]) -> None:
    nurse, visit = kr_visit
    response = signed_in(nurse).post(f"/outreach/visits/{visit.pk}/", _record_form(depression_score="31"))
    assert response.status_code == 400
    assert 'href="#q-depression_score"' in response.content.decode()
    visit.refresh_from_db()
    assert visit.status == Visit.Status.PLANNED


def test_without_consent_the_person_is_not_registered(kr_visit: tuple[User, Visit]) -> None:
    nurse, visit = kr_visit
    form = _record_form()
    del form["consent"]
    assert signed_in(nurse).post(f"/outreach/visits/{visit.pk}/", form).status_code == 302
    reg = OutreachRegistration.objects.get(pk=visit.registration_id)
    assert reg.status == OutreachRegistration.Status.DECLINED
    assert reg.tier == "regular"  # the intensive group needs registration


def test_a_nurse_sees_only_her_neighbourhoods_people(
    kr_pack: Pack, kr_visit: tuple[User, Visit], make_staff: Callable[..., User]
) -> None:
    _nurse, visit = kr_visit
    other = make_staff("nurse-oksu", kr_pack.id, "nurse", "KR-11200610")
    client = signed_in(other)
    assert client.get(f"/outreach/visits/{visit.pk}/").status_code == 404
    assert client.post(f"/outreach/visits/{visit.pk}/", _record_form()).status_code == 404
    assert "Minsu" not in client.get("/outreach/visits/").content.decode()
    visit.refresh_from_db()
    assert visit.status == Visit.Status.PLANNED


def test_the_coordinator_sees_coverage_visits_referrals_and_outcomes_by_neighbourhood(
    kr_pack: Pack, kr_visit: tuple[User, Visit], make_staff: Callable[..., User]
) -> None:
    nurse, visit = kr_visit
    services.visit_record_save(
        visit=visit, answers=_record_form(depression_score="21"), has_consent=True, notes="",
        acting_user=nurse, onward=[("clinic", "")], on=TODAY,
    )  # fmt: skip
    later = Visit.objects.create(
        registration=visit.registration, nurse=nurse, due_on=TODAY, scheduled_on=TODAY + dt.timedelta(weeks=4)
    )
    services.visit_record_save(
        visit=later, answers=_record_form(depression_score="17", systolic_bp="138", chronic_disease_controlled="yes"),
        has_consent=True, notes="", acting_user=nurse, on=TODAY + dt.timedelta(weeks=4),
    )  # fmt: skip
    area = Area.objects.get(code="KR-11200")
    rows = selectors.outreach_figures(pack=kr_pack, area=area, on=TODAY, level_depth=3)
    haengdang = next(r for r in rows if r.area is not None and r.area.code == "KR-11200550")
    assert (haengdang.eligible, haengdang.registered) == (3, 1)
    assert haengdang.coverage_pct == pytest.approx(33.3)
    assert haengdang.visits_done == 2 and haengdang.visits_per_person == 2.0
    assert haengdang.onward_referrals == 1
    depression = next(i for i in haengdang.indicators if i.id == "depression_score")
    assert (depression.first, depression.latest, depression.persons) == (21.0, 17.0, 1)
    controlled = next(i for i in haengdang.indicators if i.id == "chronic_disease_controlled")
    assert controlled.latest == 100.0
    total = rows[-1]
    assert total.area is None and total.eligible == 4

    coordinator = make_staff("coordinator", kr_pack.id, "coordinator", "KR-11200")
    page = signed_in(coordinator).get("/outreach/figures/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Haengdang 1-dong" in body and "33.3%" in body and "Depression score" in body
    assert signed_in(nurse).get("/outreach/figures/").status_code == 403
