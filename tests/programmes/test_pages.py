"""The programme pages through HTTP: registration with its explanation, the coordinator's cohort page,
the public allocation list, a whole class's attendance in one request, scores, outcomes, and refusals."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from govreach.accounts.services import citizen_account_get_or_create
from govreach.notify.models import OutboxMessage
from govreach.programmes import services
from govreach.programmes.models import (
    Allocation,
    Attendance,
    ClassGroup,
    Cohort,
    Registration,
    Score,
    Session,
)

from .conftest import PACK_ID, YEAR, facts, signed_in

pytestmark = pytest.mark.django_db

PHONE = "+5581987654321"


@pytest.fixture(autouse=True)
def _this_year(monkeypatch: pytest.MonkeyPatch) -> None:
    """Registration takes the open cohort of the current year: make that the tests' year."""
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: dt.date(YEAR, 3, 10))


def _form_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "given_name": "Ana", "family_name": "Souza", "birth_date": "2011-05-04", "national_id": "12345678909",
        "school_code": "26100001", "school_name": "Escola Municipal X", "hub": "HUB-1", "guardian_phone": PHONE,
    }  # fmt: skip
    for name, value in facts().items():
        data["fact__" + name.replace(".", "__")] = {True: "true", False: "false"}.get(value, value)  # type: ignore[call-overload]
    data.update(overrides)
    return data


def test_a_school_registers_a_student_and_sees_eligibility_and_priority_explained(
    cohort: Cohort, make_staff: Callable[..., User]
) -> None:
    client = signed_in(make_staff("secretaria", "school_secretary"))
    page = client.get(f"/programmes/{PACK_ID}/register/")
    assert page.status_code == 200
    assert "Rede da escola" in page.content.decode() or "School network" in page.content.decode()

    response = client.post(f"/programmes/{PACK_ID}/register/", _form_data())
    assert response.status_code == 302, response.content.decode()[:3000]
    registration = Registration.objects.get()
    assert response["Location"] == f"/programmes/registrations/{registration.pk}/"
    assert registration.is_eligible is True
    assert (
        registration.priority_score == 60
    )  # 30 income (R$ 300 <= a quarter of 1,518) + 20 Bolsa Família + 10 attendance
    assert registration.guardian_phone == PHONE and registration.channel == "school"
    page = client.get(response["Location"], {"lang": "en"}).content.decode()
    assert "You attend a school of Jaboatão dos Guararapes&#x27; municipal network." in page
    assert "30 points for income" in page
    assert "20 points because your family receives Bolsa Família." in page
    assert "No points for disability" in page
    assert registration.key in page
    assert PHONE not in page


def test_a_student_outside_the_rule_is_told_why(cohort: Cohort, make_staff: Callable[..., User]) -> None:
    client = signed_in(make_staff("secretaria", "school_secretary"))
    response = client.post(
        f"/programmes/{PACK_ID}/register/",
        _form_data(fact__student__grade="8", fact__family__cash_transfer="false"),
    )
    registration = Registration.objects.get()
    assert registration.is_eligible is False and registration.priority_score == 0
    page = client.get(response["Location"], {"lang": "en"}).content.decode()
    assert "The programme is for the 9th grade; you are in grade 8." in page


def test_invalid_facts_are_named_and_nothing_is_registered(
    cohort: Cohort, make_staff: Callable[..., User]
) -> None:
    client = signed_in(make_staff("secretaria", "school_secretary"))
    response = client.post(
        f"/programmes/{PACK_ID}/register/", _form_data(birth_date="04/05/2011", fact__student__grade="nine")
    )
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()
    assert not Registration.objects.exists()


def test_a_guardian_signed_in_by_phone_registers_their_child(cohort: Cohort) -> None:
    citizen, _ = citizen_account_get_or_create(phone=PHONE)
    client = Client()
    client.force_login(citizen.user)
    data = _form_data()
    del data["guardian_phone"]
    response = client.post(f"/programmes/{PACK_ID}/register/", data)
    assert response.status_code == 302
    registration = Registration.objects.get()
    assert registration.channel == "self" and registration.guardian_phone == PHONE
    assert registration.registered_by == citizen.user
    assert client.get(response["Location"]).status_code == 200


def test_anonymous_visitors_are_asked_to_sign_in_and_cannot_register(cohort: Cohort) -> None:
    client = Client()
    page = client.get(f"/programmes/{PACK_ID}/register/")
    assert page.status_code == 200 and "Sign in with your mobile number" in page.content.decode()
    client.post(f"/programmes/{PACK_ID}/register/", _form_data())
    assert not Registration.objects.exists()


def test_a_schools_whole_list_is_registered_in_one_upload(
    cohort: Cohort, make_staff: Callable[..., User]
) -> None:
    client = signed_in(make_staff("secretaria", "school_secretary"))
    fact_names = list(facts())
    header = ["given_name", "family_name", "birth_date", "national_id", "guardian_phone", "hub", *fact_names]
    lines = [",".join(header)]
    for i in range(5):
        values = facts(**({"student.grade": 8} if i == 4 else {}))
        row = [f"Aluno{i}", "Lima", f"2011-02-0{i + 1}", "", f"+55819800000{i:02d}", "HUB-2"]
        lines.append(
            ",".join(
                [
                    *row,
                    *(
                        str(values[n]).lower() if isinstance(values[n], bool) else str(values[n])
                        for n in fact_names
                    ),
                ]
            )
        )
    lines.append("Broken,Row,2011-13-45,,,,")  # a wrong date: refused with its line
    upload = SimpleUploadedFile("lista.csv", "\n".join(lines).encode(), content_type="text/csv")
    response = client.post(f"/programmes/{PACK_ID}/register/list/", {"file": upload})
    assert response.status_code == 200, response.content.decode()[:2000]
    body = response.content.decode()
    assert "5 students registered." in body
    assert "Line 6" in body
    regs = Registration.objects.order_by("pk")
    assert [r.is_eligible for r in regs] == [True, True, True, True, False]
    assert all(r.decision["engine"] == "duckdb" for r in regs)
    assert [r.priority_score for r in regs] == [60, 60, 60, 60, 0]


def test_batch_and_single_decisions_agree(cohort: Cohort) -> None:
    from govreach.catalogue.selectors import active_pack
    from govreach.rules import evaluate_unit

    pack = active_pack(PACK_ID)
    cases = [
        facts(),
        facts(**{"student.grade": 8}),
        facts(
            **{
                "family.income_per_capita_brl": None,
                "family.cadunico_income_band": "low_income",
                "family.cash_transfer": False,
            }
        ),
        facts(**{"student.has_disability": True, "student.attendance_pct": None}),
        facts(**{"student.municipality_ibge": "2611606", "family.cash_transfer": None}),
    ]
    on = dt.date(YEAR, 3, 1)
    batch = services.batch_decide(pack.ruleset, cases, on=on)
    for unit, result in zip(cases, batch, strict=True):
        single = evaluate_unit(pack.ruleset, unit, on=on)
        assert result["decisions"] == single.decisions
        assert float(result["outputs"]["priority_score"]) == float(single.outputs["priority_score"])  # type: ignore[arg-type]


def _allocated_cohort(
    cohort: Cohort, register: Callable[..., Registration], n: int = 5
) -> list[Registration]:
    regs = [register(phone=f"+55819911111{i:02d}") for i in range(n)]
    services.programme_allocate(cohort=cohort, seed="Loteria Federal 5921")
    return regs


def test_coordinator_allocates_from_the_cohort_page_and_the_public_list_has_no_names(
    cohort: Cohort, register: Callable[..., Registration], make_staff: Callable[..., User]
) -> None:
    regs = [register() for _ in range(5)]
    client = signed_in(make_staff("coord", "coordinator"))
    assert "Allocate the places" in client.get(f"/programmes/cohorts/{cohort.pk}/").content.decode()
    response = client.post(f"/programmes/cohorts/{cohort.pk}/allocate/", {"seed": "Loteria Federal 5921"})
    assert response.status_code == 302
    page = client.get(f"/programmes/cohorts/{cohort.pk}/").content.decode()
    assert "Waiting list" in page and "Aluno1" in page
    public = Client().get(f"/programmes/cohorts/{cohort.pk}/allocation/").content.decode()
    assert "Loteria Federal 5921" in public
    assert all(r.key in public for r in regs)
    assert not any(r.student.given_name in public for r in regs)
    csv_text = Client().get(f"/programmes/cohorts/{cohort.pk}/allocation.csv").content.decode()
    assert csv_text.splitlines()[0] == "position,key,priority,lottery_number,result,waiting_rank"
    assert len(csv_text.splitlines()) == 6


def test_coordinator_frees_a_place_and_the_waiting_list_moves_up(
    cohort: Cohort, register: Callable[..., Registration], make_staff: Callable[..., User]
) -> None:
    _allocated_cohort(cohort, register)
    client = signed_in(make_staff("coord", "coordinator"))
    leaving = Allocation.objects.filter(cohort=cohort, status="allocated").first()
    first = Allocation.objects.get(cohort=cohort, waiting_rank=1)
    assert leaving is not None
    response = client.post(f"/programmes/allocations/{leaving.pk}/free/", {"status": "declined"})
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.status == "allocated" and first.was_moved_up
    assert Allocation.objects.get(cohort=cohort, waiting_rank=1).position > first.position


def _session_for(cohort: Cohort, teacher: User | None = None) -> Session:
    services.session_plan(cohort=cohort, dates=[dt.date(YEAR, 4, d) for d in (4, 11, 18, 25)])
    group = ClassGroup.objects.filter(cohort=cohort).order_by("name").first()
    assert group is not None
    if teacher is not None:
        services.class_group_assign_teacher(class_group=group, teacher=teacher)
    session = group.sessions.order_by("held_on").first()
    assert session is not None
    return session


def test_teacher_takes_a_whole_class_attendance_in_one_request(
    cohort: Cohort, register: Callable[..., Registration], make_staff: Callable[..., User]
) -> None:
    regs = _allocated_cohort(cohort, register)
    teacher = make_staff("prof", "teacher")
    session = _session_for(cohort, teacher)
    client = signed_in(teacher)
    page = client.get(f"/programmes/sessions/{session.pk}/attendance/").content.decode()
    roster = [r for r in regs if Allocation.objects.get(registration=r).status == "allocated"]
    assert page.count('type="checkbox"') == len(roster) == 3
    response = client.post(
        f"/programmes/sessions/{session.pk}/attendance/", {"present": [roster[0].pk, roster[1].pk]}
    )
    assert response.status_code == 302
    assert dict(Attendance.objects.filter(session=session).values_list("registration_id", "is_present")) == {
        roster[0].pk: True, roster[1].pk: True, roster[2].pk: False,
    }  # fmt: skip


def test_guardian_is_alerted_once_after_two_absences_in_a_row(
    cohort: Cohort, register: Callable[..., Registration], make_staff: Callable[..., User]
) -> None:
    _allocated_cohort(cohort, register)
    teacher = make_staff("prof", "teacher")
    session = _session_for(cohort, teacher)
    sessions = list(session.class_group.sessions.order_by("held_on"))
    roster = list(
        Registration.objects.filter(
            allocation__class_group=session.class_group, allocation__status="allocated"
        )
    )
    missing = roster[0]
    others = [r.pk for r in roster[1:]]
    client = signed_in(teacher)

    def take(s: Session) -> None:
        assert client.post(f"/programmes/sessions/{s.pk}/attendance/", {"present": others}).status_code == 302

    take(sessions[0])
    assert not OutboxMessage.objects.filter(message_id="prepara_guardian_absences").exists()
    take(sessions[1])  # second absence in a row: the guardian is told
    take(sessions[1])  # the teacher saves again: no second message
    alerts = OutboxMessage.objects.filter(message_id="prepara_guardian_absences")
    assert alerts.count() == 1
    assert alerts.get().recipient == missing.guardian_phone
    assert missing.student.given_name in alerts.get().body and "2" in alerts.get().body
    take(sessions[2])  # the same run of absences goes on: still one message
    assert alerts.count() == 1


def test_a_new_run_of_absences_after_three_in_total_alerts_again() -> None:
    from govreach.programmes.services import absence_runs

    s = [object() for _ in range(6)]
    assert absence_runs([(s[0], False), (s[1], True), (s[2], False)]) == (1, 2, s[2])  # type: ignore[list-item]
    assert absence_runs([(s[0], False), (s[1], False), (s[2], True)]) == (0, 2, None)  # type: ignore[list-item]


def test_a_teacher_sees_only_their_class(
    cohort: Cohort, register: Callable[..., Registration], make_staff: Callable[..., User]
) -> None:
    Cohort.objects.filter(pk=cohort.pk).update(places=5)
    cohort.hubs.filter(code="HUB-1").update(capacity=2)
    _allocated_cohort(cohort, register)
    mine_teacher = make_staff("prof", "teacher")
    other_teacher = make_staff("prof2", "teacher")
    groups = list(ClassGroup.objects.filter(cohort=cohort).order_by("name"))
    assert len(groups) >= 2
    services.class_group_assign_teacher(class_group=groups[0], teacher=mine_teacher)
    services.class_group_assign_teacher(class_group=groups[1], teacher=other_teacher)
    services.session_plan(cohort=cohort, dates=[dt.date(YEAR, 4, 4)])
    other_session = groups[1].sessions.get()
    client = signed_in(mine_teacher)
    assert client.get(f"/programmes/classes/{groups[0].pk}/").status_code == 200
    assert client.get(f"/programmes/classes/{groups[1].pk}/").status_code == 403
    assert client.get(f"/programmes/sessions/{other_session.pk}/attendance/").status_code == 403
    assert (
        client.post(f"/programmes/sessions/{other_session.pk}/attendance/", {"present": []}).status_code
        == 403
    )
    assert not Attendance.objects.exists()
    exam = cohort.mock_exams.first()
    assert exam is not None
    assert client.get(f"/programmes/classes/{groups[1].pk}/exams/{exam.pk}/scores/").status_code == 403
    assert client.get(f"/programmes/cohorts/{cohort.pk}/").status_code == 403
    assert client.post(f"/programmes/cohorts/{cohort.pk}/outcomes/").status_code == 403
    home = client.get("/programmes/").content.decode()
    assert groups[0].name in home and groups[1].name not in home


@pytest.mark.parametrize("role", [None, "teacher", "school_secretary"])
def test_only_coordinators_allocate_and_free_places(
    cohort: Cohort, register: Callable[..., Registration], make_staff: Callable[..., User], role: str | None
) -> None:
    register()
    client = signed_in(make_staff("someone", role))
    assert client.post(f"/programmes/cohorts/{cohort.pk}/allocate/", {"seed": "x"}).status_code == 403
    cohort.refresh_from_db()
    assert cohort.status == "open"
    assert client.get(f"/programmes/cohorts/{cohort.pk}/").status_code == 403


def test_a_coordinator_of_another_municipality_is_refused(
    cohort: Cohort, register: Callable[..., Registration], make_staff: Callable[..., User]
) -> None:
    registration = register()
    client = signed_in(make_staff("recife", "coordinator", area_code="BR-2611606"))
    assert client.get(f"/programmes/cohorts/{cohort.pk}/").status_code == 403
    assert client.get(f"/programmes/registrations/{registration.pk}/").status_code == 403
    assert client.post(f"/programmes/cohorts/{cohort.pk}/allocate/", {"seed": "x"}).status_code == 403


def test_staff_pages_need_both_factors(cohort: Cohort, make_staff: Callable[..., User]) -> None:
    client = Client()
    client.force_login(make_staff("coord", "coordinator"))  # password only, no authenticator code
    response = client.get(f"/programmes/cohorts/{cohort.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/staff/login/")


def test_a_registration_is_private_to_whoever_registered_it(
    cohort: Cohort, make_staff: Callable[..., User]
) -> None:
    client = signed_in(make_staff("secretaria", "school_secretary"))
    location = client.post(f"/programmes/{PACK_ID}/register/", _form_data())["Location"]
    assert signed_in(make_staff("other-school", "school_secretary")).get(location).status_code == 403
    assert Client().get(location).status_code == 403
    assert signed_in(make_staff("coord", "coordinator")).get(location).status_code == 200


def test_scores_are_entered_for_a_class_and_progress_shows(
    cohort: Cohort, register: Callable[..., Registration], make_staff: Callable[..., User]
) -> None:
    _allocated_cohort(cohort, register)
    teacher = make_staff("prof", "teacher")
    session = _session_for(cohort, teacher)
    group = session.class_group
    exams = list(cohort.mock_exams.order_by("order"))
    roster = list(Registration.objects.filter(allocation__class_group=group).order_by("pk"))
    client = signed_in(teacher)
    bad = client.post(
        f"/programmes/classes/{group.pk}/exams/{exams[0].pk}/scores/", {f"score_{roster[0].pk}": "140"}
    )
    assert bad.status_code == 400 and "give a score from 0 to 100" in bad.content.decode()
    assert not Score.objects.exists()
    for exam, points in ((exams[0], ["40", "55,5", ""]), (exams[1], ["62", "50", "70"])):
        data = {f"score_{r.pk}": p for r, p in zip(roster, points, strict=True)}
        assert client.post(f"/programmes/classes/{group.pk}/exams/{exam.pk}/scores/", data).status_code == 302
    page = client.get(f"/programmes/classes/{group.pk}/").content.decode()
    row = re.sub(r"\s+", " ", page[page.index(roster[0].student.given_name) :])
    assert "40.0" in row and "62.0" in row and "+22.0" in row
    from govreach.programmes.selectors import class_progress

    _exams, progress = class_progress(group)
    changes = {p.registration.pk: p.change for p in progress}
    assert [changes[r.pk] for r in roster] == [22, -5.5, None]


def test_outcomes_on_both_denominators_like_2018(cohort: Cohort, make_staff: Callable[..., User]) -> None:
    """2018: 2,000 enrolled, 781 sat the exam, 88% of them passed (631 + 60): about 35% of all enrolled."""
    from govreach.registry.models import Person

    hub = cohort.hubs.get(code="HUB-1")
    group = ClassGroup.objects.create(cohort=cohort, hub=hub, name="HUB-1-A")
    Cohort.objects.filter(pk=cohort.pk).update(status="allocated", lottery_seed="2018")
    persons = Person.objects.bulk_create(Person(given_name=f"P{i}") for i in range(2000))
    regs = Registration.objects.bulk_create(
        Registration(cohort=cohort, student=p, key=f"K{i:05d}", channel="school", decided_on=dt.date(2018, 3, 1),
                     is_eligible=True)
        for i, p in enumerate(persons)
    )  # fmt: skip
    Allocation.objects.bulk_create(
        Allocation(registration=r, cohort=cohort, status="withdrawn" if i >= 1900 else "allocated", position=i + 1,
                   lottery_number="0", hub=hub, class_group=group)
        for i, r in enumerate(regs)
    )  # fmt: skip
    lines = ["key,sat_exam,passed,institution"]
    for i, r in enumerate(regs[:781]):
        passed, inst = (
            (True, "state_technical_school")
            if i < 631
            else (True, "federal_institute")
            if i < 691
            else (False, "")
        )
        lines.append(f"{r.key},yes,{'yes' if passed else 'no'},{inst}")
    client = signed_in(make_staff("coord", "coordinator"))
    upload = SimpleUploadedFile("resultados.csv", "\n".join(lines).encode(), content_type="text/csv")
    assert client.post(f"/programmes/cohorts/{cohort.pk}/outcomes/", {"file": upload}).status_code == 302
    page = client.get(f"/programmes/cohorts/{cohort.pk}/outcomes/", {"lang": "en"}).content.decode()
    flat = re.sub(r"\s+", " ", page)
    assert re.search(r"Enrolled</th><td class=\"num\">2000</td>", flat)
    assert re.search(r"Sat the entrance exam</th><td class=\"num\">781</td>", flat)
    assert 'id="passed-of-sat">88%' in flat
    assert 'id="passed-of-enrolled">35%' in flat
    assert "State technical school: 631" in flat and "Federal institute: 60" in flat
    from govreach.programmes.selectors import outcomes_report

    report = outcomes_report(cohort)
    assert (report.enrolled, report.sat, report.passed) == (2000, 781, 691)


def test_results_for_students_not_enrolled_are_refused(
    cohort: Cohort, make_staff: Callable[..., User]
) -> None:
    client = signed_in(make_staff("coord", "coordinator"))
    upload = SimpleUploadedFile("r.csv", b"key,sat_exam,passed\nNOPE-0000,no,yes\n", content_type="text/csv")
    response = client.post(f"/programmes/cohorts/{cohort.pk}/outcomes/", {"file": upload})
    assert response.status_code == 400
    assert "is not a student enrolled in this cohort" in response.content.decode()


def test_programme_urls_carry_only_row_ids_and_pack_ids() -> None:
    from govreach.programmes import urls

    for p in urls.urlpatterns:
        route = str(p.pattern)
        assert re.fullmatch(r"[a-z/._-]*(<(int:[a-z_]+_id|slug:pack_id)>[a-z/._-]*)*", route), route
