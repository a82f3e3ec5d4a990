"""Public pages: the catalogue of services and one page per service. Server-rendered, no JavaScript."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.html import format_html
from django.views import i18n
from django.views.decorators.http import require_POST

from govreach.accounts.services import language_preference_set
from govreach.catalogue import describe
from govreach.catalogue.models import ServicePack
from govreach.catalogue.selectors import (
    ServicePackNotFound,
    ServicePackUnavailable,
    pack_for,
    service_pack_get,
    service_pack_list,
)
from govreach.packs.workflow import Workflow
from govreach.rules.text import format_value
from govreach.web.formats import CURRENCIES, date_long_text, money_text, number_text
from govreach.web.language import (
    DEFAULT_LANGUAGE,
    SESSION_KEY,
    choose_language,
    language_tag,
    site_language,
    text_and_language,
)
from govreach.web.texts import country_name, ui_language, ui_texts


def _text(texts: dict[str, str] | None, language: str) -> dict[str, str]:
    text, lang = text_and_language(texts, language)
    return {"text": text, "lang": lang}


def _page(request: HttpRequest, language: str, is_explicit: bool, available: list[str]) -> dict[str, Any]:
    """What every page shares: the languages on offer and the words of the page itself."""
    ui_lang = ui_language(language)
    return {
        "language": language,
        "page_lang": ui_lang,
        "ui": ui_texts(language),
        # Pack texts are in ``language``; mark them when the page's own words fall back to English.
        "content_lang_attr": format_html(' lang="{}"', language) if language != ui_lang else "",
        "lang_query": f"?{urlencode({'lang': language})}" if is_explicit else "",
    }


def _value_text(value: object, unit: str | None, language: str) -> str:
    """A parameter's value and unit as the page's language writes them: an amount of money (a unit that
    is an ISO 4217 currency) as money, other numbers with the language's separators and digits."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        if unit and unit in CURRENCIES:
            return money_text(value, unit, language)
        text = number_text(value, language)
    else:
        text = format_value(value)
    return f"{text} {unit}" if unit else text


def _legal_basis(row: ServicePack, language: str) -> list[dict[str, Any]]:
    return [
        {
            "reference": ref["reference"],
            "title": _text(ref.get("title"), language),
            "url": ref.get("url"),
            "in_force_from": ref.get("in_force_from"),
        }
        for ref in row.legal_basis
    ]


def _service(row: ServicePack, language: str, ui: dict[str, str], lang_query: str) -> dict[str, Any]:
    return {
        "id": row.pack_id,
        "version": row.version,
        "url": reverse("web:service", kwargs={"pack_id": row.pack_id}) + lang_query,
        "title": _text(row.titles, language),
        "summary": _text(row.summaries, language),
        "kind": ui.get(row.kind, row.kind),
        "unit": ui.get(row.unit, row.unit),
        "country": country_name(row.country, language),
        "owner": row.owner,
        "legal_basis": _legal_basis(row, language),
    }


def _respond(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    response = render(request, template, context, status=status)
    # The language follows Accept-Language: a cache must not serve one visitor's language to another.
    patch_vary_headers(response, ["Accept-Language"])
    return response


def catalogue(request: HttpRequest) -> HttpResponse:
    """Every service on offer, in the visitor's language where the packs have it."""
    rows = list(service_pack_list())
    available = list(dict.fromkeys([DEFAULT_LANGUAGE, *(lang for row in rows for lang in row.languages)]))
    language, is_explicit = choose_language(request, available)
    context = _page(request, language, is_explicit, available)
    context["services"] = [_service(row, language, context["ui"], context["lang_query"]) for row in rows]
    return _respond(request, "web/catalogue.html", context)


def service(request: HttpRequest, pack_id: str) -> HttpResponse:
    """One service: who is entitled and why, the parameters in force today, the facts a decision needs."""
    try:
        row = service_pack_get(pack_id)
    except ServicePackNotFound:
        raise Http404(f"No service '{pack_id}'") from None
    language, is_explicit = choose_language(request, row.languages)
    context = _page(request, language, is_explicit, row.languages)
    ui = context["ui"]
    context["service"] = _service(row, language, ui, context["lang_query"])
    try:
        pack = pack_for(row)
    except ServicePackUnavailable:
        return _respond(request, "web/unavailable.html", context, status=503)
    today = timezone.localdate()
    unit_fields, member_fields = describe.inputs_of(pack, language)
    context.update(
        {
            "today": today,
            "parameters_title": ui["parameters"].format(date=date_long_text(today, context["page_lang"])),
            "inputs_intro": ui[
                "inputs_person" if row.unit == ServicePack.Unit.PERSON else "inputs_household"
            ],
            "decisions": describe.decisions_of(pack, language),
            "parameters": [
                {
                    "info": p,
                    "value": None if p.value is None else _value_text(p.value, p.unit, context["page_lang"]),
                }
                for p in describe.parameters_on(pack, today, language)
            ],
            "unit_fields": unit_fields,
            "member_fields": member_fields,
            "api_detail_url": reverse("api:service_detail", kwargs={"pack_id": row.pack_id}),
            "api_eligibility_url": reverse("api:service_eligibility", kwargs={"pack_id": row.pack_id}),
            # A service with a form and a case workflow takes applications: the Start button.
            "apply_url": reverse("web:apply_start", kwargs={"pack_id": row.pack_id}) + context["lang_query"]
            if pack.forms and isinstance(pack.workflow, Workflow)
            else "",
        }
    )
    return _respond(request, "web/service.html", context)


@require_POST
def set_language(request: HttpRequest) -> HttpResponseBase:
    """The language switch on every page: remember the choice, then go back to the page it was sent from.

    Django's ``set_language`` checks ``next`` (a path on this site only) and sets this browser's cookie;
    a signed-in person's choice is also stored with their account, so it follows them to any device and
    into every message sent to them.
    """
    response = i18n.set_language(request)
    language = site_language(request.POST.get("language"))
    user = request.user
    if language and isinstance(user, User) and user.is_authenticated:
        language_preference_set(user=user, language=language_tag(language))
        request.session[SESSION_KEY] = language
    return response
