"""Contesting: an ended tariff -> a review case -> the link fixed by hand -> the entitlement back-dated."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from govreach.accounts.access import SESSION_STAFF_VERIFIED
from govreach.accounts.models import StaffAssignment
from govreach.cases.models import Decision
from govreach.entitlements.contest import LINK_PROBLEMS
from govreach.entitlements.models import Entitlement, EntitlementReview, LinkCorrection
from govreach.entitlements.selectors import cycle_mismatches
from govreach.notify.models import OutboxMessage
from govreach.registry.models import Area

from .conftest import edit_registry
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


def _reviewer(area: Area) -> Client:
    user = User.objects.create_user(username=f"reviewer-{area.code}")
    StaffAssignment.objects.create(
        user=user, pack_id=PACK, role="tariff_reviewer", area=area, starts_on=timezone.localdate()
    )
    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_STAFF_VERIFIED] = True
    session.save()
    return client


def test_a_contested_end_is_reviewed_the_link_fixed_and_the_tariff_back_dated(registries: Path) -> None:
    setup_pack_and_areas(registries)
    cycle = first_cycle(registries)
    (entitlement,) = granted_with_holder(cycle, registries, count=1)
    person = holder_person(entitlement, registries, phone="+351910000031", language="en")
    notify(cycle)
    household = entitlement.household_key
    # The supplier sends a wrong contracted power and re-keys the address: the tariff ends.
    code = entitlement.supply_point_code
    edit_registry(
        registries,
        "electricity_customers",
        f"SELECT * REPLACE (CASE WHEN cpe = '{code}' THEN 9.9 ELSE power_kva END AS power_kva, "
        f"CASE WHEN cpe = '{code}' THEN 'Rua Desconhecida 999, 1º' ELSE address END AS address) FROM src",
    )
    second = first_cycle(registries, SECOND_ON)
    notify(second)
    entitlement.refresh_from_db()
    assert entitlement.status == "ended"
    account = citizen_for(person, "+351910000031", "en")
    citizen = signed_in(account)

    page = citizen.get("/entitlements/mine/").content.decode()
    assert "Contest this decision" in page
    response = citizen.post(
        "/entitlements/contest/",
        {"supply_point": entitlement.supply_point_code, "grounds": "My address is recorded wrongly."},
    )
    assert response.status_code == 200
    review = EntitlementReview.objects.get()
    assert review.application.state == "submitted" and review.entitlement == entitlement
    assert OutboxMessage.objects.filter(message_id="review_received", recipient="+351910000031").exists()

    district = Area.objects.get(code=entitlement.area_code[:5])
    other = Area.objects.filter(level="district").exclude(pk=district.pk).first()
    assert other is not None
    assert _reviewer(other).get(f"/entitlements/reviews/{review.pk}/").status_code == 404
    reviewer = _reviewer(district)
    assert entitlement.supply_point_code in reviewer.get(f"/entitlements/{PACK}/reviews/").content.decode()

    url = f"/entitlements/reviews/{review.pk}/"
    # The reviewer sees what the cycle found wrong when linking it (from the cycle's store): the
    # re-keyed address among it.
    review_page = reviewer.get(url).content.decode()
    kinds = [m["kind"] for m in cycle_mismatches(second, supply_point_code=code)]
    assert {"address_mismatch", "no_address_match"} & set(kinds)
    for kind in kinds:
        assert escape(str(LINK_PROBLEMS[kind])) in review_page
    assert str(LINK_PROBLEMS["duplicate_supply_point"]) not in review_page
    assert reviewer.post(url, {"action": "start_review"}).status_code == 302
    bad = reviewer.post(url, {"action": "link", "household_key": "NOPE", "reason": "x"})
    assert bad.status_code == 422
    assert (
        reviewer.post(
            url, {"action": "link", "household_key": household, "reason": "Old street name"}
        ).status_code
        == 302
    )
    fixed = LinkCorrection.objects.get()
    assert fixed.household_key == household and fixed.corrected_by.username == "reviewer-" + district.code
    eligible_from = entitlement.valid_to + dt.timedelta(days=1)  # type: ignore[operator]
    done = reviewer.post(
        url,
        {
            "action": "correct",
            "reason": "The address was re-keyed by the supplier.",
            "eligible_from": eligible_from,
        },
    )
    assert done.status_code == 302

    review.refresh_from_db()
    assert review.outcome == "corrected" and review.application.state == "decided"
    assert Decision.objects.get(application=review.application).outcome == "approved"
    given_back = Entitlement.objects.get(unit_key=entitlement.unit_key, status="active")
    assert given_back.valid_from == eligible_from and given_back.is_back_dated
    assert given_back.household_key == household
    assert given_back.back_dated_days == (timezone.localdate() - eligible_from).days > 0
    back = OutboxMessage.objects.get(message_id="entitlement_back_dated")
    assert str(given_back.back_dated_days) in back.body
    assert (
        f"back-dated by {given_back.back_dated_days} days"
        in citizen.get("/entitlements/mine/").content.decode()
    )


def test_an_upheld_review_changes_no_entitlement_and_only_reviewers_decide(registries: Path) -> None:
    setup_pack_and_areas(registries)
    cycle = first_cycle(registries)
    (entitlement,) = granted_with_holder(cycle, registries, count=1)
    person = holder_person(entitlement, registries, phone="+351910000032", language="pt")
    notify(cycle)
    edit_registry(
        registries,
        "electricity_customers",
        f"SELECT * REPLACE (CASE WHEN cpe = '{entitlement.supply_point_code}' THEN 9.9 ELSE power_kva END "
        "AS power_kva) FROM src",
    )
    first_cycle(registries, SECOND_ON)
    citizen = signed_in(citizen_for(person, "+351910000032", "pt"))
    citizen.post("/entitlements/contest/", {"supply_point": entitlement.supply_point_code, "grounds": "Erro"})
    review = EntitlementReview.objects.get()
    url = f"/entitlements/reviews/{review.pk}/"

    assert citizen.post(url, {"action": "start_review"}).status_code == 302  # to the staff login
    reviewer = _reviewer(Area.objects.get(code="PT"))
    reviewer.post(url, {"action": "start_review"})
    reviewer.post(url, {"action": "uphold", "reason": "A potência contratada é 9,9 kVA."})

    review.refresh_from_db()
    assert review.outcome == "upheld" and not Entitlement.objects.filter(
        status="active", unit_key=entitlement.unit_key
    )
    assert "9,9 kVA" in OutboxMessage.objects.get(message_id="review_decided").body
