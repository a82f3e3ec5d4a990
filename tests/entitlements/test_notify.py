"""People are told: grant and end notices in the holder's language, with the reasons and their rights."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from govreach.entitlements.letters import letter_pdf
from govreach.entitlements.models import ContactPreference, EntitlementPerson
from govreach.notify.models import OutboxMessage

from .conftest import edit_registry
from .helpers import SECOND_ON, first_cycle, granted_with_holder, holder_person, notify, setup_pack_and_areas

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready(registries: Path) -> Path:
    setup_pack_and_areas(registries)
    return registries


def test_new_beneficiaries_get_an_sms_in_their_language_with_the_reason_and_30_days_to_refuse(
    ready: Path,
) -> None:
    cycle = first_cycle(ready)
    pt, en = granted_with_holder(cycle, ready)
    holder_person(pt, ready, phone="+351910000011", language="pt")
    holder_person(en, ready, phone="+351910000012", language="en")

    result = notify(cycle)

    assert result.granted >= 2
    sms_pt = OutboxMessage.objects.get(recipient="+351910000011", message_id="entitlement_granted")
    sms_en = OutboxMessage.objects.get(recipient="+351910000012", message_id="entitlement_granted")
    assert sms_pt.language == "pt" and sms_en.language == "en"
    assert "RECUSAR" in sms_pt.body and "Porquê:" in sms_pt.body and pt.supply_point_code in sms_pt.body
    assert "2025-01-31" in sms_pt.body  # 30 days from the notice
    assert "Why:" in sms_en.body and "STOP" in sms_en.body
    assert any(s in sms_en.body for s in ("social benefit", "income"))
    assert EntitlementPerson.objects.filter(
        entitlement=pt, is_contract_holder=True, person__isnull=False
    ).exists()


def test_notify_is_idempotent(ready: Path) -> None:
    cycle = first_cycle(ready)
    first = notify(cycle)
    count = OutboxMessage.objects.count()

    again = notify(cycle)

    assert OutboxMessage.objects.count() == count
    assert again.granted == 0
    assert again.already_sent == first.granted + first.ended


def test_a_holder_who_prefers_letters_gets_a_pdf_letter_with_the_reasons_and_the_right_to_refuse(
    ready: Path,
) -> None:
    cycle = first_cycle(ready)
    (entitlement,) = granted_with_holder(cycle, ready, count=1)
    person = holder_person(entitlement, ready, phone="", language="en")
    ContactPreference.objects.create(person=person, channel="letter")

    notify(cycle)

    letter = OutboxMessage.objects.get(
        channel="letter", message_id="entitlement_granted", body__contains=entitlement.supply_point_code
    )
    assert person.address in letter.recipient
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(letter_pdf(letter))).pages)
    assert "Why you are entitled" in text
    assert any(s in text for s in ("qualifies", "within the limit"))
    assert "30 days" in text and "RECUSAR" in text and entitlement.supply_point_code in text


def test_an_ended_entitlement_is_announced_with_the_reason_and_how_to_contest(ready: Path) -> None:
    cycle = first_cycle(ready)
    (entitlement,) = granted_with_holder(cycle, ready, count=1)
    holder_person(entitlement, ready, phone="+351910000013", language="en")
    notify(cycle)
    edit_registry(
        ready,
        "electricity_customers",
        f"SELECT * REPLACE (CASE WHEN cpe = '{entitlement.supply_point_code}' THEN 9.9 ELSE power_kva END "
        "AS power_kva) FROM src",
    )

    second = first_cycle(ready, SECOND_ON)
    result = notify(second)

    assert result.ended >= 1
    ended = OutboxMessage.objects.get(recipient="+351910000013", message_id="entitlement_ended")
    assert "above the limit" in ended.body or "power" in ended.body.lower()
    assert "contest" in ended.body and "/entitlements/mine/" in ended.body
    assert "2025-01-31" in ended.body  # the day before the cycle that ended it


def test_the_portuguese_end_notice_speaks_portuguese(ready: Path) -> None:
    cycle = first_cycle(ready)
    (entitlement,) = granted_with_holder(cycle, ready, count=1)
    holder_person(entitlement, ready, phone="+351910000014", language="pt")
    notify(cycle)  # after every cycle: also keeps the customers it decided
    edit_registry(
        ready,
        "electricity_customers",
        f"SELECT * FROM src WHERE cpe <> '{entitlement.supply_point_code}'",
    )
    second = first_cycle(ready, SECOND_ON)

    notify(second)

    ended = OutboxMessage.objects.get(recipient="+351910000014", message_id="entitlement_ended")
    assert "deixou de indicar este ponto de entrega" in ended.body and "conteste" in ended.body
