"""The language switch in every page's header, and the language following the person.

The switch is a form (no JavaScript): one button per language, named in that language, POSTed with the
current path to /language/, which checks the path and sets the cookie; a signed-in person's choice is
stored with their account and applied again when they sign in on another device.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from tests.web.conftest import APPLY, PHONE, citizen_sign_in, last_sms, staff_client
from tests.web.journey import fill_form, pay_application_fees, submit_form

from govreach.accounts.models import CitizenAccount, StaffProfile, StaffTOTPDevice
from govreach.cases.models import Application
from govreach.cases.services import applicant_language
from govreach.catalogue.models import ServicePack

SWITCH = "/language/"
LANGUAGE_COOKIE = settings.LANGUAGE_COOKIE_NAME


def switch_form(html: str) -> str:
    match = re.search(r'<form class="langs" method="post" action="/language/"[^>]*>.*?</form>', html, re.S)
    assert match, "no language switch on the page"
    return match.group(0)


def html_lang(html: str) -> str:
    match = re.search(r'<html lang="([^"]+)">', html)
    assert match
    return match.group(1)


def choose(client: Client, language: str, next_path: str = "/") -> str:
    """Press the language's button on ``next_path``; the page the switch leads back to."""
    response = client.post(SWITCH, {"language": language, "next": next_path})
    assert response.status_code == 302
    return str(response["Location"])


@pytest.mark.django_db
def test_the_switch_offers_every_language_named_in_itself_with_its_lang(client: Client) -> None:
    form = switch_form(client.get("/?lang=en").content.decode())
    buttons = re.findall(
        r'<button type="submit" name="language" value="([^"]+)" lang="([^"]+)"[^>]*>([^<]+)<', form
    )
    assert buttons == [
        ("en", "en", "English"),
        ("pt", "pt", "Português"),
        ("pt-br", "pt-BR", "Português (Brasil)"),
        ("bn", "bn", "বাংলা"),
        ("ko", "ko", "한국어"),
    ]
    assert 'value="en" lang="en" aria-current="true"' in form
    assert 'name="csrfmiddlewaretoken"' in form and 'aria-label="Language"' in form


@pytest.mark.django_db
def test_the_switch_sends_back_the_path_only_never_the_query(client: Client) -> None:
    html = client.get("/track/", {"reference": "BD-2026-000123", "secret": "ABCD2345"}).content.decode()
    form = switch_form(html)
    assert '<input type="hidden" name="next" value="/track/">' in form
    assert "BD-2026-000123" not in form and "ABCD2345" not in form


@pytest.mark.django_db
def test_the_switch_is_on_citizen_staff_and_sign_in_pages(
    client: Client, emutation: None, officers: dict[str, User]
) -> None:
    for path in ("/login/", "/staff/login/", f"/services/{'bd-land-mutation'}/"):
        assert switch_form(client.get(path).content.decode())
    citizen_sign_in(client, PHONE)
    assert switch_form(client.get("/account/applications/").content.decode())
    staff = staff_client(officers["ulao"])
    assert switch_form(staff.get("/staff/cases/").content.decode())


def test_choosing_a_language_sets_the_cookie_and_goes_back_to_the_page(
    client: Client, pt_service_pack: ServicePack
) -> None:
    assert choose(client, "bn", "/services/") == "/services/"
    assert client.cookies[LANGUAGE_COOKIE].value == "bn"
    html = client.get("/").content.decode()
    assert html_lang(html) == "bn"
    assert 'value="bn" lang="bn" aria-current="true"' in switch_form(html)
    assert "<h1>সরকারি সেবা</h1>" in html  # the catalogue's own words in Bengali


def test_lang_in_the_address_still_wins_for_that_page(client: Client, pt_service_pack: ServicePack) -> None:
    choose(client, "bn")
    assert html_lang(client.get("/?lang=pt").content.decode()) == "pt"
    assert html_lang(client.get("/").content.decode()) == "bn"


@pytest.mark.django_db
def test_the_switch_goes_only_to_a_page_of_this_site(client: Client) -> None:
    assert choose(client, "ko", "https://evil.example/phish") == "/"
    assert choose(client, "ko", "//evil.example/") == "/"


@pytest.mark.django_db
def test_an_unknown_language_changes_nothing(client: Client) -> None:
    choose(client, "xx", "/")
    assert LANGUAGE_COOKIE not in client.cookies


@pytest.mark.django_db
def test_the_switch_takes_only_a_post_with_its_csrf_token() -> None:
    client = Client(enforce_csrf_checks=True)
    assert client.get(SWITCH, {"language": "bn", "next": "/"}).status_code == 405
    assert client.post(SWITCH, {"language": "bn", "next": "/"}).status_code == 403
    html = client.get("/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert token
    response = client.post(SWITCH, {"language": "bn", "next": "/", "csrfmiddlewaretoken": token.group(1)})
    assert response.status_code == 302 and client.cookies[LANGUAGE_COOKIE].value == "bn"


@pytest.mark.django_db
def test_a_citizen_s_choice_is_stored_and_comes_back_on_another_device(emutation: None) -> None:
    phone_browser = Client()
    citizen_sign_in(phone_browser, PHONE)
    choose(phone_browser, "pt-br", "/account/applications/")
    assert CitizenAccount.objects.get(phone=PHONE).preferred_language == "pt-BR"

    # Another device, with no cookie and an English browser: signing in brings Portuguese (Brazil) back.
    laptop = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert html_lang(laptop.get("/").content.decode()) == "en"
    citizen_sign_in(laptop, PHONE)
    html = laptop.get("/").content.decode()
    assert html_lang(html) == "pt-BR"
    assert 'value="pt-br" lang="pt-BR" aria-current="true"' in switch_form(html)


@pytest.mark.django_db
def test_the_stored_choice_wins_over_another_device_s_cookie(emutation: None) -> None:
    first = Client()
    citizen_sign_in(first, PHONE)
    choose(first, "bn")
    shared = Client()
    choose(shared, "ko")  # someone else chose Korean on this device before
    citizen_sign_in(shared, PHONE)
    assert html_lang(shared.get("/").content.decode()) == "bn"
    assert CitizenAccount.objects.get(phone=PHONE).preferred_language == "bn"


@pytest.mark.django_db
def test_a_choice_made_before_signing_in_becomes_the_person_s_choice(client: Client, emutation: None) -> None:
    choose(client, "ko", "/login/")
    citizen_sign_in(client, PHONE)
    assert CitizenAccount.objects.get(phone=PHONE).preferred_language == "ko"


@pytest.mark.django_db
def test_signing_out_leaves_the_device_s_own_choice(client: Client, emutation: None) -> None:
    citizen_sign_in(client, PHONE)
    CitizenAccount.objects.filter(phone=PHONE).update(preferred_language="bn")
    choose(client, "en")  # stored as the person's choice too
    assert CitizenAccount.objects.get(phone=PHONE).preferred_language == "en"
    client.post("/logout/")
    assert html_lang(client.get("/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()) == "en"


@pytest.mark.django_db
def test_a_staff_member_keeps_their_language_on_their_profile(
    emutation: None, officers: dict[str, User]
) -> None:
    officer = officers["ac_land"]
    desk = staff_client(officer)
    choose(desk, "bn", "/staff/cases/")
    assert StaffProfile.objects.get(user=officer).preferred_language == "bn"
    assert not CitizenAccount.objects.filter(user=officer).exists()
    StaffTOTPDevice.objects.filter(user=officer).update(last_used_counter=None)  # a new code, as later
    home = staff_client(officer)
    assert html_lang(home.get("/staff/").content.decode()) == "bn"


@pytest.mark.django_db
def test_a_stranger_s_choice_is_stored_nowhere(client: Client, pt_service_pack: ServicePack) -> None:
    choose(client, "bn")
    assert not StaffProfile.objects.exists() and not CitizenAccount.objects.exists()
    assert "sessionid" not in client.cookies  # a stranger gets no session for choosing a language


@pytest.mark.django_db
def test_messages_to_a_citizen_follow_the_language_they_chose_not_the_application_s(
    client: Client, emutation: None
) -> None:
    citizen_sign_in(client, PHONE)
    fill_form(client)  # an English browser: the application is made in English
    pay_application_fees(client)
    choose(client, "bn", f"{APPLY}check-answers/")
    response = client.post(f"{APPLY}submit-application/", submit_form(client))
    assert response.status_code == 302
    application = Application.objects.exclude(state="draft").get()
    assert application.language == "en"
    received = last_sms(PHONE, "application_received")
    assert received.language == "bn"
    assert received.body.startswith("ই-নামজারি: আপনার আবেদন পেয়েছি।")

    # The choice changes again later: the next message follows it.
    choose(client, "en")
    assert applicant_language(application) == "en"


@pytest.mark.django_db
def test_a_translated_page_says_the_language_it_is_in(client: Client) -> None:
    choose(client, "ko", "/login/")
    html = client.get("/login/").content.decode()
    assert html_lang(html) == "ko"
    assert 'aria-label="언어"' in switch_form(html)  # the switch's own name in the page's language
