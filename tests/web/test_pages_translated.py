"""The citizen apply and account pages, the staff case page and the tariff page speak the chosen language.

Each page is drawn in Bengali and in Korean: its own words come from the interface catalogue (a few are
looked for), the English ones are gone, and the page says which language it is in.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from tests.web.conftest import APPLY, PHONE, citizen_sign_in, staff_client
from tests.web.journey import fill_form, pay_application_fees
from tests.web.test_staff import file_application

pytestmark = pytest.mark.usefixtures("emutation")

# language -> page -> (words that must show, English words that must not)
WORDS: dict[str, dict[str, tuple[list[str], list[str]]]] = {
    "bn": {
        "apply": (["উত্তর দেখে নিন, ফি দিন এবং জমা দিন", "অংশ"], ["Sections", "Check your answers, pay"]),
        "check": (
            ["মেনে নিয়ে আবেদন জমা দিন", "জমা দেওয়ার আগে উত্তরগুলো দেখে নিন"],
            ["Accept and submit the application", "Check your answers before submitting"],
        ),
        "account": (
            ["আপনার আবেদনগুলো", "এখনো জমা হয়নি"],
            ["Your applications", "Not submitted yet", "Last saved"],
        ),
        "case": (["এখন আপনি যা করতে পারেন", "সময়রেখা"], ["What you can do now", "Timeline"]),
        "mine": (
            ["আপনার সামাজিক বিদ্যুৎ ট্যারিফ", "পর্যালোচনার আবেদন করুন"],
            ["Your social energy tariff", "Ask for a review"],
        ),
    },
    "ko": {
        "apply": (["답변 확인, 수수료 납부, 제출", "항목"], ["Sections", "Check your answers, pay"]),
        "check": (
            ["동의하고 신청서 제출", "제출하기 전에 답변을 확인하세요"],
            ["Accept and submit the application", "Check your answers before submitting"],
        ),
        "account": (
            ["내 신청", "아직 제출하지 않음"],
            ["Your applications", "Not submitted yet", "Last saved"],
        ),
        "case": (["지금 할 수 있는 일", "처리 기록"], ["What you can do now", "Timeline"]),
        "mine": (["에너지 사회 요금", "재검토 요청"], ["Your social energy tariff", "Ask for a review"]),
    },
}


def _visible(html: str) -> str:
    """The page's text without the language switch (which names English in English on purpose)."""
    return re.sub(r'<form class="langs".*?</form>', "", html, flags=re.S)


def assert_in_language(html: str, language: str, page: str) -> None:
    assert f'<html lang="{language}">' in html
    shown, english = WORDS[language][page]
    text = _visible(html)
    for words in shown:
        assert words in text, f"{page} in {language}: {words!r} missing"
    for words in english:
        assert words not in text, f"{page} in {language}: {words!r} still in English"


@pytest.mark.parametrize("language", ["bn", "ko"])
def test_the_apply_check_and_account_pages_are_in_the_chosen_language(client: Client, language: str) -> None:
    citizen_sign_in(client, PHONE)
    fill_form(client)
    pay_application_fees(client)
    assert_in_language(client.get(f"{APPLY}?lang={language}").content.decode(), language, "apply")
    check = client.get(f"{APPLY}check-answers/?lang={language}").content.decode()
    assert_in_language(check, language, "check")
    # The account page follows the language switch as well as ?lang=.
    client.post("/language/", {"language": language, "next": "/account/applications/"})
    assert_in_language(client.get("/account/applications/").content.decode(), language, "account")


@pytest.mark.parametrize("language", ["bn", "ko"])
def test_the_staff_case_page_is_in_the_chosen_language(officers: dict[str, User], language: str) -> None:
    application = file_application()
    desk = staff_client(officers["ac_land"])
    html = desk.get(f"/staff/cases/{application.reference}/?lang={language}").content.decode()
    assert_in_language(html, language, "case")


@pytest.mark.parametrize("language", ["bn", "ko"])
def test_the_tariff_page_is_in_the_chosen_language(client: Client, language: str) -> None:
    citizen_sign_in(client, PHONE)
    html = client.get(f"/entitlements/mine/?lang={language}").content.decode()
    assert_in_language(html, language, "mine")


def test_the_pages_stay_in_english_when_english_is_chosen(client: Client) -> None:
    citizen_sign_in(client, PHONE)
    fill_form(client)
    pay_application_fees(client)
    check = client.get(f"{APPLY}check-answers/?lang=en").content.decode()
    assert '<html lang="en">' in check and "Accept and submit the application" in check
    assert "Your social energy tariff" in client.get("/entitlements/mine/?lang=en").content.decode()
