"""Public case pages: status tracking by reference and secret, and verification of an issued record.

Neither page shows personal data. A wrong reference and a wrong secret get the same answer, so the
tracking page cannot be used to learn which references exist.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from govreach.cases.selectors import application_status_public, record_for_verification
from govreach.web.language import choose_language
from govreach.web.pages import site_languages
from govreach.web.texts import ui_language, ui_texts

#: The words of the public tracking and record-check pages (translated in this app's catalogue).
TEXTS = {
    "track_title": _("Track your application"),
    "track_intro": _("Enter the reference and the secret code from your SMS or your receipt."),
    "reference": _("Reference"),
    "reference_hint": _("For example BD-2026-000123"),
    "secret": _("Secret code"),
    "secret_hint": _("8 letters and digits"),
    "show": _("Show the status"),
    "not_found": _("We found no application with this reference and secret code. Check both and try again."),
    "service": _("Service"),
    "stage": _("Stage"),
    "since": _("At this stage since"),
    "submitted": _("Submitted on"),
    "due": _("Decision due by"),
    "decided": _("Decided on"),
    "overdue": _("This application is past its deadline; a senior officer now follows it."),
    "history": _("Stages so far"),
    "verify_title": _("Check a land record"),
    "authentic": _("This record is authentic: it was issued by GovReach."),
    "not_authentic": _(
        "No record was issued with this code. The document may be forged; ask the land office."
    ),
    "record_number": _("Record number"),
    "issued": _("Issued on"),
    "area": _("Area"),
}


def _context(request: HttpRequest) -> dict[str, Any]:
    language, is_explicit = choose_language(request, site_languages())
    page_lang = ui_language(language)
    with translation.override(page_lang):
        words = {key: str(text) for key, text in TEXTS.items()}
    return {
        "language": language,
        "page_lang": page_lang,
        "ui": ui_texts(language),
        "t": words,
        "lang_query": f"?lang={language}" if is_explicit else "",
    }


def _respond(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["Accept-Language"])
    response["X-Robots-Tag"] = "noindex"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def track(request: HttpRequest) -> HttpResponse:
    """The public status page: the form, then the stage and dates for a matching reference and secret."""
    context = _context(request)
    data = request.POST if request.method == "POST" else request.GET
    reference = str(data.get("reference", "")).strip()[:32]
    secret = str(data.get("secret", "")).strip()[:32]
    context.update({"reference": reference, "status": None, "not_found": False})
    if reference or secret:
        status = application_status_public(reference, secret, language=context["language"])
        context["status"] = status
        context["not_found"] = status is None
    return _respond(request, "cases/track.html", context, status=200)


@never_cache
@require_http_methods(["GET"])
def verify(request: HttpRequest, token: str) -> HttpResponse:
    """The page the record's QR code opens: whether it is authentic, its number and issue date."""
    context = _context(request)
    record = record_for_verification(token[:64])
    context["record"] = record
    return _respond(request, "cases/verify.html", context, status=200 if record else 404)
