"""Keeping control: the contract holder refuses the tariff on the web, by SMS reply or at a counter.

Every route ends in ``services.entitlement_refuse``, which makes the refusal final: no later cycle
overturns it (Lei 7-A/2016, art. 121). The holder is told that the refusal is recorded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from govreach.accounts.models import CitizenAccount, StaffAssignment
from govreach.accounts.selectors import staff_can_act
from govreach.entitlements.models import Entitlement, EntitlementPerson
from govreach.entitlements.notifications import notice_send, public_url
from govreach.entitlements.services import entitlement_refuse
from govreach.registry.models import Area, Person

REFUSAL_WORDS = ("RECUSAR", "RECUSO", "STOP")
COUNTER_ROLES = ("tariff_counter", "tariff_reviewer", "tariff_reviewer_national")
_CPE = re.compile(r"PT[0-9]{16}[A-Z]{2}")


class RefusalNotAllowed(PermissionError):
    """The person asking is not the contract holder of this entitlement, or may not act for them."""


def entitlement_list_for_person(person: Person | None) -> QuerySet[Entitlement]:
    """Entitlements that concern ``person`` (as contract holder or household member), newest first."""
    if person is None or not person.national_id:
        return Entitlement.objects.none()
    return (
        Entitlement.objects.filter(people__national_id=person.national_id)
        .select_related("granted_in", "ended_in")
        .distinct()
        .order_by("-valid_from", "-pk")
    )


def entitlement_list_for_citizen(account: CitizenAccount | None) -> QuerySet[Entitlement]:
    return entitlement_list_for_person(account.person if account is not None else None)


def is_contract_holder(entitlement: Entitlement, person: Person | None) -> bool:
    if person is None or not person.national_id:
        return False
    return EntitlementPerson.objects.filter(
        entitlement=entitlement, national_id=person.national_id, is_contract_holder=True
    ).exists()


def _confirm(entitlement: Entitlement) -> None:
    refused_on = (
        timezone.localdate(entitlement.refused_at) if entitlement.refused_at else timezone.localdate()
    )
    from django.urls import reverse

    notice_send(
        entitlement=entitlement,
        message_id="entitlement_refused",
        context={
            "supply_point": entitlement.supply_point_code,
            "date": refused_on.isoformat(),
            "contest_url": public_url(reverse("entitlements:mine")),
        },
        key=f"entitlements:{entitlement.pk}:refused",
    )


@transaction.atomic
def entitlement_refuse_by_citizen(*, entitlement: Entitlement, account: CitizenAccount) -> Entitlement:
    """The signed-in contract holder refuses on the web (after the confirmation step)."""
    if not is_contract_holder(entitlement, account.person):
        raise RefusalNotAllowed("only the contract holder may refuse this tariff")
    refused = entitlement_refuse(entitlement=entitlement, channel="web")
    _confirm(refused)
    return refused


def staff_may_refuse_at_counter(user: Any, entitlement: Entitlement) -> bool:
    area = Area.objects.filter(code=entitlement.area_code).first()
    return area is not None and staff_can_act(
        user, pack_id=entitlement.pack_id, roles=COUNTER_ROLES, area=area
    )


@transaction.atomic
def entitlement_refuse_at_counter(*, entitlement: Entitlement, by_user: Any) -> Entitlement:
    """Counter staff record the holder's refusal (the holder is in front of them, with an identity card)."""
    if not staff_may_refuse_at_counter(by_user, entitlement):
        raise RefusalNotAllowed("you have no counter role for this supply point's area")
    refused = entitlement_refuse(entitlement=entitlement, channel="counter")
    _confirm(refused)
    return refused


@dataclass(frozen=True)
class SmsRefusal:
    """What an SMS reply did: ``status`` is refused, not_a_refusal, unknown_phone, no_entitlement or
    which_one (several supply points: the reply must name the code)."""

    status: str
    refused: list[Entitlement] = field(default_factory=list)


def _persons_with_phone(phone: str) -> list[Person]:
    by_account = Person.objects.filter(citizen_accounts__phone=phone)
    return list(Person.objects.filter(Q(phone=phone) | Q(pk__in=by_account.values("pk"))).distinct())


@transaction.atomic
def entitlement_refuse_by_sms(phone: str, text: str) -> SmsRefusal:
    """An SMS reply 'RECUSAR' or 'STOP' (optionally with the supply-point code) from the holder's phone.

    To be wired to the SMS gateway's inbound messages. The phone must be the holder's (citizen account or
    registry); with several active entitlements the reply must name the supply point.
    """
    words = text.strip().upper().split()
    if not words or words[0].strip(".!") not in REFUSAL_WORDS:
        return SmsRefusal("not_a_refusal")
    persons = _persons_with_phone(phone.strip())
    nifs = [p.national_id for p in persons if p.national_id]
    if not nifs:
        return SmsRefusal("unknown_phone")
    active = Entitlement.objects.filter(
        status=Entitlement.Status.ACTIVE, people__national_id__in=nifs, people__is_contract_holder=True
    ).distinct()
    named = _CPE.findall(text.upper())
    if named:
        active = active.filter(supply_point_code__in=named)
    found = list(active.order_by("pk"))
    if not found:
        return SmsRefusal("no_entitlement")
    if len(found) > 1:
        return SmsRefusal("which_one")
    refused = entitlement_refuse(entitlement=found[0], channel="sms")
    _confirm(refused)
    return SmsRefusal("refused", [refused])


def counter_roles_of(user: Any, pack_id: str) -> list[StaffAssignment]:
    return list(StaffAssignment.objects.filter(user_id=user.pk, pack_id=pack_id, role__in=COUNTER_ROLES))
