"""The site as the browser tests see it: every URL pattern of the URL configuration, the ones no browser
page check can apply to (with the reason), the demo world the pages need, and signing in each role.

The demo world is what ``govreach demo setup`` makes (the four packs, their synthetic populations, every
demo account), so the pages show real data; it is rebuilt per test because live-server tests empty the
database after each test. The populations are generated once per session into one folder.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyotp
from django.conf import settings
from django.core.cache import cache
from django.urls import URLPattern, URLResolver, get_resolver
from playwright.sync_api import Browser, BrowserContext, Page, expect

from govreach.accounts.models import StaffTOTPDevice
from govreach.catalogue.management.commands.demo import SETUP_STEPS, DemoContext
from govreach.catalogue.services import service_pack_load
from govreach.notify.models import OutboxMessage
from govreach.packs.loader import load_pack

DEMO_PASSWORD = "govreach-demo"  # the demo steps' password (DEBUG-only accounts)
VIEWPORT = {"width": 360, "height": 740}

# Whole URL namespaces that serve no page of GovReach's own.
EXCLUDED_NAMESPACES: dict[str, str] = {
    # django-ninja: JSON endpoints, the OpenAPI document and the Swagger UI page django-ninja ships
    # (its HTML is not ours to fix; the API's contract is tested in tests/api).
    "api": "REST API (JSON) and django-ninja's own docs page",
    # Django's admin is Django's own UI for trusted operators, not a GovReach page.
    "admin": "Django's own admin site",
}

# Routes served only in DEBUG, by their start: no page of GovReach's own.
EXCLUDED_ROUTES: dict[str, str] = {
    "^static/": "static files, served by Django only in DEBUG (django-ninja's docs page assets)",
}

# Single patterns that return no HTML page on GET, each with why. The page a POST-only action leads to
# (its redirect or re-rendered form) is checked under its own name.
EXCLUDED: dict[str, str] = {
    "web:apply_pay_confirm": "POST-only: confirms a fee payment, then redirects to the fees page",
    "web:apply_submit": "POST-only: submits the application, then redirects to the confirmation page",
    "web:account_pay": "POST-only: starts paying a later fee, then redirects to the provider",
    "web:account_pay_confirm": "POST-only: confirms a later fee, then redirects to the application",
    "web:account_record": "file download: the issued record as a PDF",
    "web:staff_case_act": "POST-only: takes a workflow step, then redirects to the case page",
    "web:staff_document": "file download: an uploaded document (PDF or image)",
    "accounts:citizen_consent_revoke": "POST-only: revokes a consent, then redirects to the consents page",
    "accounts:assist_stop": "POST-only: stops acting for a citizen, then redirects to the assist page",
    "programmes:register_list": "POST-only: a school's CSV list, then redirects to the result page",
    "programmes:allocate": "POST-only: runs the allocation, then redirects to the cohort page",
    "programmes:sessions_plan": "POST-only: plans the sessions, then redirects to the cohort page",
    "programmes:allocation_public_csv": "file download: the public allocation list as CSV",
    "programmes:allocation_free": "POST-only: frees a place, then redirects to the cohort page",
    "programmes:class_teacher": "POST-only: assigns a teacher, then redirects to the class page",
    "entitlements:preference": "POST-only: saves the notice channel, then redirects to the entitlements page",
    "entitlements:partner_answers": "file download: the partner's yes/no answers as CSV",
    "entitlements:partner_token_revoke": "POST-only: revokes an API token, then redirects to the partner page",
    # Django's own language switch: POST-only, redirects back to the page it was sent from.
    "set_language": "POST-only (Django's set_language): stores the language, then redirects back",
    # The language switch in every page's header; the page it leads back to is checked under its name.
    "web:set_language": "POST-only: stores the chosen language, then redirects back to the page",
    "ussd:callback": "USSD gateway callback: POST, plain-text 'CON '/'END ' screens, not HTML",
    "ussd:sms_inbound": "SMS gateway webhook: POST of an inbound SMS, answered by SMS, not HTML",
    # --- audit (issue 8)
    "audit:export": "a file download (CSV or JSON lines of a period), not HTML",
    # --- feedback and grievances (issue 8)
    # --- transparency: dashboards, open data, budgets (issue 8)
    "transparency:opendata_file": "file download: one file of the open data package (CSV, Parquet, JSON)",
    # --- policy: dry runs, versions, pilots (issue 9)
    "policy:pilot_new": "POST-only: starts a pilot, then redirects to the pilot page",
    # --- govstack (issue 10)
    # JSON APIs for client systems (GovStack building blocks), keyed by API keys; their contract is
    # tested against the GovStack OpenAPI documents in tests/govstack.
    "govstack:registration_openapi": "JSON: the GovStack Registration OpenAPI document",
    "govstack:statistics_openapi": "JSON: the GovStack Registration statistics OpenAPI document",
    "govstack:registries_openapi": "JSON: the GovStack Digital Registries OpenAPI document",
    "govstack:database_openapi": "JSON: the GovStack Digital Registries database OpenAPI document",
    "govstack:services": "JSON API: GovStack Registration services",
    "govstack:service": "JSON API: one GovStack Registration service",
    "govstack:service_eforms": "JSON API: a service's e-forms",
    "govstack:service_applications": "JSON API, POST-only: submit an application (API key)",
    "govstack:eform": "JSON API: one e-form as JSON Schema",
    "govstack:documents": "JSON API, POST-only: upload a document (API key)",
    "govstack:applications": "JSON API: application files (API key)",
    "govstack:application": "JSON API: one application file (API key)",
    "govstack:tasks": "JSON API: operator tasks (API key)",
    "govstack:task": "JSON API: one task (API key)",
    "govstack:task_complete": "JSON API, POST-only: complete a task (API key)",
    "govstack:statistics": "JSON API: registration statistics (API key)",
    "govstack:statistics_legacy": "JSON API: registration statistics, older path (API key)",
    "govstack:databases": "JSON API: Digital Registries databases (API key)",
    "govstack:database_modify": "JSON API, POST-only: create or change a registry schema (API key)",
    "govstack:database": "JSON API: one registry database (API key)",
    "govstack:data_usage": "JSON API: my personal data usage (API key)",
    "govstack:data_usage_legacy": "JSON API: my personal data usage, older path (API key)",
    "govstack:create_entries": "JSON API, POST-only: create entries in the mcts registry (API key)",
    "govstack:registry_list": "JSON API: a registry's records (API key)",
    "govstack:registry_create": "JSON API, POST-only: create a record (API key)",
    "govstack:registry_exists": "JSON API, POST-only: query by example (API key)",
    "govstack:registry_read": "JSON API, POST-only: read by example (API key)",
    "govstack:registry_update": "JSON API, PUT-only: update a record (API key)",
    "govstack:registry_update_entries": "JSON API, PUT-only: update matching records (API key)",
    "govstack:registry_update_or_create": "JSON API, POST-only: update or create a record (API key)",
    "govstack:registry_delete": "JSON API, DELETE-only: delete a record (API key)",
    "govstack:registry_read_value": "JSON API or file download: one field of a record (API key)",
    # --- ops and security (issue 11)
    "ops:healthz": "health check for load balancers: plain text 'ok', not HTML",
    "ops:outbox_failed_resend": "POST-only: queues a failed message again, then redirects to the list",
}


def url_patterns() -> dict[str, str]:
    """Every URL pattern of the URL configuration, ``namespace:name`` (or its route if unnamed) -> route."""
    found: dict[str, str] = {}

    def walk(patterns: list[Any], namespace: str, prefix: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = ":".join(p for p in (namespace, entry.namespace or "") if p)
                walk(entry.url_patterns, inner, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                route = prefix + str(entry.pattern)
                key = f"{namespace}:{entry.name or route}" if namespace else entry.name or route
                found[key] = route

    walk(get_resolver().url_patterns, "", "")
    return found


def is_excluded(key: str) -> bool:
    return (
        key in EXCLUDED
        or (":" in key and key.split(":")[0] in EXCLUDED_NAMESPACES)
        or any(key.startswith(route) for route in EXCLUDED_ROUTES)
    )


# --- the demo world -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Roles:
    """Usernames of the demo accounts, by what they do."""

    bd_officer: str = "demo-ac-land"
    intermediary: str = "demo-udc"
    nurse: str = "kr-nurse"
    hospital_partner: str = "kr-hospital-partner"
    outreach_coordinator: str = "kr-coordinator"
    programme_coordinator: str = "prepara-coordenacao"
    teacher: str = "prepara-professora"
    school_secretary: str = "prepara-secretaria"
    tariff_reviewer: str = "pt-reviewer"
    bd_citizen_phone: str = "+8801711000001"


ROLES = Roles()


def demo_world_build(django_settings: Any, var_dir: Path, media_dir: Path) -> None:
    """Load every pack and run every ``govreach demo setup`` step, as ``make demo`` does."""
    cache.clear()  # sign-in throttles count in the cache
    django_settings.VAR_DIR = var_dir
    django_settings.MEDIA_ROOT = media_dir
    django_settings.GOVREACH_CYCLES_DIR = str(var_dir / "cycles")
    packs_dir = Path(settings.PACKS_DIR)
    for folder in sorted(packs_dir.iterdir()):
        if (folder / "service.yaml").exists():
            service_pack_load(pack=load_pack(folder))
    django_settings.DEBUG = True  # the demo steps make accounts only in DEBUG
    try:
        ctx = DemoContext(base_url="http://127.0.0.1:8000")
        for step in SETUP_STEPS:
            report = step(ctx)
            assert not report.problems and not report.warnings, (step.__name__, report)
    finally:
        django_settings.DEBUG = False


# --- signing in ---------------------------------------------------------------------------------------


def new_page(browser: Browser, *, javascript: bool = True) -> Page:
    context: BrowserContext = browser.new_context(viewport=VIEWPORT, java_script_enabled=javascript)  # type: ignore[arg-type]
    return context.new_page()


def staff_sign_in(page: Page, base: str, username: str) -> None:
    """Password, then the authenticator's code (from the device's secret)."""
    page.goto(f"{base}/staff/login/?lang=en")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    secret = StaffTOTPDevice.objects.get(user__username=username).secret
    page.get_by_label("Code").fill(pyotp.TOTP(secret).at(time.time()))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_label("Code")).to_have_count(0)


def citizen_sign_in(page: Page, base: str, phone: str) -> None:
    """Phone number, then the code of the SMS (read from the outbox row)."""
    page.goto(f"{base}/login/?lang=en")
    page.get_by_label("Mobile phone number").fill(phone)
    page.get_by_role("button", name="Send me a code").click()
    code = OutboxMessage.objects.filter(message_id="login_code").latest("pk").context["code"]
    page.get_by_label("Code").fill(str(code))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_label("Code")).to_have_count(0)


def close_all(pages: Iterator[Page] | list[Page]) -> None:
    for page in pages:
        page.context.close()
