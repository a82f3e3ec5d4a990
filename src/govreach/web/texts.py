"""The words of the public pages themselves (the services' words come from their packs).

The English words are gettext message ids: their translations live in the interface catalogues
(``src/govreach/locale/<lang>/LC_MESSAGES/django.po``, see ``scripts/messages.py``), so a missing
translation fails ``tests/i18n/test_completeness.py`` rather than silently showing English.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

UI: dict[str, Promise] = {
    "skip": _("Skip to the content"),
    "home": _("GovReach home: all services"),
    "languages": _("Languages"),
    "catalogue_title": _("Public services"),
    "catalogue_intro": _(
        "The services this GovReach runs. Each page says who is entitled, on what legal basis, "
        "and which facts a decision needs."
    ),
    "no_services": _("No service is loaded yet. Load one with: govreach packs load packs/"),
    "kind": _("Type of service"),
    "country": _("Country"),
    "decides_on": _("Decides on"),
    "owner": _("Run by"),
    "version": _("Version"),
    "legal_basis": _("Legal basis"),
    "from": _("from"),
    "more": _("Who is entitled, and why"),
    "for_developers": _("For developers"),
    "api_docs": _("API documentation"),
    "openapi": _("OpenAPI document (JSON)"),
    "entitled": _("Who is entitled"),
    "main_decision": _("the service's answer"),
    "all_of": _("All of these:"),
    "any_of": _("At least one of these:"),
    "rule": _("Rule"),
    "law": _("Law"),
    "parameters": _("Limits and amounts in force on {date}"),
    "not_in_force": _("not in force on this date"),
    "since": _("since"),
    "inputs": _("Facts a decision needs"),
    "inputs_household": _("About the household:"),
    "inputs_person": _("About the person:"),
    "member_inputs": _("About each member of the household:"),
    "type": _("Type"),
    "unit": _("Unit"),
    "allowed": _("one of"),
    "ask": _("Ask for a decision"),
    "ask_intro": _("Software can ask for a decision, with its full explanation, by sending these facts to:"),
    "detail_json": _("This service as JSON"),
    "unavailable": _("This service is temporarily unavailable. Please try again later."),
    "application": _("Apply for it"),
    "proactive": _("Given automatically, without applying"),
    "outreach": _("Outreach: we come to you"),
    "programme": _("Programme with limited places"),
    "household": _("a household"),
    "person": _("a person"),
    "footer": _("GovReach: public services declared once, decided with an explanation."),
}

# The words for the cases' own codes, shown to citizens and officers in the page's language.
DECISION_OUTCOMES: dict[str, Promise] = {"approved": _("Approved"), "rejected": _("Rejected")}
PAYMENT_STATUSES: dict[str, Promise] = {"pending": _("Pending"), "paid": _("Paid"), "failed": _("Failed")}

COUNTRIES: dict[str, Promise] = {
    "PT": _("Portugal"),
    "BD": _("Bangladesh"),
    "KR": _("Republic of Korea"),
    "BR": _("Brazil"),
}


def _has_page_words(language: str) -> bool:
    """Whether the interface catalogue of ``language`` translates the page frame (English always does)."""
    if language.split("-")[0] == "en":
        return True
    with translation.override("en"):
        english = [str(text) for text in UI.values()]
    with translation.override(language):
        return all(str(text) != source for text, source in zip(UI.values(), english, strict=True))


def ui_language(language: str) -> str:
    """The language of the page's words: ``language`` (or its base) if its catalogue has them, else English.

    A language listed in settings.LANGUAGES whose catalogue is not complete yet falls back to English,
    so the page's ``lang`` attribute never claims words are Korean when they are English.
    """
    codes = {code.lower(): code for code, _name in settings.LANGUAGES}
    wanted = language.lower()
    for candidate in (wanted, wanted.split("-")[0]):
        if candidate in codes and _has_page_words(codes[candidate]):
            return language if candidate == wanted else codes[candidate]
    return "en"


def ui_texts(language: str) -> dict[str, str]:
    """Every word of the page frame in ``language``, translated now (a template may render later)."""
    with translation.override(ui_language(language)):
        return {key: str(text) for key, text in UI.items()}


def country_name(code: str, language: str) -> str:
    text = COUNTRIES.get(code)
    if text is None:
        return code
    with translation.override(ui_language(language)):
        return str(text)
