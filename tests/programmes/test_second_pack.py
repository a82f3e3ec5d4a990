"""Adding another programme needs no Python code: a pack made only of YAML (tests/programmes/packs/
ke-girls-code-camp: another country, languages, roles, hubs, calendar and priority rule) loads, takes
registrations, allocates its places and alerts guardians with exactly the same code as br-prepara."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from govreach.accounts.access import SESSION_STAFF_VERIFIED
from govreach.accounts.services import staff_assignment_create
from govreach.catalogue.services import service_pack_load
from govreach.notify.models import OutboxMessage
from govreach.packs.loader import load_pack
from govreach.packs.testing import run_pack_tests
from govreach.programmes import services
from govreach.programmes.lottery import lottery_number
from govreach.programmes.models import Allocation, ClassGroup, Cohort, Registration
from govreach.registry.models import Area

PACK_DIR = Path(__file__).parent / "packs" / "ke-girls-code-camp"
PACK_FILES = {"service.yaml", "parameters.yaml", "rules.yaml", "programme.yaml", "messages", "tests"}

pytestmark = pytest.mark.django_db


def test_the_second_programme_is_only_yaml() -> None:
    assert {p.name for p in PACK_DIR.iterdir()} == PACK_FILES
    assert not list(PACK_DIR.rglob("*.py"))


def test_the_second_programme_loads_and_its_own_tests_pass() -> None:
    pack = load_pack(PACK_DIR)
    assert pack.programme.roles["mentor"].is_own_classes_only
    assert [h.id for h in pack.programme.hubs] == ["NBO", "KSM"]
    assert pack.programme.calendar.dates_in(2026)[0] == dt.date(2026, 7, 1)  # a Wednesday
    results = run_pack_tests(pack)
    assert len(results) == 2 and all(r.passed for r in results)


def test_the_second_programme_registers_allocates_and_alerts_with_the_same_code(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: dt.date(2026, 6, 1))
    service_pack_load(pack=load_pack(PACK_DIR))
    kenya = Area.objects.create(code="KE", name="Kenya", level="country", path="/KE/")
    kisumu = Area.objects.create(
        code="KE-042", name="Kisumu", level="county", parent=kenya, path="/KE/KE-042/", depth=1
    )
    organiser = User.objects.create_user("organiser")
    staff_assignment_create(
        user=organiser,
        pack_id="ke-girls-code-camp",
        role="organiser",
        area=kisumu,
        starts_on=dt.date(2020, 1, 1),
    )
    client = Client()
    client.force_login(organiser)
    session = client.session
    session[SESSION_STAFF_VERIFIED] = True
    session.save()
    cohort = services.cohort_create(pack_id="ke-girls-code-camp", year=2026, area=kisumu)
    assert cohort.places == 5  # the pack's camp_places in force in 2026
    assert sorted(cohort.hubs.values_list("code", flat=True)) == ["KSM", "NBO"]

    # The organiser uploads a list with the pack's own facts: no form was written for them.
    header = "given_name,family_name,birth_date,guardian_phone,hub,pupil.age,pupil.county,pupil.has_computer_at_home,pupil.fee_waiver"
    rows = [
        f"Pupil{i},Otieno,2013-01-{i + 1:02d},+2547000000{i:02d},KSM,13,kisumu,{'false' if i < 3 else 'true'},{'true' if i == 0 else 'false'}"
        for i in range(8)
    ]
    rows.append("Older,Achieng,2009-01-01,,KSM,17,kisumu,false,false")
    upload = SimpleUploadedFile("list.csv", "\n".join([header, *rows]).encode(), content_type="text/csv")
    response = client.post("/programmes/ke-girls-code-camp/register/list/", {"file": upload})
    assert response.status_code == 200, response.content.decode()[:2000]
    assert Registration.objects.filter(cohort=cohort).count() == 9
    assert Registration.objects.filter(cohort=cohort, is_eligible=True).count() == 8
    points = dict(
        Registration.objects.filter(cohort=cohort).values_list("student__given_name", "priority_score")
    )
    assert (
        points["Pupil0"] == 15 and points["Pupil1"] == 10 and points["Pupil5"] == 0 and points["Older"] == 0
    )

    response = client.post(f"/programmes/cohorts/{cohort.pk}/allocate/", {"seed": "kisumu-2026"})
    assert response.status_code == 302
    allocated = list(Allocation.objects.filter(cohort=cohort, status="allocated").order_by("position"))
    # Priority first (15, 10, 10), then the lottery among the five with 0 points.
    assert [a.registration.priority_score for a in allocated] == [15, 10, 10, 0, 0]
    zeros = sorted(
        Registration.objects.filter(cohort=cohort, is_eligible=True, priority_score=0),
        key=lambda r: lottery_number("kisumu-2026", r.key),
    )
    assert [a.registration for a in allocated[3:]] == zeros[:2]
    assert Allocation.objects.filter(cohort=cohort, status="waiting").count() == 3
    # Classes of two at the pupils' hub while it has room (3), then at the other hub.
    assert sorted(ClassGroup.objects.filter(cohort=cohort).values_list("name", flat=True)) == [
        "KSM-A",
        "KSM-B",
        "NBO-A",
    ]

    # One absence is enough for this pack's alert, in its own words.
    services.session_plan(cohort=cohort, dates=[dt.date(2026, 7, 1)])
    group = ClassGroup.objects.get(cohort=cohort, name="KSM-A")
    session = group.sessions.get()
    assert client.post(f"/programmes/sessions/{session.pk}/attendance/", {"present": []}).status_code == 302
    messages = OutboxMessage.objects.filter(message_id="camp_missed", pack_id="ke-girls-code-camp")
    assert messages.count() == 2
    assert all("Kisumu hall" in m.body or "Ukumbi wa Kisumu" in m.body for m in messages)
    assert Cohort.objects.get(pk=cohort.pk).lottery_seed == "kisumu-2026"
