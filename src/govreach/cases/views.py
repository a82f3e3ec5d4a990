"""Public case pages: status tracking by reference and secret, and verification of an issued record.

Neither page shows personal data. A wrong reference and a wrong secret get the same answer, so the
tracking page cannot be used to learn which references exist.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from govreach.cases.selectors import application_status_public, record_for_verification
from govreach.web.language import choose_language
from govreach.web.texts import ui_language, ui_texts

TEXTS = {
    "en": {
        "track_title": "Track your application",
        "track_intro": "Enter the reference and the secret code from your SMS or your receipt.",
        "reference": "Reference",
        "reference_hint": "For example BD-2026-000123",
        "secret": "Secret code",
        "secret_hint": "8 letters and digits",
        "show": "Show the status",
        "not_found": "We found no application with this reference and secret code. Check both and try again.",
        "service": "Service",
        "stage": "Stage",
        "since": "At this stage since",
        "submitted": "Submitted on",
        "due": "Decision due by",
        "decided": "Decided on",
        "overdue": "This application is past its deadline; a senior officer now follows it.",
        "history": "Stages so far",
        "verify_title": "Check a land record",
        "authentic": "This record is authentic: it was issued by GovReach.",
        "not_authentic": (
            "No record was issued with this code. The document may be forged; ask the land office."
        ),
        "record_number": "Record number",
        "issued": "Issued on",
        "area": "Area",
    },
    "bn": {
        "track_title": "আবেদনের অবস্থা দেখুন",
        "track_intro": "এসএমএস বা রসিদে পাওয়া রেফারেন্স ও গোপন কোড লিখুন।",
        "reference": "রেফারেন্স",
        "reference_hint": "যেমন BD-2026-000123",
        "secret": "গোপন কোড",
        "secret_hint": "৮টি অক্ষর ও সংখ্যা",
        "show": "অবস্থা দেখুন",
        "not_found": "এই রেফারেন্স ও গোপন কোডে কোনো আবেদন পাওয়া যায়নি। দুটোই মিলিয়ে আবার চেষ্টা করুন।",
        "service": "সেবা",
        "stage": "বর্তমান ধাপ",
        "since": "এই ধাপে যেদিন থেকে",
        "submitted": "জমার তারিখ",
        "due": "সিদ্ধান্তের শেষ তারিখ",
        "decided": "সিদ্ধান্তের তারিখ",
        "overdue": "আবেদনটির সময়সীমা পেরিয়ে গেছে; একজন ঊর্ধ্বতন কর্মকর্তা এখন বিষয়টি দেখছেন।",
        "history": "এ পর্যন্ত ধাপসমূহ",
        "verify_title": "ভূমি রেকর্ড যাচাই",
        "authentic": "এই রেকর্ডটি আসল: এটি GovReach থেকে দেওয়া হয়েছে।",
        "not_authentic": "এই কোডে কোনো রেকর্ড দেওয়া হয়নি। কাগজটি জাল হতে পারে; ভূমি অফিসে যোগাযোগ করুন।",
        "record_number": "রেকর্ড নম্বর",
        "issued": "প্রদানের তারিখ",
        "area": "এলাকা",
    },
}


def _context(request: HttpRequest) -> dict[str, Any]:
    available = [code for code, _name in settings.LANGUAGES]
    language, is_explicit = choose_language(request, available)
    words = TEXTS.get(language) or TEXTS.get(language.split("-")[0]) or TEXTS["en"]
    return {
        "language": language,
        "page_lang": language if words is not TEXTS["en"] else ui_language(language),
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
