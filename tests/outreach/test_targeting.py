"""Targeting from the registries in batch and from referrals one at a time, each with its explanation."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from tests.outreach.conftest import TODAY, signed_in, years_ago

from govreach.outreach import selectors, services
from govreach.outreach.models import OutreachRegistration, Referral, TargetingRun
from govreach.packs.loader import Pack
from govreach.registry.models import Area, Person

pytestmark = pytest.mark.django_db


def _registration(national_id: str) -> OutreachRegistration | None:
    return OutreachRegistration.objects.filter(person__national_id=national_id).first()


def test_batch_targeting_registers_the_people_the_rules_target_with_their_reasons(
    kr_pack: Pack, kr_registries: Path
) -> None:
    run = services.targeting_run(pack=kr_pack, registries_dir=kr_registries, on=TODAY)

    # 80, 80, 70 living alone, 68 with diabetes on basic livelihood; not the 50- and 40-year-olds.
    assert run.eligible_count == 4
    assert run.registered_new_count == 4
    assert _registration("750101-1000005") is None
    assert _registration("850101-2000006") is None
    aged = _registration("800101-1000001")
    assert aged is not None
    assert aged.tier == "regular" and not aged.is_intensive and aged.interval_weeks == 12
    assert aged.trace["criteria"]["aged_general"] is True
    assert aged.area.code == "KR-11200550"
    ill = _registration("570101-1000004")
    assert ill is not None
    assert ill.trace["criteria"]["aged_general"] is False
    assert ill.trace["criteria"]["chronic_disease"] is True
    assert ill.facts["health.chronic_diseases"] == ["diabetes"]
    assert ill.facts["person.benefits"] == ["basic_livelihood"]
    explanation = selectors.registration_explanation(kr_pack, ill, language="en")
    texts = " ".join(c.explanation for c in explanation if c.outcome)
    assert "You have a chronic disease the nurses follow" in texts
    # the batch's criteria are the single evaluation's for the same facts
    single = {c.id: c.outcome for c in explanation}
    assert all(ill.trace["criteria"][k] == v for k, v in single.items())


def test_a_second_run_registers_nobody_twice_and_counts_eligible_by_area(
    kr_pack: Pack, kr_registries: Path, kr_areas: dict[str, Area]
) -> None:
    services.targeting_run(pack=kr_pack, registries_dir=kr_registries, on=TODAY)
    again = services.targeting_run(pack=kr_pack, registries_dir=kr_registries, on=TODAY)
    assert again.registered_new_count == 0
    assert OutreachRegistration.objects.count() == 4
    assert TargetingRun.objects.count() == 2
    by_area = again.eligible_by_area
    assert by_area[str(kr_areas["KR-11200550"].pk)] == 3
    assert by_area[str(kr_areas["KR-11200610"].pk)] == 1


def test_hospital_partner_refers_a_recently_discharged_person_through_the_form(
    kr_pack: Pack, kr_areas: dict[str, Area], make_staff: Callable[..., User]
) -> None:
    partner = make_staff("hanyang", kr_pack.id, "hospital_partner", "KR-11200")
    client = signed_in(partner)
    page = client.get("/outreach/referrals/new/")
    assert page.status_code == 200
    assert "Hanyang University Hospital" in page.content.decode()
    response = client.post(
        "/outreach/referrals/new/",
        {
            "kind": "hospital_discharge",
            "area": kr_areas["KR-11200610"].pk,
            "given_name": "Okja",
            "family_name": "Yoon",
            "birth_date": years_ago(67).isoformat(),
            "address": "Oksu-ro 40",
            "hospital_id": "H01",
            "discharged_on": "2025-02-20",
            "reason": "hip fracture, lives on a fourth floor",
        },
    )
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert referral.status == Referral.Status.TARGETED
    assert referral.trace["criteria"]["hospital_discharge_referral"] is True
    assert referral.registration is not None
    assert referral.registration.source == OutreachRegistration.Source.REFERRAL
    assert referral.registration.area.code == "KR-11200610"
    assert "Okja" in client.get("/outreach/referrals/").content.decode()


def test_a_discharge_outside_the_window_is_recorded_but_not_targeted(
    kr_pack: Pack, kr_areas: dict[str, Area], make_staff: Callable[..., User]
) -> None:
    partner = make_staff("hanyang", kr_pack.id, "hospital_partner", "KR-11200")
    referral = services.referral_create(
        pack=kr_pack, acting_user=partner, kind="hospital_discharge", area=kr_areas["KR-11200610"],
        given_name="Okja", birth_date=years_ago(67), hospital_id="H01", discharged_on=TODAY.replace(month=1),
        on=TODAY,
    )  # fmt: skip
    assert referral.status == Referral.Status.NOT_TARGETED
    assert referral.trace["criteria"]["discharge_recent"] is False
    assert OutreachRegistration.objects.count() == 0


def test_a_referral_form_with_mistakes_names_each_field(
    kr_pack: Pack, kr_areas: dict[str, Area], make_staff: Callable[..., User]
) -> None:
    client = signed_in(make_staff("hanyang", kr_pack.id, "hospital_partner", "KR-11200"))
    response = client.post(
        "/outreach/referrals/new/", {"kind": "hospital_discharge", "birth_date": "1950-13-01"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    for field in ("area", "birth_date"):
        assert f'href="#f-{field}"' in body
    assert Referral.objects.count() == 0 and Person.objects.count() == 0


def test_a_hospital_partner_sees_only_their_own_referrals_and_no_visits_or_figures(
    kr_pack: Pack, kr_areas: dict[str, Area], make_staff: Callable[..., User]
) -> None:
    mine = make_staff("hanyang", kr_pack.id, "hospital_partner", "KR-11200")
    other = make_staff("seongsu", kr_pack.id, "hospital_partner", "KR-11200")
    services.referral_create(
        pack=kr_pack, acting_user=other, kind="hospital_discharge", area=kr_areas["KR-11200610"],
        given_name="Secretname", birth_date=years_ago(70), hospital_id="H02", discharged_on=TODAY, on=TODAY,
    )  # fmt: skip
    client = signed_in(mine)
    assert "Secretname" not in client.get("/outreach/referrals/").content.decode()
    assert client.get("/outreach/visits/").status_code == 403
    assert client.get("/outreach/figures/").status_code == 403


def test_a_nurse_cannot_enter_a_hospital_discharge_referral(
    kr_pack: Pack, kr_areas: dict[str, Area], make_staff: Callable[..., User]
) -> None:
    nurse = make_staff("nurse", kr_pack.id, "nurse", "KR-11200550")
    client = signed_in(nurse)
    # nurses may refer, but hospital discharges come only from hospital partners: no kind is offered
    assert client.get("/outreach/referrals/new/").status_code == 403


def test_pages_need_a_staff_sign_in() -> None:
    from django.test import Client

    for url in ("/outreach/visits/", "/outreach/referrals/new/", "/outreach/figures/", "/outreach/visits/1/"):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/staff/login/")
