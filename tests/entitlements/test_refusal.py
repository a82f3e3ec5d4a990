"""Keeping control: refusal on the web, by SMS reply or at a counter, never overturned by a later cycle."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from govreach.accounts.access import SESSION_STAFF_VERIFIED
from govreach.accounts.models import StaffAssignment
from govreach.entitlements.models import Entitlement
from govreach.entitlements.refusals import entitlement_refuse_by_sms
from govreach.entitlements.selectors import cycle_outcome
from govreach.notify.models import OutboxMessage
from govreach.registry.models import Area

from .helpers import (
    PACK,
    SECOND_ON,
    citizen_for,
    first_cycle,
    granted_with_holder,
    holder_person,
    notify,
    setup_pack_and_areas,
    signed_in,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def granted(registries: Path) -> list[Entitlement]:
    setup_pack_and_areas(registries)
    cycle = first_cycle(registries)
    found = granted_with_holder(cycle, registries, count=3)
    for i, e in enumerate(found):
        holder_person(e, registries, phone=f"+35191000002{i}", language="en")
    notify(cycle)
    return found


def _kept_after_next_cycle(registries: Path, entitlement: Entitlement, channel: str) -> None:
    second = first_cycle(registries, SECOND_ON)
    entitlement.refresh_from_db()
    assert entitlement.status == "refused" and entitlement.refusal_channel == channel
    assert (cycle_outcome(second, entitlement.unit_key) or {}).get("outcome") == "refused_kept"
    assert not Entitlement.objects.filter(unit_key=entitlement.unit_key, status="active").exists()


def test_the_holder_sees_the_reason_and_refuses_on_the_web_after_confirming(
    registries: Path, granted: list[Entitlement]
) -> None:
    entitlement = granted[0]
    account = citizen_for(entitlement.people.get(is_contract_holder=True).person, "+351910000020", "en")  # type: ignore[arg-type]
    client = signed_in(account)

    page = client.get("/entitlements/mine/").content.decode()
    assert (
        entitlement.supply_point_code in page
        and "Why you are entitled" in page
        and "Refuse the tariff" in page
    )
    confirm = client.get(f"/entitlements/{entitlement.pk}/refuse/")
    assert confirm.status_code == 200 and "Refusing is final" in confirm.content.decode()
    entitlement.refresh_from_db()
    assert entitlement.status == "active"  # asking is not refusing

    done = client.post(f"/entitlements/{entitlement.pk}/refuse/", {"confirm": "yes"})

    assert done.status_code == 302
    assert OutboxMessage.objects.filter(message_id="entitlement_refused", recipient="+351910000020").exists()
    _kept_after_next_cycle(registries, entitlement, "web")


def test_anonymous_visitors_and_other_citizens_cannot_refuse(
    registries: Path, granted: list[Entitlement]
) -> None:
    entitlement = granted[0]
    other = citizen_for(granted[1].people.get(is_contract_holder=True).person, "+351910000021", "en")  # type: ignore[arg-type]

    anonymous = Client().post(f"/entitlements/{entitlement.pk}/refuse/", {"confirm": "yes"})
    stranger = signed_in(other).post(f"/entitlements/{entitlement.pk}/refuse/", {"confirm": "yes"})

    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    assert stranger.status_code == 404
    entitlement.refresh_from_db()
    assert entitlement.status == "active"


def test_an_sms_reply_recusar_from_the_holders_phone_refuses(
    registries: Path, granted: list[Entitlement]
) -> None:
    entitlement = granted[1]

    assert entitlement_refuse_by_sms("+351910000099", "RECUSAR").status == "unknown_phone"
    assert entitlement_refuse_by_sms("+351910000021", "obrigado").status == "not_a_refusal"
    outcome = entitlement_refuse_by_sms("+351910000021", " recusar ")

    assert outcome.status == "refused" and outcome.refused[0].pk == entitlement.pk
    _kept_after_next_cycle(registries, entitlement, "sms")


def test_counter_staff_record_a_refusal_for_their_area_only(
    registries: Path, granted: list[Entitlement]
) -> None:
    entitlement = granted[2]
    area = Area.objects.get(code=entitlement.area_code)
    municipality = Area.objects.get(code=entitlement.area_code[:7])
    elsewhere = Area.objects.filter(level="municipality").exclude(pk=municipality.pk).first()
    assert elsewhere is not None and area.parent_id == municipality.pk

    def staff(username: str, on: Area) -> Client:
        user = User.objects.create_user(username=username)
        StaffAssignment.objects.create(
            user=user, pack_id=PACK, role="tariff_counter", area=on, starts_on=timezone.localdate()
        )
        client = Client()
        client.force_login(user)
        session = client.session
        session[SESSION_STAFF_VERIFIED] = True
        session.save()
        return client

    url = f"/entitlements/{PACK}/counter/"
    form = {"supply_point": entitlement.supply_point_code, "confirm": "yes"}
    assert staff("far", elsewhere).post(url, form).status_code == 403
    response = staff("near", municipality).post(url, form)

    assert response.status_code == 200 and "The refusal is recorded" in response.content.decode()
    _kept_after_next_cycle(registries, entitlement, "counter")
