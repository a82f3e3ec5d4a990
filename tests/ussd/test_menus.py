"""Each menu end to end through the gateway: status, eligibility (PT tariff), refusal, language."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.utils import timezone

from govreach.accounts.services import citizen_account_get_or_create
from govreach.cases.models import Application
from govreach.catalogue.models import ServicePack
from govreach.entitlements.models import Entitlement
from govreach.notify.models import OutboxMessage

from .conftest import (
    HOLDER_PHONE,
    OTHER_PHONE,
    PT_PACK,
    REFERENCE,
    SUPPLY_POINTS,
    TRACKING_CODE,
    UK_PHONE,
    Gateway,
)

pytestmark = pytest.mark.django_db

# The PT pack's phone questions, in order: own name, domestic, permanent home (1 Yes / 2 No),
# voltage (1 BTN / 2 BTE / 3 MT), contracted power in kVA, household income in EUR.
START = "2*1*1"  # eligibility, the only service, start


def test_status_with_reference_and_tracking_code_shows_the_stage_and_dates(
    gateway: Gateway, application: Application
) -> None:
    ask_reference = gateway.reply("1")
    ask_code = gateway.reply(f"1*{REFERENCE}")
    result = gateway.reply(f"1*{REFERENCE}*{TRACKING_CODE.lower()}")

    today = timezone.localdate().strftime("%d/%m/%Y")
    assert ask_reference.startswith("CON Type your application reference")
    assert ask_code.startswith("CON Type the 8-character tracking code")
    assert result.startswith(f"END {REFERENCE}: Application received since {today}.")
    assert "Decision due by" in result


def test_status_accepts_the_reference_as_digits_only(gateway: Gateway, application: Application) -> None:
    result = gateway.reply(f"1*2026123*{TRACKING_CODE}")

    assert result.startswith(f"END {REFERENCE}: Application received")


def test_status_with_a_wrong_code_reveals_nothing(gateway: Gateway, application: Application) -> None:
    wrong_code = gateway.reply(f"1*{REFERENCE}*ZZZZ9999")
    wrong_reference = gateway.reply(f"1*BD-2026-999999*{TRACKING_CODE}", session="other")

    assert wrong_code == wrong_reference
    assert wrong_code.startswith("END We found no application")


def test_status_in_bengali_for_a_bangladeshi_number(gateway: Gateway, application: Application) -> None:
    result = gateway.reply(f"1*{REFERENCE}*{TRACKING_CODE}", phone="+8801712345678")

    assert result.startswith(f"END {REFERENCE}: ") and "আবেদন জমা হয়েছে" in result


def test_eligibility_lists_services_and_asks_yes_no_and_numbers_then_says_yes_with_a_reason(
    gateway: Gateway, load_packs: Callable[..., list[ServicePack]]
) -> None:
    load_packs(PT_PACK)

    services = gateway.reply("2")
    intro = gateway.reply("2*1")
    first = gateway.reply(START)
    voltage = gateway.reply(f"{START}*1*1*1")
    power = gateway.reply(f"{START}*1*1*1*1")
    income = gateway.reply(f"{START}*1*1*1*1*3")
    result = gateway.reply(f"{START}*1*1*1*1*3*4000")

    assert services.startswith("CON Check if you qualify for:\n1 ") and "\n0 Back" in services
    assert intro.startswith("CON ") and "6 questions" in intro and "2 facts cannot be asked by phone" in intro
    assert first == "CON 1/6 Contract in the customer's own name\n1 Yes\n2 No\n0 Back"
    assert voltage.startswith("CON 4/6 Voltage level") and "\n1 BTN\n2 BTE\n3 MT\n0 Back" in voltage
    assert power == "CON 5/6 Contracted power (kVA)\nType a whole number."
    assert income.startswith("CON 6/6 Annual household income (EUR)")
    assert result.startswith("END You are likely to qualify for Electricity social tariff.")
    assert "The contract is in your name." in result


def test_eligibility_says_no_with_the_first_failing_reason(
    gateway: Gateway, load_packs: Callable[..., list[ServicePack]]
) -> None:
    load_packs(PT_PACK)

    result = gateway.reply(f"{START}*2*1*1*1*3*4000")

    assert result.startswith("END You are likely not to qualify for Electricity social tariff.")
    assert "The contract is not in your name." in result


def test_eligibility_is_unsure_when_only_an_unasked_fact_could_make_it_yes(
    gateway: Gateway, load_packs: Callable[..., list[ServicePack]]
) -> None:
    load_packs(PT_PACK)

    # Income above the limit: a member's benefit (which a phone cannot ask) could still qualify them.
    result = gateway.reply(f"{START}*1*1*1*1*3*900000")

    assert result.startswith("END We cannot tell yet if you qualify")
    assert "900000" in result and "Ask at an office" in result


def test_an_answer_that_does_not_fit_keeps_the_question_and_says_so(
    gateway: Gateway, load_packs: Callable[..., list[ServicePack]]
) -> None:
    load_packs(PT_PACK)

    not_yes_no = gateway.reply(f"{START}*7")
    not_a_number = gateway.reply(f"{START}*1*1*1*1*3.5")
    back = gateway.reply(f"{START}*1*0")

    assert not_yes_no.startswith("CON Not a valid choice. 1/6 ")
    assert not_a_number.startswith("CON Not a valid choice. 5/6 ")
    assert back.startswith("CON 1/6 ")


def test_the_holder_refuses_one_tariff_after_confirming_with_1(
    gateway: Gateway, entitlements: list[Entitlement]
) -> None:
    listed = gateway.reply("3", phone=HOLDER_PHONE)
    confirm = gateway.reply("3*2", phone=HOLDER_PHONE)
    entitlements[1].refresh_from_db()
    assert entitlements[1].status == "active"  # asking is not refusing

    done = gateway.reply("3*2*1", phone=HOLDER_PHONE)

    assert listed.startswith("CON Recusar a tarifa de:\n1 ")  # the holder's registry language
    assert listed.splitlines()[1].endswith("...78AB") and listed.splitlines()[2].endswith("...21CD")
    assert (
        confirm.startswith("CON Recusar ") and "...21CD" in confirm and "\n1 Confirmar\n0 Voltar" in confirm
    )
    assert done.startswith("END A sua recusa") and "...21CD" in done
    entitlements[1].refresh_from_db()
    entitlements[0].refresh_from_db()
    assert entitlements[1].status == "refused" and entitlements[1].refusal_channel == "ussd"
    assert entitlements[0].status == "active"
    notice = OutboxMessage.objects.get(message_id="entitlement_refused")
    assert notice.recipient == HOLDER_PHONE and SUPPLY_POINTS[1] in notice.body


def test_another_phone_sees_no_tariff_and_cannot_refuse(
    gateway: Gateway, entitlements: list[Entitlement]
) -> None:
    body = gateway.reply("3*1*1", phone=OTHER_PHONE)

    assert body.startswith("END Não encontrámos nenhuma tarifa ativa")  # +351: Portuguese
    assert not Entitlement.objects.filter(status="refused").exists()


def test_the_language_menu_switches_every_following_screen(gateway: Gateway) -> None:
    menu = gateway.reply("0")
    korean = gateway.reply("0*5")
    status_in_korean = gateway.reply("0*5*1")

    assert menu.splitlines()[1:] == [
        "1 English",
        "2 Português",
        "3 Português (Brasil)",
        "4 বাংলা",
        "5 한국어",
        "0 Back",
    ]
    assert korean.startswith("CON GovReach\n1 신청 진행 상황")
    assert status_in_korean.startswith("CON 신청 번호를 입력하세요")


def test_a_known_citizen_gets_their_preferred_language(gateway: Gateway) -> None:
    citizen_account_get_or_create(phone=UK_PHONE, language="pt-br")

    assert gateway.reply("").startswith("CON GovReach\n1 Situação do pedido")


def test_the_service_codes_country_sets_the_language_of_an_unknown_caller(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVREACH_USSD_SERVICE_CODES", "*384*1#=PT,*384*2#=BD")

    assert gateway.reply("", code="*384*2#").startswith("CON GovReach\n1 আবেদনের অবস্থা")
    assert gateway.reply("", code="*384*1#", session="s2").startswith("CON GovReach\n1 Estado do pedido")
