"""Grievances: filing from every channel, deadlines by category, the status page, the staff queue at
their level and area only, replies and closing with the complainant told, and escalation."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from govreach.accounts.models import CitizenAccount
from govreach.audit.models import AuditEntry
from govreach.feedback import services
from govreach.feedback.figures import grievance_rows
from govreach.feedback.models import Grievance, GrievanceEvent
from govreach.notify.models import OutboxMessage
from govreach.registry.models import Area
from govreach.ussd.services import sms_inbound_handle

from .conftest import OTHER_PHONE, PHONE, citizen_client, staff_client

MONDAY_NOON = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


def file(areas: dict[str, Area], *, category: str = "delay", **kwargs: object) -> services.Filed:
    defaults: dict[str, object] = {
        "area": areas["BD-30260101"],
        "text": "My mutation case waits since March.",
        "source": "web",
        "contact_channel": "sms",
        "contact": PHONE,
    }
    defaults.update(kwargs)
    return services.grievance_file(category=category, **defaults)  # type: ignore[arg-type]


def form_data(**overrides: str) -> dict[str, str]:
    data = {
        "category": "delay",
        "area": "BD-30260101",
        "service": "",
        "text": "Nobody answers at the land office.",
        "contact_channel": "sms",
        "contact": PHONE,
        "idempotency_key": "form-key-1",
    }
    data.update(overrides)
    return data


# --- filing ----------------------------------------------------------------------------------------


def test_a_grievance_starts_at_the_local_level_with_the_deadlines_of_its_category(
    areas: dict[str, Area],
) -> None:
    filed = file(areas, category="data_privacy", now=MONDAY_NOON)
    grievance = filed.grievance
    assert grievance.tier == "local" and grievance.handling_area.code == "BD-30260101"
    # 3 working days from a Monday is the Thursday; data and privacy complaints get 20 days.
    assert grievance.acknowledge_due_at == MONDAY_NOON + dt.timedelta(days=3)
    assert grievance.due_at == MONDAY_NOON + dt.timedelta(days=20)
    assert file(areas, category="delay", now=MONDAY_NOON).grievance.due_at == MONDAY_NOON + dt.timedelta(
        days=30
    )


def test_acknowledgement_skips_the_weekend(areas: dict[str, Area]) -> None:
    friday = MONDAY_NOON + dt.timedelta(days=4)
    grievance = file(areas, now=friday).grievance
    assert grievance.acknowledge_due_at == friday + dt.timedelta(days=5)  # Wednesday


def test_the_reference_holds_no_personal_data_and_the_secret_is_stored_hashed(areas: dict[str, Area]) -> None:
    filed = file(areas)
    assert re.fullmatch(r"G-\d{4}-[A-Z2-9]{8}", filed.grievance.reference)
    assert filed.secret is not None and filed.secret not in filed.grievance.status_secret_hash
    assert PHONE not in str(filed.grievance)


def test_the_complainant_is_told_the_reference_and_code_in_their_language(areas: dict[str, Area]) -> None:
    filed = file(areas, language="bn")
    message = OutboxMessage.objects.get(message_id="grievance_received")
    assert message.recipient == PHONE and message.language == "bn"
    assert filed.grievance.reference in message.body and str(filed.secret) in message.body


def test_an_unknown_category_and_an_empty_text_are_refused(areas: dict[str, Area]) -> None:
    with pytest.raises(services.FeedbackError) as unknown:
        file(areas, category="weather")
    assert unknown.value.field == "category"
    with pytest.raises(services.FeedbackError) as empty:
        file(areas, text="   ")
    assert empty.value.field == "text"
    assert not Grievance.objects.exists()


def test_an_anonymous_complaint_through_the_page_is_filed_once_and_its_code_shown_once(
    areas: dict[str, Area],
) -> None:
    client = Client()
    assert client.get("/grievances/new/").status_code == 200
    first = client.post("/grievances/new/", form_data())
    second = client.post("/grievances/new/", form_data())
    assert first.status_code == second.status_code == 302
    grievance = Grievance.objects.get()
    assert grievance.source == "web" and grievance.complainant is None
    receipt = client.get("/grievances/filed/")
    assert grievance.reference in receipt.content.decode()
    assert "grievances/status" in client.get("/grievances/filed/")["Location"]  # shown once only


def test_the_form_links_each_error_to_its_field(areas: dict[str, Area]) -> None:
    response = Client().post("/grievances/new/", form_data(category="", text="", contact="not a phone"))
    page = response.content.decode()
    assert response.status_code == 400
    assert 'href="#id_category_0"' in page and 'href="#id_text"' in page
    assert not Grievance.objects.exists()


def test_a_bad_contact_is_refused_on_the_field(areas: dict[str, Area]) -> None:
    response = Client().post("/grievances/new/", form_data(contact="12"))
    assert response.status_code == 400 and 'href="#id_contact"' in response.content.decode()


def test_a_signed_in_citizen_is_the_complainant_and_kept_informed_on_their_phone(
    citizen: CitizenAccount,
) -> None:
    response = citizen_client(citizen).post("/grievances/new/", form_data(contact_channel="", contact=""))
    assert response.status_code == 302
    grievance = Grievance.objects.get()
    assert grievance.complainant_id == citizen.user_id and grievance.contact == PHONE


def test_staff_record_a_complaint_received_at_the_counter(handlers: dict[str, User]) -> None:
    client = staff_client(handlers["local"])
    assert "counter" in client.get("/grievances/new/").content.decode()
    response = client.post("/grievances/new/", form_data(source="counter"))
    assert response.status_code == 302
    grievance = Grievance.objects.get()
    assert grievance.source == "counter" and grievance.filed_by == handlers["local"]
    assert AuditEntry.objects.get(action="grievance.record").actor_id == handlers["local"].pk


def test_a_complaint_by_sms_is_filed_once_per_message_and_answered_with_its_reference(
    areas: dict[str, Area],
) -> None:
    for _ in range(2):
        sms_inbound_handle(sender=OTHER_PHONE, body="COMPLAINT the office was closed", gateway_id="gw-1")
    grievance = Grievance.objects.get()
    assert grievance.source == "sms" and grievance.text == "the office was closed"
    assert grievance.area.code == "BD"  # an unknown number: its country
    reply = OutboxMessage.objects.get(message_id="grievance_received")
    assert reply.recipient == OTHER_PHONE and grievance.reference in reply.body


# --- status ----------------------------------------------------------------------------------------


def test_the_status_page_needs_the_reference_and_the_code(areas: dict[str, Area]) -> None:
    filed = file(areas)
    client = Client()
    wrong = client.post("/grievances/status/", {"reference": filed.grievance.reference, "secret": "AAAAAAAA"})
    assert "We found no complaint" in wrong.content.decode()
    right = client.post(
        "/grievances/status/", {"reference": filed.grievance.reference.lower(), "secret": filed.secret}
    )
    page = right.content.decode()
    assert "Received" in page and "Ashulia" in page
    assert "My mutation case" not in page  # the complaint's own words are not shown back


# --- staff -----------------------------------------------------------------------------------------


def test_the_queue_shows_only_the_officers_level_and_area(
    areas: dict[str, Area], handlers: dict[str, User]
) -> None:
    mine = file(areas).grievance
    theirs = file(areas, area=areas["BD-30260102"]).grievance
    local = staff_client(handlers["local"]).get("/staff/grievances/").content.decode()
    assert mine.reference in local and theirs.reference not in local
    district = staff_client(handlers["district"]).get("/staff/grievances/").content.decode()
    assert mine.reference not in district  # not escalated yet: not their level


def test_staff_of_another_area_or_level_are_refused(
    areas: dict[str, Area], handlers: dict[str, User]
) -> None:
    grievance = file(areas).grievance
    url = f"/staff/grievances/{grievance.reference}/"
    for key in ("local_other", "district", "national"):
        client = staff_client(handlers[key])
        assert client.get(url).status_code == 403
        assert client.post(url, {"action": "resolve", "note": "done"}).status_code == 403
    assert Grievance.objects.get().status == "open"
    with pytest.raises(services.NotPermitted):
        services.grievance_resolve(grievance=grievance, by_user=handlers["district"], note="done")


def test_a_citizen_or_anonymous_visitor_cannot_open_the_staff_pages(
    citizen: CitizenAccount, areas: dict[str, Area]
) -> None:
    grievance = file(areas).grievance
    for client in (Client(), citizen_client(citizen)):
        for url in ("/staff/grievances/", f"/staff/grievances/{grievance.reference}/"):
            response = client.get(url)
            assert response.status_code == 302 and "/staff/login/" in response["Location"]


def test_staff_without_a_grievance_role_are_refused_the_queue(areas: dict[str, Area]) -> None:
    from .conftest import make_staff_user

    assert staff_client(make_staff_user("clerk")).get("/staff/grievances/").status_code == 403


def test_reply_then_resolve_tells_the_complainant_each_time(
    areas: dict[str, Area], handlers: dict[str, User]
) -> None:
    filed = file(areas)
    client = staff_client(handlers["local"])
    url = f"/staff/grievances/{filed.grievance.reference}/"
    assert "My mutation case" in client.get(url).content.decode()
    assert client.post(url, {"action": "reply", "note": "We are looking into it."}).status_code == 302
    assert Grievance.objects.get().status == "in_progress"
    assert client.post(url, {"action": "resolve", "note": "Your case was decided."}).status_code == 302
    grievance = Grievance.objects.get()
    assert grievance.status == "resolved" and grievance.closed_at is not None
    sent = list(OutboxMessage.objects.filter(recipient=PHONE).values_list("message_id", flat=True))
    assert sorted(sent) == ["grievance_closed", "grievance_received", "grievance_reply"]
    status = Client().post("/grievances/status/", {"reference": grievance.reference, "secret": filed.secret})
    assert "Your case was decided." in status.content.decode()
    # Closed: nothing more can be done.
    assert client.post(url, {"action": "reject", "note": "late"}).status_code == 400
    # Each reading and each step is in the audit log, by the officer, with no words of the complaint.
    entries = AuditEntry.objects.filter(subject_type="feedback.grievance").order_by("seq")
    assert [e.action for e in entries] == ["grievance.view", "grievance.reply", "grievance.resolved"]
    assert {e.actor_username for e in entries} == {"grv-local"}
    assert all(e.detail["reference"] == grievance.reference for e in entries)
    assert "decided" not in repr([e.detail for e in entries]) and "mutation" not in repr(
        [e.detail for e in entries]
    )


def test_a_rejection_needs_a_reason(areas: dict[str, Area], handlers: dict[str, User]) -> None:
    grievance = file(areas).grievance
    client = staff_client(handlers["local"])
    response = client.post(f"/staff/grievances/{grievance.reference}/", {"action": "reject", "note": ""})
    assert response.status_code == 400 and 'href="#id_note"' in response.content.decode()
    assert Grievance.objects.get().status == "open"
    services.grievance_reject(grievance=grievance, by_user=handlers["local"], reason="Not a public service.")
    assert GrievanceEvent.objects.filter(action="rejected", note="Not a public service.").exists()


# --- escalation ------------------------------------------------------------------------------------


def test_escalation_moves_an_overdue_grievance_one_level_up_once(
    areas: dict[str, Area], handlers: dict[str, User]
) -> None:
    long_ago = timezone.now() - dt.timedelta(days=40)
    overdue = file(areas, now=long_ago).grievance
    on_time = file(areas).grievance
    call_command("grievances", "escalate")
    call_command("grievances", "escalate")  # idempotent
    overdue.refresh_from_db()
    on_time.refresh_from_db()
    assert overdue.tier == "district" and overdue.handling_area.code == "BD-302601"
    assert overdue.due_at > timezone.now() and on_time.tier == "local"
    event = GrievanceEvent.objects.get(grievance=overdue, action="escalated")
    assert "deadline" in event.note and event.data["from_tier"] == "local"
    assert OutboxMessage.objects.filter(message_id="grievance_escalated").count() == 1
    audit = AuditEntry.objects.get(action="grievance.escalate")
    assert audit.channel == "system" and audit.actor_id is None and audit.detail["to_tier"] == "district"
    # The handling moves with it: the district officer may act now, the local one no longer.
    url = f"/staff/grievances/{overdue.reference}/"
    assert staff_client(handlers["local"]).get(url).status_code == 403
    assert staff_client(handlers["district"]).get(url).status_code == 200


def test_escalation_climbs_every_level_and_stops_at_the_national_one(areas: dict[str, Area]) -> None:
    grievance = file(areas).grievance
    tiers = []
    for step in range(1, 6):
        now = timezone.now() + dt.timedelta(days=60 * step)
        services.grievances_escalate(now=now)
        grievance.refresh_from_db()
        tiers.append(grievance.tier)
    assert tiers == ["district", "regional", "national", "national", "national"]
    assert grievance.handling_area.code == "BD"


def test_a_closed_grievance_is_never_escalated(areas: dict[str, Area], handlers: dict[str, User]) -> None:
    grievance = file(areas, now=timezone.now() - dt.timedelta(days=40)).grievance
    services.grievance_resolve(grievance=grievance, by_user=handlers["local"], note="Fixed.")
    assert services.grievances_escalate() == []


# --- figures ---------------------------------------------------------------------------------------


def test_grievance_rows_count_by_category_level_status_and_overdue_with_median_days(
    areas: dict[str, Area], handlers: dict[str, User]
) -> None:
    now = timezone.now()
    for days in (4, 10):
        g = file(areas, now=now - dt.timedelta(days=days)).grievance
        services.grievance_resolve(grievance=g, by_user=handlers["local"], note="Done.")
    file(areas, now=now - dt.timedelta(days=40))
    file(areas, category="other")
    rows = grievance_rows(now=now)
    by_key = {(r["category"], r["status"], r["overdue"]): r for r in rows}
    assert by_key[("delay", "resolved", False)]["count"] == 2
    assert by_key[("delay", "resolved", False)]["median_days"] == pytest.approx(7.0, abs=0.1)
    assert (
        by_key[("delay", "open", True)]["count"] == 1
        and by_key[("delay", "open", True)]["median_days"] is None
    )
    assert by_key[("other", "open", False)]["level"] == "local"
    assert all(r["area_code"] == "BD-30260101" for r in rows)
    assert "My mutation case" not in repr(rows) and PHONE not in repr(rows)


def test_an_intermediary_files_for_the_citizen_they_act_for(
    citizen: CitizenAccount, areas: dict[str, Area]
) -> None:
    from govreach.accounts.access import SESSION_ACTING_FOR
    from govreach.accounts.models import Consent, Intermediary

    from .conftest import make_staff_user

    operator = make_staff_user("udc-ashulia")
    intermediary = Intermediary.objects.create(
        user=operator, centre_name="Ashulia UDC", area=areas["BD-30260101"]
    )
    consent = Consent.objects.create(
        citizen=citizen,
        intermediary=intermediary,
        pack_id="bd-land-mutation",
        method="otp",
        granted_at=timezone.now(),
    )
    client = staff_client(operator)
    session = client.session
    session[SESSION_ACTING_FOR] = {"consent_id": consent.pk}
    session.save()
    assert "for the citizen you act for" in client.get("/grievances/new/").content.decode()
    assert client.post("/grievances/new/", form_data(contact_channel="", contact="")).status_code == 302
    grievance = Grievance.objects.get()
    assert grievance.source == "intermediary"
    assert grievance.complainant_id == citizen.user_id and grievance.filed_by_id == operator.pk
    assert grievance.contact == PHONE  # the citizen is kept informed, not the operator
    record = AuditEntry.objects.get(action="grievance.record")
    assert record.channel == "assisted" and record.acting_for_citizen_id == citizen.pk
