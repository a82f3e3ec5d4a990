"""Lodging a grievance and rating the latest completed service on USSD, through the gateway: the screens,
in every language, each within 182 characters; retried and out-of-order requests write nothing twice."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from tests.feedback.factories import (
    GUARDIAN_PHONE,
    KR_AREAS,
    import_areas,
    make_course,
    make_person,
    make_visit,
)

from govreach.accounts.services import citizen_account_get_or_create
from govreach.feedback.models import Grievance, Rating
from govreach.notify.models import OutboxMessage
from govreach.registry.models import Area, Person
from govreach.ussd.menus import SCREEN_LIMIT, TYPED_TEXT_LIMIT
from govreach.ussd.models import UssdSession
from govreach.ussd.texts import LANGUAGES, date_text, text

from .conftest import UK_PHONE, Gateway

pytestmark = pytest.mark.django_db

BD_AREAS = [
    ("BD", "Bangladesh", "country", ""),
    ("BD-30", "Dhaka", "division", "BD"),
    ("BD-3026", "Dhaka district", "district", "BD-30"),
    ("BD-302601", "Savar", "upazila", "BD-3026"),
    ("BD-30260101", "Ashulia", "union", "BD-302601"),
    ("BD-30260102", "Dhamsona", "union", "BD-302601"),
]
BD_PHONE = "+8801712345678"
WHAT_HAPPENED = "Nobody at the land office for three days"
HAENGDANG = "KR-11200550"


def ussd(gateway: Gateway, path: str, **kwargs: object) -> str:
    """The reply, checked against the rules every screen keeps."""
    reply = gateway.reply(path, **kwargs)
    assert reply.startswith(("CON ", "END ")) and len(reply) <= SCREEN_LIMIT, reply
    return reply


@pytest.fixture
def areas(db: None) -> dict[str, Area]:
    return import_areas(BD_AREAS)


@pytest.fixture
def resident(areas: dict[str, Area]) -> Person:
    """A caller the registry knows: their phone, and where they live (Ashulia)."""
    return Person.objects.create(given_name="Rahim", phone=UK_PHONE, area=areas["BD-30260101"])


# ---------------------------------------------------------------------------------------------------
# Grievances


def test_a_complaint_about_the_area_on_record_gets_a_reference_and_the_code_by_sms(
    gateway: Gateway, resident: Person
) -> None:
    categories = ussd(gateway, "4")
    where = ussd(gateway, "4*1")
    ask = ussd(gateway, "4*1*1")
    confirm = ussd(gateway, f"4*1*1*{WHAT_HAPPENED}")
    assert not Grievance.objects.exists()  # asking is not filing

    done = ussd(gateway, f"4*1*1*{WHAT_HAPPENED}*1")

    assert categories.splitlines() == [
        "CON What is your complaint about?",
        "1 Delay",
        "2 A wrong decision",
        "3 How staff treated me",
        "4 Access or accessibility",
        "5 My data or privacy",
        "6 Something else",
        "0 Back",
    ]
    assert where == "CON Where did it happen?\n1 Ashulia\n2 Somewhere else\n0 Back"
    assert ask == f"CON Say what happened in a few words (at most {TYPED_TEXT_LIMIT} characters).\n0 Back"
    assert confirm == "CON Send your complaint (Delay, Ashulia)?\n1 Send\n0 Back"
    grievance = Grievance.objects.get()
    due = date_text("en", timezone.localdate(grievance.due_at))
    assert done == (
        f"END Complaint {grievance.reference} received. An answer is due by {due}. "
        "Your secret code to follow it comes by SMS."
    )
    assert (grievance.category, grievance.area.code, grievance.source) == ("delay", "BD-30260101", "ussd")
    assert (grievance.text, grievance.contact_channel, grievance.contact) == (WHAT_HAPPENED, "sms", UK_PHONE)
    assert grievance.tier == "local" and grievance.handling_area.code == "BD-30260101"
    received = OutboxMessage.objects.get(message_id="grievance_received")
    assert received.recipient == UK_PHONE and grievance.reference in received.body


def test_retried_and_out_of_order_confirmations_file_one_grievance_with_the_same_reply(
    gateway: Gateway, resident: Person
) -> None:
    final = f"4*1*1*{WHAT_HAPPENED}*1"
    done = ussd(gateway, final)
    retried = ussd(gateway, final)
    earlier = ussd(gateway, "4*1*1")  # a late request of an earlier step
    again = ussd(gateway, final)

    assert done == retried == again and done.startswith("END Complaint G-")
    assert earlier.startswith("CON Say what happened")
    assert Grievance.objects.count() == 1
    assert OutboxMessage.objects.filter(message_id="grievance_received").count() == 1
    # The same words in another session are another complaint.
    ussd(gateway, final, session="another")
    assert Grievance.objects.count() == 2


def test_a_caller_without_an_area_on_record_chooses_it_level_by_level(
    gateway: Gateway, areas: dict[str, Area]
) -> None:
    citizen_account_get_or_create(phone=BD_PHONE, language="en")

    country = ussd(gateway, "4*2", phone=BD_PHONE)
    division = ussd(gateway, "4*2*2", phone=BD_PHONE)
    up_again = ussd(gateway, "4*2*2*0", phone=BD_PHONE)
    savar = ussd(gateway, "4*2*2*2*2", phone=BD_PHONE)
    back_to_categories = ussd(gateway, "4*2*0", phone=BD_PHONE)
    done = ussd(gateway, "4*2*2*2*2*3*Asked for a bribe*1", phone=BD_PHONE)

    assert country == "CON Where did it happen?\n1 All of Bangladesh\n2 Dhaka\n0 Back"
    assert division == "CON Dhaka: Where did it happen?\n1 All of Dhaka\n2 Dhaka district\n0 Back"
    assert up_again == country
    assert savar == "CON Savar: Where did it happen?\n1 All of Savar\n2 Ashulia\n3 Dhamsona\n0 Back"
    assert back_to_categories.startswith("CON What is your complaint about?")
    grievance = Grievance.objects.get()
    assert (grievance.category, grievance.area.code) == ("wrong_decision", "BD-30260102")
    assert done.startswith(f"END Complaint {grievance.reference} received.")


def test_all_of_an_area_may_be_chosen(gateway: Gateway, areas: dict[str, Area]) -> None:
    citizen_account_get_or_create(phone=BD_PHONE, language="en")

    confirm = ussd(gateway, "4*6*2*2*2*1*The upazila office has no ramp", phone=BD_PHONE)
    ussd(gateway, "4*6*2*2*2*1*The upazila office has no ramp*1", phone=BD_PHONE)

    assert confirm == "CON Send your complaint (Something else, Savar)?\n1 Send\n0 Back"
    grievance = Grievance.objects.get()
    assert grievance.area.code == "BD-302601" and grievance.tier == "district"


def test_an_empty_or_too_long_text_is_asked_again(gateway: Gateway, resident: Person) -> None:
    too_long = ussd(gateway, "4*1*1*" + "x" * (TYPED_TEXT_LIMIT + 1))
    longest = ussd(gateway, "4*1*1*" + "x" * TYPED_TEXT_LIMIT)
    empty = ussd(gateway, "4*1*1*")

    assert too_long.startswith("CON Empty or too long. Say what happened")
    assert empty.startswith("CON Empty or too long. Say what happened")
    assert longest.startswith("CON Send your complaint")


def test_the_session_keeps_neither_the_complaint_nor_the_phone(gateway: Gateway, resident: Person) -> None:
    ussd(gateway, f"4*1*1*{WHAT_HAPPENED}")
    ussd(gateway, f"4*1*1*{WHAT_HAPPENED}*1")

    stored = " ".join(str(v) for v in UssdSession.objects.values().get().values())
    assert "land office" not in stored and UK_PHONE[1:] not in stored
    assert "BD-30260101" not in str(UssdSession.objects.get().state)  # where they live is not kept
    assert "land office" not in (Grievance.objects.get().idempotency_key or "")


def test_without_any_area_a_complaint_cannot_be_taken_by_phone(gateway: Gateway) -> None:
    assert ussd(gateway, "4*1") == (
        "END We cannot take this complaint by phone now. Please visit an office or try again later."
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_complaint_in_every_language(gateway: Gateway, resident: Person, language: str) -> None:
    citizen_account_get_or_create(phone=UK_PHONE, language=language)

    menu = ussd(gateway, "")
    confirm = ussd(gateway, "4*3*1*The clerk shouted at me")
    done = ussd(gateway, "4*3*1*The clerk shouted at me*1")

    assert menu.splitlines()[4:6] == [
        f"4 {text(language, 'main_complaint')}",
        f"5 {text(language, 'main_rate')}",
    ]
    category = text(language, "category_staff_conduct")
    assert confirm.startswith("CON " + text(language, "complaint_confirm", category=category, area="Ashulia"))
    grievance = Grievance.objects.get()
    due = date_text(language, timezone.localdate(grievance.due_at))
    assert done == "END " + text(language, "complaint_done", reference=grievance.reference, date=due)
    assert grievance.language == language and grievance.complainant is not None


# ---------------------------------------------------------------------------------------------------
# Ratings


@pytest.fixture
def visited(db: None) -> Person:
    """An older resident of Seoul whose phone on record is the caller's (no account yet)."""
    import_areas(KR_AREAS)
    return make_person(area_code=HAENGDANG, phone=UK_PHONE)


def test_the_latest_completed_visit_is_rated_with_one_question(gateway: Gateway, visited: Person) -> None:
    older = make_visit(visited, done_at=timezone.now() - dt.timedelta(days=20))
    newer = make_visit(visited)
    make_visit(visited, status="planned")
    today = timezone.localdate().isoformat()

    ask = ussd(gateway, "5")
    not_a_score = ussd(gateway, "5*7")
    comment = ussd(gateway, "5*4")
    done = ussd(gateway, "5*4*1")

    assert ask.splitlines() == [
        f"CON How satisfied are you with kr-hyo-home-visits ({today})?",
        "1 Very dissatisfied",
        "2 Dissatisfied",
        "3 Neither",
        "4 Satisfied",
        "5 Very satisfied",
        "0 Back",
    ]
    assert not_a_score.startswith("CON Not a valid choice. How satisfied")
    assert comment == (
        f"CON Anything to add? Type it (at most {TYPED_TEXT_LIMIT} characters), or choose 1.\n"
        "1 Send without a comment\n0 Back"
    )
    assert done == "END Thank you. Your answer helps us improve the service."
    rating = Rating.objects.get()
    assert (rating.service_kind, rating.service_key, rating.rating) == ("visit", str(newer.pk), 4)
    assert (rating.via, rating.comment, rating.channel) == ("ussd", "", "assisted")
    # The next session offers the older visit, then nothing.
    older_day = timezone.localdate(older.done_at).isoformat() if older.done_at else ""
    assert f"({older_day})?" in ussd(gateway, "5", session="next")
    ussd(gateway, "5*2*The nurse came late", session="next")
    assert ussd(gateway, "5", session="third") == "END You have no completed service to rate yet."
    assert dict(Rating.objects.values_list("service_key", "comment")) == {
        str(newer.pk): "",
        str(older.pk): "The nurse came late",
    }


def test_a_retried_or_replayed_rating_is_recorded_once(gateway: Gateway, visited: Person) -> None:
    make_visit(visited)

    done = ussd(gateway, "5*5*1")
    retried = ussd(gateway, "5*5*1")
    earlier = ussd(gateway, "5")  # late, after the rating: the same service, still
    replayed = ussd(gateway, "5*5*1")
    changed = ussd(gateway, "5*1*1")  # a different score in the same session does not change it

    assert done == retried == replayed == changed
    assert earlier.startswith("CON How satisfied")
    assert list(Rating.objects.values_list("rating", flat=True)) == [5]


def test_someone_elses_or_an_unfinished_service_is_not_offered(gateway: Gateway, visited: Person) -> None:
    make_visit(visited)
    other = make_person(area_code=HAENGDANG, phone="+447700900999")
    make_visit(other, status="planned")

    assert ussd(gateway, "5*4*1", phone="+447700900999") == "END You have no completed service to rate yet."
    assert (
        ussd(gateway, "5*4*1", phone="+447700900555", session="s2")
        == "END You have no completed service to rate yet."
    )
    assert not Rating.objects.exists()


def test_the_guardian_rates_the_finished_course_in_brazilian_portuguese(gateway: Gateway, db: None) -> None:
    from tests.feedback.factories import BR_AREAS

    import_areas(BR_AREAS)
    course = make_course(make_person(area_code="BR-2607901"), guardian_phone=GUARDIAN_PHONE)

    ask = ussd(gateway, "5", phone=GUARDIAN_PHONE)
    done = ussd(gateway, "5*5*Ótimos professores", phone=GUARDIAN_PHONE)

    assert ask.startswith(f"CON Você ficou satisfeito com br-prepara ({course.key})?\n1 Muito insatisfeito")
    assert done == "END Obrigado. Sua resposta nos ajuda a melhorar o serviço."
    rating = Rating.objects.get()
    assert (rating.service_kind, rating.rating, rating.comment) == ("course", 5, "Ótimos professores")


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_rating_in_every_language(gateway: Gateway, visited: Person, language: str) -> None:
    make_visit(visited)
    citizen_account_get_or_create(phone=UK_PHONE, language=language)

    ask = ussd(gateway, "5")
    done = ussd(gateway, "5*3*1")

    today = timezone.localdate().isoformat()
    head = text(language, "rate_ask", title="kr-hyo-home-visits", label=today)
    assert ask.splitlines()[:2] == [f"CON {head}", f"1 {text(language, 'rate_1')}"]
    assert done == "END " + text(language, "rate_done")
    assert Rating.objects.get().rating == 3
