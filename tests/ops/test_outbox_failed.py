"""The staff page of messages that could not be sent: who may see them, the reason, and resending."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from tests.ops.conftest import BD, signed_in

from govreach.accounts.services import citizen_account_get_or_create
from govreach.notify.models import OutboxMessage

PAGE = "/staff/messages/failed/"


def resend_url(message: OutboxMessage) -> str:
    return reverse("ops:outbox_failed_resend", kwargs={"message_id": message.pk})


def test_an_officer_sees_the_failed_messages_of_their_area_with_the_reason_and_a_masked_number(
    staff: Callable[..., User], failed_message: Callable[..., OutboxMessage]
) -> None:
    mine = failed_message("mine")
    failed_message("neighbour", area_code="BD-30260102")
    failed_message("other-pack", pack_id="pt-social-energy-tariff")
    failed_message("platform", pack_id=None, area_code=None)
    response = signed_in(staff("ulao", BD, "BD-30260101")).get(PAGE)
    assert response.status_code == 200
    page = response.content.decode()
    assert "the SMS gateway answered HTTP 503: busy" in page
    assert page.count('action="/staff/messages/failed/') == 1 and resend_url(mine) in page
    assert "+8801712345678" not in page and "01712345678" not in page


def test_an_officer_above_sees_the_failed_messages_of_every_area_below(
    staff: Callable[..., User], failed_message: Callable[..., OutboxMessage]
) -> None:
    messages = [failed_message("a"), failed_message("b", area_code="BD-30260102")]
    page = signed_in(staff("ac-land", BD, "BD-302601")).get(PAGE).content.decode()
    assert all(resend_url(m) in page for m in messages)


def test_resending_queues_the_message_again_and_records_who(
    staff: Callable[..., User], failed_message: Callable[..., OutboxMessage]
) -> None:
    message = failed_message("mine")
    officer = staff("ulao", BD, "BD-30260101")
    client = signed_in(officer)
    response = client.post(resend_url(message), follow=True)
    assert response.redirect_chain == [(PAGE, 302)]
    assert "queued again" in response.content.decode()
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == ("queued", 0, "")
    assert message.resend_log[-1]["by_user_id"] == officer.pk
    assert message.resend_log[-1]["previous_error"] == "the SMS gateway answered HTTP 503: busy"
    # Queued again, it is no longer failed: a second click finds nothing to resend.
    assert client.post(resend_url(message)).status_code == 404


def test_staff_of_another_area_or_pack_cannot_resend(
    staff: Callable[..., User], failed_message: Callable[..., OutboxMessage]
) -> None:
    message = failed_message("mine")
    for user in (staff("ulao-other", BD, "BD-30260102"), staff("energy", "pt-social-energy-tariff", "BD")):
        client = signed_in(user)
        assert resend_url(message) not in client.get(PAGE).content.decode()
        assert client.post(resend_url(message)).status_code == 404
    message.refresh_from_db()
    assert message.status == "failed" and message.resend_log == []


def test_staff_without_a_role_are_refused(staff: Callable[..., User]) -> None:
    assert signed_in(staff("nobody")).get(PAGE).status_code == 403


def test_citizens_and_visitors_are_sent_to_the_staff_login(
    areas: object, failed_message: Callable[..., OutboxMessage]
) -> None:
    message = failed_message("mine")
    citizen = Client()
    citizen.force_login(citizen_account_get_or_create(phone="+8801712345678", language="bn")[0].user)
    for client in (citizen, Client()):
        for response in (client.get(PAGE), client.post(resend_url(message))):
            assert response.status_code == 302 and response["Location"].startswith("/staff/login/")
    message.refresh_from_db()
    assert message.status == "failed"


def test_a_superuser_sees_platform_messages_too(
    staff: Callable[..., User], failed_message: Callable[..., OutboxMessage]
) -> None:
    login_code = failed_message("login", pack_id=None, area_code=None)
    admin = staff("admin")
    admin.is_superuser = True
    admin.save()
    assert resend_url(login_code) in signed_in(admin).get(PAGE).content.decode()


def test_resend_is_post_only(
    staff: Callable[..., User], failed_message: Callable[..., OutboxMessage]
) -> None:
    message = failed_message("mine")
    assert signed_in(staff("ulao", BD, "BD-30260101")).get(resend_url(message)).status_code == 405
