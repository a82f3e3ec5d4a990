"""Ratings after a completed outreach home visit and a completed programme course: once per service and
person, only one's own and only once completed; on the web, by SMS, in the invitation and the figures."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from govreach.accounts.models import CitizenAccount
from govreach.accounts.services import citizen_account_get_or_create
from govreach.catalogue.services import service_pack_load
from govreach.feedback import services
from govreach.feedback.figures import satisfaction_rows
from govreach.feedback.models import Rating
from govreach.notify.models import OutboxMessage
from govreach.registry.models import Area, Person
from govreach.ussd.services import sms_inbound_handle

from .conftest import citizen_client
from .factories import (
    BR_AREAS,
    GUARDIAN_PHONE,
    HYO,
    KR_AREAS,
    PREPARA,
    VISITED_PHONE,
    import_areas,
    make_course,
    make_person,
    make_visit,
    pack,
)

pytestmark = pytest.mark.django_db
HAENGDANG = "KR-11200550"


@pytest.fixture
def places(db: None) -> dict[str, Area]:
    return {**import_areas(KR_AREAS), **import_areas(BR_AREAS)}


@pytest.fixture
def visited(places: dict[str, Area]) -> Person:
    """An older resident of Haengdang 1-dong, her phone on record, Korean."""
    return make_person(area_code=HAENGDANG, phone=VISITED_PHONE, language="ko", name="Sunja")


@pytest.fixture
def visited_account(visited: Person) -> CitizenAccount:
    """The account she signed in with, on another phone, identified as her."""
    account, _created = citizen_account_get_or_create(phone="+821099990000", language="ko")
    account.person = visited
    account.save(update_fields=["person"])
    return account


@pytest.fixture
def stranger(places: dict[str, Area]) -> CitizenAccount:
    account, _created = citizen_account_get_or_create(phone="+821088887777", language="ko")
    return account


@pytest.fixture
def student(places: dict[str, Area]) -> Person:
    return make_person(area_code="BR-2607901", name="Ana")


# ---------------------------------------------------------------------------------------------------
# Home visits


def test_a_done_visit_is_rated_once_by_the_person_visited(
    visited: Person, visited_account: CitizenAccount
) -> None:
    visit = make_visit(visited)

    first, created = services.rating_submit(
        account=visited_account, kind="visit", key=str(visit.pk), rating=5, comment="Kind nurse"
    )
    again, created_again = services.rating_submit(
        account=visited_account, kind="visit", key=str(visit.pk), rating=1, comment="changed my mind"
    )

    assert created and not created_again
    assert again.pk == first.pk and again.rating == 5 and again.comment == "Kind nurse"
    assert (first.service_kind, first.service, first.area.code if first.area else "") == (
        "visit",
        HYO,
        HAENGDANG,
    )
    assert first.channel == "assisted"  # someone came to her home
    assert Rating.objects.count() == 1


@pytest.mark.parametrize("status", ["planned", "missed"])
def test_a_visit_not_done_cannot_be_rated(
    status: str, visited: Person, visited_account: CitizenAccount
) -> None:
    visit = make_visit(visited, status=status)

    with pytest.raises(services.NotPermitted):
        services.rating_submit(account=visited_account, kind="visit", key=str(visit.pk), rating=4)
    assert not Rating.objects.exists()


def test_someone_elses_visit_cannot_be_rated_on_the_web_nor_by_the_service(
    visited: Person, stranger: CitizenAccount
) -> None:
    visit = make_visit(visited)

    with pytest.raises(services.NotPermitted):
        services.rating_submit(account=stranger, kind="visit", key=str(visit.pk), rating=1)
    client = citizen_client(stranger)
    assert client.get(f"/feedback/rate/visit/{visit.pk}/").status_code == 404
    assert client.post(f"/feedback/rate/visit/{visit.pk}/", {"rating": "1"}).status_code == 404
    assert not Rating.objects.exists()


def test_the_phone_on_record_may_rate_the_visit_once_signed_in_with_it(visited: Person) -> None:
    visit = make_visit(visited)
    account, _created = citizen_account_get_or_create(phone=VISITED_PHONE)  # not linked to her record

    client = citizen_client(account)
    listed = client.get("/feedback/rate/").content.decode()
    response = client.post(f"/feedback/rate/visit/{visit.pk}/", {"rating": "4", "comment": "on time"})

    assert f"/feedback/rate/visit/{visit.pk}/" in listed
    assert timezone.localdate().isoformat() in listed  # the visit is named by its day
    assert response.status_code == 302
    rating = Rating.objects.get()
    assert (rating.service_kind, rating.rating, rating.comment, rating.via) == ("visit", 4, "on time", "web")


# ---------------------------------------------------------------------------------------------------
# Programme courses


def test_the_guardian_rates_the_course_once_its_outcome_is_recorded(student: Person) -> None:
    course = make_course(student, guardian_phone=GUARDIAN_PHONE)
    guardian, _created = citizen_account_get_or_create(phone=GUARDIAN_PHONE, language="pt-BR")

    rating, created = services.rating_submit(account=guardian, kind="course", key=str(course.pk), rating=5)
    again, created_again = services.rating_submit(
        account=guardian, kind="course", key=str(course.pk), rating=2
    )

    assert created and not created_again and again.rating == 5
    assert (rating.service, rating.area.code if rating.area else "") == (PREPARA, "BR-2607901")
    assert rating.channel == "assisted"  # registered by the school


def test_the_student_may_rate_their_own_course_and_a_self_registration_is_digital(student: Person) -> None:
    account, _created = citizen_account_get_or_create(phone="+5581988887777", language="pt-BR")
    account.person = student
    account.save(update_fields=["person"])
    course = make_course(student, channel="self", registered_by=account.user)

    rating, created = services.rating_submit(account=account, kind="course", key=str(course.pk), rating=3)

    assert created and rating.channel == "digital"


def test_a_course_still_running_or_someone_elses_cannot_be_rated(student: Person) -> None:
    running = make_course(student, guardian_phone=GUARDIAN_PHONE, with_outcome=False)
    other = make_course(make_person(area_code="BR-2607901"), guardian_phone="+5581977776666")
    guardian, _created = citizen_account_get_or_create(phone=GUARDIAN_PHONE)

    for course in (running, other):
        with pytest.raises(services.NotPermitted):
            services.rating_submit(account=guardian, kind="course", key=str(course.pk), rating=4)
    assert not Rating.objects.exists()
    page = citizen_client(guardian).get("/feedback/rate/").content.decode()
    assert running.key not in page and other.key not in page


# ---------------------------------------------------------------------------------------------------
# SMS, invitations and figures


def test_rate_by_sms_from_the_phone_on_record_rates_the_newest_visit_once(visited: Person) -> None:
    older = make_visit(visited, done_at=timezone.now() - dt.timedelta(days=20))
    newer = make_visit(visited)
    assert not CitizenAccount.objects.filter(phone=VISITED_PHONE).exists()

    assert sms_inbound_handle(sender=VISITED_PHONE, body="평가 4", gateway_id="v-1") == "rated"
    assert sms_inbound_handle(sender=VISITED_PHONE, body="RATE 2", gateway_id="v-2") == "rated"
    assert sms_inbound_handle(sender=VISITED_PHONE, body="RATE 2", gateway_id="v-3") == "rating_refused"

    assert dict(Rating.objects.values_list("service_key", "rating")) == {str(newer.pk): 4, str(older.pk): 2}
    assert set(Rating.objects.values_list("via", flat=True)) == {"sms"}
    account = CitizenAccount.objects.get(phone=VISITED_PHONE)  # made when she first rated
    assert set(Rating.objects.values_list("user_id", flat=True)) == {account.user_id}


def test_invitations_go_once_to_the_visited_person_and_the_guardian_in_their_language(
    visited: Person, student: Person
) -> None:
    visit = make_visit(visited)
    make_visit(make_person(area_code=HAENGDANG, phone="+821011112222"), status="planned")
    course = make_course(student, guardian_phone=GUARDIAN_PHONE)
    running = make_course(
        make_person(area_code="BR-2607901"), guardian_phone="+5581900000000", with_outcome=False
    )
    rated_visit = make_visit(make_person(area_code=HAENGDANG, phone="+821033334444"))
    Rating.objects.create(
        service_kind="visit", service_key=str(rated_visit.pk), service=HYO, user=course.registered_by,
        channel="assisted", rating=3,
    )  # fmt: skip

    assert services.feedback_invite() == 2
    call_command("feedback", "invite")
    assert services.feedback_invite() == 0

    by_id = {m.message_id: m for m in OutboxMessage.objects.all()}
    assert set(by_id) == {"feedback_invite_visit", "feedback_invite_course"}
    visit_invite, course_invite = by_id["feedback_invite_visit"], by_id["feedback_invite_course"]
    assert (visit_invite.recipient, visit_invite.language) == (VISITED_PHONE, "ko")
    assert f"/feedback/rate/visit/{visit.pk}/" in visit_invite.body and "평가" in visit_invite.body
    assert timezone.localdate().isoformat() in visit_invite.body
    assert course_invite.recipient == GUARDIAN_PHONE and course_invite.language == "pt-BR"
    assert f"/feedback/rate/course/{course.pk}/" in course_invite.body and "AVALIAR" in course_invite.body
    assert course.key in course_invite.body and running.key not in course_invite.body


def test_satisfaction_rows_count_visits_and_courses_under_their_service(
    visited: Person, visited_account: CitizenAccount, student: Person
) -> None:
    visit = make_visit(visited)
    course = make_course(student, guardian_phone=GUARDIAN_PHONE)
    guardian, _created = citizen_account_get_or_create(phone=GUARDIAN_PHONE)
    services.rating_submit(account=visited_account, kind="visit", key=str(visit.pk), rating=5, comment="x")
    services.rating_submit(account=guardian, kind="course", key=str(course.pk), rating=2)

    rows = {
        (r["service"], r["area_code"], r["channel"], r["rating"]): r["count"] for r in satisfaction_rows()
    }

    assert rows == {(HYO, HAENGDANG, "assisted", 5): 1, (PREPARA, "BR-2607901", "assisted", 2): 1}


def test_the_transparency_dashboards_of_the_outreach_and_programme_services_show_satisfaction(
    places: dict[str, Area],
) -> None:
    from django.test import Client

    from govreach.transparency.figures import pack_figures

    for pack_id in (HYO, PREPARA):
        service_pack_load(pack=pack(pack_id))
    for i in range(12):
        person = make_person(area_code=HAENGDANG, phone=f"+8210555{i:05d}")
        student = make_person(area_code="BR-2607901")
        account, _created = citizen_account_get_or_create(phone=person.phone)
        guardian, _created = citizen_account_get_or_create(phone=f"+55819{i:08d}")
        visit, course = make_visit(person), make_course(student, guardian_phone=guardian.phone)
        services.rating_submit(account=account, kind="visit", key=str(visit.pk), rating=4 if i < 9 else 2)
        services.rating_submit(account=guardian, kind="course", key=str(course.pk), rating=5)

    (hyo,) = [f for f in pack_figures(pack(HYO)) if f.year == timezone.localdate().year]
    (prepara,) = [f for f in pack_figures(pack(PREPARA)) if f.year == timezone.localdate().year]

    assert (
        hyo.counts["KR"]["ratings"] == 12 and hyo.measures["KR"]["satisfaction_pct"] is None
    )  # 3 unhappy: hidden
    assert prepara.counts["BR"]["ratings"] == 12 and prepara.measures["BR"]["satisfaction_pct"] == 100.0
    page = Client().get(f"/transparency/services/{PREPARA}/").content.decode()
    assert "User satisfaction and grievances" in page and "Not measured yet." not in page
