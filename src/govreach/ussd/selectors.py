"""Reads for the phone channels: the caller's language, the services a keypad can answer, an
application's public status from a reference typed on a keypad, and the caller's entitlements."""

from __future__ import annotations

import re

from django.db.models import Q, QuerySet

from govreach.accounts.models import CitizenAccount
from govreach.cases.selectors import PublicStatus, application_status_public
from govreach.catalogue.models import ServicePack
from govreach.catalogue.selectors import ServicePackUnavailable, pack_for, service_pack_list
from govreach.entitlements.models import Entitlement, EntitlementPerson
from govreach.registry.models import Person
from govreach.ussd.conf import service_code_countries
from govreach.ussd.questions import Questionnaire, questionnaire_for
from govreach.ussd.texts import COUNTRY_LANGUAGES, DEFAULT_LANGUAGE, country_of_phone, language_canonical

_FULL_REFERENCE = re.compile(r"^([A-Z]{2})-?([0-9]{4})-?([0-9]{1,6})$")
_DIGITS_REFERENCE = re.compile(r"^([0-9]{4})([0-9]{1,6})$")


def language_for_phone(phone: str, *, service_code: str = "") -> str:
    """The caller's language: their account's, else the registry's, else the service code's country's,
    else their number's country's, else English."""
    account = CitizenAccount.objects.filter(phone=phone).only("preferred_language").first()
    person = Person.objects.filter(phone=phone).exclude(preferred_language="").order_by("pk").first()
    country = service_code_countries().get(service_code.strip()) or country_of_phone(phone)
    for candidate in (
        account.preferred_language if account else None,
        person.preferred_language if person else None,
        COUNTRY_LANGUAGES.get(country or ""),
    ):
        language = language_canonical(candidate)
        if language:
            return language
    return DEFAULT_LANGUAGE


def questionnaire_for_service(service_pack: ServicePack) -> Questionnaire | None:
    """The phone questions of an active pack, or None when its files are unavailable."""
    try:
        pack = pack_for(service_pack)
    except ServicePackUnavailable:
        return None
    return questionnaire_for(pack.id, pack.ruleset)


def ussd_service_list() -> list[ServicePack]:
    """Active services with at least one eligibility question a keypad can answer, by pack id."""
    found = []
    for service_pack in service_pack_list():
        questionnaire = questionnaire_for_service(service_pack)
        if questionnaire is not None and questionnaire.questions:
            found.append(service_pack)
    return found


def reference_candidates(raw: str) -> list[str]:
    """The references a keypad entry may mean: ``BD-2026-000123`` as typed, or ``2026000123``/``2026123``
    under each country GovReach serves (the tracking code then tells which one, if any, is meant)."""
    cleaned = raw.strip().upper().replace(" ", "")
    full = _FULL_REFERENCE.match(cleaned)
    if full:
        return [f"{full.group(1)}-{full.group(2)}-{int(full.group(3)):06d}"]
    digits = _DIGITS_REFERENCE.match(cleaned)
    if digits:
        countries = sorted(set(service_pack_list().values_list("country", flat=True)))
        return [f"{c}-{digits.group(1)}-{int(digits.group(2)):06d}" for c in countries]
    return [cleaned] if cleaned else []


def application_status_by_keypad(reference: str, secret: str, *, language: str) -> PublicStatus | None:
    """The public status for a reference as typed on a phone and the tracking code; None when wrong."""
    for candidate in reference_candidates(reference):
        status = application_status_public(candidate, secret, language=language)
        if status is not None:
            return status
    return None


def _national_ids_of_phone(phone: str) -> list[str]:
    by_account = Person.objects.filter(citizen_accounts__phone=phone)
    persons = Person.objects.filter(Q(phone=phone) | Q(pk__in=by_account.values("pk")))
    return [nid for nid in persons.values_list("national_id", flat=True).distinct() if nid]


def entitlement_list_for_phone(phone: str) -> QuerySet[Entitlement]:
    """Active entitlements whose contract holder has this phone (citizen account or registry), oldest
    first: the order a USSD list shows them in."""
    national_ids = _national_ids_of_phone(phone)
    if not national_ids:
        return Entitlement.objects.none()
    return (
        Entitlement.objects.filter(
            status=Entitlement.Status.ACTIVE,
            people__national_id__in=national_ids,
            people__is_contract_holder=True,
        )
        .distinct()
        .order_by("pk")
    )


def is_contract_holder_phone(entitlement: Entitlement, phone: str) -> bool:
    """Whether ``phone`` belongs to the contract holder of ``entitlement`` (who alone may refuse it)."""
    national_ids = _national_ids_of_phone(phone)
    return (
        bool(national_ids)
        and EntitlementPerson.objects.filter(
            entitlement=entitlement, national_id__in=national_ids, is_contract_holder=True
        ).exists()
    )
