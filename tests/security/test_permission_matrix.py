"""Every view of the URL configuration, tried as every role: each answer must match the declared policy.

``POLICIES`` declares, for every URL pattern, which roles get through; everyone else must be refused
(401, 403, 404, or sent to a sign-in page). A pattern without a policy fails the test, so a new view
cannot ship without someone deciding who may use it. Roles and the world they act in: matrix.py.

Answers are classified, not compared byte for byte: *through* is any answer other than a refusal (a page,
a file, a redirect onwards, a form shown again with errors); *refused* is 401/403/404 or a redirect to a
sign-in page. POST-only patterns are tried with an empty form after every GET, so that what an allowed
role's POST changes cannot hide another check; an empty form changes nothing anywhere in GovReach (each
action validates its input first).

Set GOVREACH_MATRIX_DISCOVER=1 to print the observed table (to write a new pattern's policy from).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from tests.browser import site
from tests.browser.test_accessibility import _review_for_reviewer
from tests.security.matrix import BD, PT, ROLES, World, world_build

ALL = frozenset(ROLES)
NOBODY: frozenset[str] = frozenset()
CITIZENS = frozenset({"citizen", "tariff_holder", "other_citizen"})
STAFF = ALL - CITIZENS - {"anonymous"}
SIGNED_IN = ALL - {"anonymous"}


@dataclass(frozen=True)
class Policy:
    """Who gets through ``pattern`` (by role), with which method; ``pack`` fills a ``pack_id``."""

    allow: frozenset[str]
    method: str = "GET"
    pack: str = BD
    why: str = ""


def only(*roles: str) -> frozenset[str]:
    unknown = set(roles) - ALL
    assert not unknown, unknown
    return frozenset(roles)


POLICIES: dict[str, Policy] = {
    # Public pages: anyone, signed in or not.
    "web:catalogue": Policy(ALL),
    "web:service": Policy(ALL),
    "cases:track": Policy(ALL),
    "entitlements:take_up": Policy(ALL, pack=PT),
    "programmes:allocation_public": Policy(ALL),
    "programmes:allocation_public_csv": Policy(ALL),
    "accounts:citizen_login": Policy(ALL),
    "accounts:staff_login": Policy(ALL),
    "accounts:logout": Policy(ALL),
    "set_language": Policy(ALL, method="POST", why="Django's set_language: stores a language, nothing else"),
    "cases:verify": Policy(
        NOBODY, why="an unknown code is 404 to everyone; a real record is public (tests/cases)"
    ),
    # Sign-in steps: only after the step before, in the same session.
    "accounts:citizen_login_code": Policy(NOBODY, why="needs a code sent in this session first"),
    "accounts:staff_login_verify": Policy(NOBODY, why="needs the password step in this session first"),
    "accounts:staff_totp_setup": Policy(NOBODY, why="needs the password step of a user without a device"),
    # Gateways: authenticated by the gateway's shared secret, which this world does not configure.
    "ussd:callback": Policy(NOBODY, method="POST", why="no GOVREACH_USSD_SECRET: every callback is refused"),
    "ussd:sms_inbound": Policy(NOBODY, method="POST", why="no GOVREACH_SMS_INBOUND_SECRET: refused"),
    # Citizens: their own account; another citizen's objects are 404.
    "accounts:citizen_home": Policy(CITIZENS),
    "accounts:citizen_consents": Policy(CITIZENS),
    "accounts:citizen_consent_revoke": Policy(only("citizen"), method="POST"),
    "web:account_applications": Policy(CITIZENS),
    "web:account_application": Policy(only("citizen")),
    "web:account_pay": Policy(
        NOBODY, method="POST", why="no fee due in this world: 404 to all, owner tested in tests/web"
    ),
    "web:account_pay_confirm": Policy(NOBODY, method="POST", why="no payment started: 404 to all"),
    "web:account_record": Policy(
        NOBODY, why="no record issued in this world: 404 to all; owner-only in tests/web"
    ),
    "web:apply_start": Policy(CITIZENS),
    "web:apply_page": Policy(CITIZENS),
    "web:apply_check": Policy(CITIZENS),
    "web:apply_fees": Policy(CITIZENS),
    "web:apply_pay_confirm": Policy(CITIZENS, method="POST"),
    "web:apply_submit": Policy(NOBODY, method="POST", why="no draft left to submit: 404 to all; tests/web"),
    "web:apply_done": Policy(only("citizen")),
    "entitlements:mine": Policy(CITIZENS),
    "entitlements:contest": Policy(CITIZENS),
    "entitlements:refuse": Policy(only("tariff_holder")),
    "entitlements:preference": Policy(NOBODY, method="POST", why="an empty form names no entitlement: 404"),
    # Intermediaries (assisted channel).
    "accounts:assist": Policy(only("intermediary")),
    "accounts:assist_code": Policy(
        NOBODY, why="needs a consent code sent in this session: else back to /assist/"
    ),
    "accounts:assist_signed": Policy(only("intermediary")),
    "accounts:assist_stop": Policy(NOBODY, method="POST", why="always redirects to the assist page"),
    # Staff: every staff member has a home, a queue and a programmes list of their own (maybe empty).
    "accounts:staff_home": Policy(STAFF),
    "web:staff_queue": Policy(STAFF),
    "web:staff_outbox": Policy(STAFF, why="DEBUG-only demo page"),
    "programmes:home": Policy(STAFF),
    # Land records: the officer of the application's area only.
    "web:staff_case": Policy(only("land_officer")),
    "web:staff_case_act": Policy(only("land_officer"), method="POST"),
    "web:staff_document": Policy(only("land_officer")),
    # Energy tariff: the reviewer; the supplier for its own partner page.
    "entitlements:reviews": Policy(only("tariff_reviewer"), pack=PT),
    "entitlements:review": Policy(only("tariff_reviewer")),
    "entitlements:counter": Policy(only("tariff_reviewer"), pack=PT),
    "entitlements:partner": Policy(only("supplier")),
    "entitlements:partner_answers": Policy(only("supplier")),
    "entitlements:partner_token_revoke": Policy(only("supplier"), method="POST"),
    # Outreach: nurses see their own day and referrals of their area; partners refer; coordinators count.
    "outreach:visit_list": Policy(only("nurse", "nurse_elsewhere")),
    "outreach:visit_detail": Policy(only("nurse")),
    "outreach:referral_list": Policy(only("nurse", "nurse_elsewhere", "hospital_partner")),
    "outreach:referral_new": Policy(only("hospital_partner")),
    "outreach:figures": Policy(only("outreach_coordinator")),
    # Programme: coordinator for the cohort, teacher for their class, school secretary registers.
    "programmes:register": Policy(
        ALL, pack="br-prepara", why="says registration is closed; the form is tested"
    ),
    "programmes:register_list": Policy(
        NOBODY, method="POST", pack="br-prepara", why="registration is closed in the demo: 404 to all"
    ),
    "programmes:registration": Policy(only("programme_coordinator", "school_secretary")),
    "programmes:cohort": Policy(only("programme_coordinator")),
    "programmes:outcomes": Policy(only("programme_coordinator")),
    "programmes:allocate": Policy(only("programme_coordinator"), method="POST"),
    "programmes:sessions_plan": Policy(only("programme_coordinator"), method="POST"),
    "programmes:allocation_free": Policy(only("programme_coordinator"), method="POST"),
    "programmes:class": Policy(only("programme_coordinator", "teacher")),
    "programmes:class_teacher": Policy(only("programme_coordinator"), method="POST"),
    "programmes:scores": Policy(only("programme_coordinator", "teacher")),
    "programmes:session_attendance": Policy(only("programme_coordinator", "teacher")),
    "web:set_language": Policy(ALL, method="POST", why="stores a language choice, nothing else"),
    # --- audit (issue 8)
    "audit:entries": Policy(only("auditor")),
    "audit:export": Policy(only("auditor")),
    # --- feedback and grievances (issue 8)
    "feedback:grievance_new": Policy(ALL, why="anyone may complain: signed in, for a citizen, or not"),
    "feedback:grievance_filed": Policy(ALL, why="shows a receipt once, else sends on to the status form"),
    "feedback:grievance_status": Policy(ALL, why="the reference and secret code are the key"),
    "feedback:rate_list": Policy(CITIZENS),
    "feedback:rate": Policy(only("tariff_holder"), why="their own granted tariff; others 404"),
    "feedback:staff_queue": Policy(
        NOBODY, why="no matrix role holds a grievance role (403); levels and areas in tests/feedback"
    ),
    "feedback:staff_grievance": Policy(
        NOBODY, why="an application reference is no grievance (404); refusals in tests/feedback"
    ),
    # --- transparency: dashboards, open data, budgets (issue 8)
    "transparency:index": Policy(ALL),
    "transparency:dashboard": Policy(ALL),
    "transparency:dashboard_area": Policy(ALL),
    "transparency:opendata": Policy(ALL),
    "transparency:opendata_file": Policy(ALL),
    "transparency:budget": Policy(only("finance_officer")),
    # --- policy: dry runs, versions, pilots (issue 9)
    # Policy officers only (the demo's pt-policy-proposer and pt-policy-approver, none of these roles):
    # every role here is refused; officers and refusals are tested in tests/policy/test_views.py.
    "policy:index": Policy(only("policy_officer")),
    "policy:version": Policy(only("policy_officer"), pack=PT),
    "policy:diff": Policy(only("policy_officer"), pack=PT),
    "policy:pilot_new": Policy(only("policy_officer"), method="POST", pack=PT),
    "policy:pilot": Policy(only("policy_officer")),
    # --- govstack (issue 10)
    # --- ops and security (issue 11)
    "ops:healthz": Policy(ALL),
    "ops:outbox_failed": Policy(STAFF - {"auditor", "intermediary", "supplier"}, why="staff holding a role"),
    "ops:outbox_failed_resend": Policy(only("land_officer"), method="POST"),
}

# Namespaces outside the matrix, each with why: their own tests cover who may call them.
OUTSIDE: dict[str, str] = {
    "admin": "Django's admin: staff with both factors and is_staff only (accounts/adminsite.py, tested there)",
    "api": "the JSON API: token and session auth, tried by schemathesis and tests/api, tests/registry",
    "govstack": "GovStack APIs: API keys per client system, not roles; refusals in tests/govstack",
}
OUTSIDE_ROUTES = ("^static/",)

KWARGS = {
    "reference": "reference",
    "document_id": "document_id",
    "consent_id": "consent_id",
    "cycle_id": "cycle_id",
    "cohort_id": "cohort_id",
    "registration_id": "registration_id",
    "allocation_id": "allocation_id",
    "class_id": "class_id",
    "exam_id": "exam_id",
    "session_id": "session_id",
    "visit_id": "visit_id",
    "token": "verify_token",
    "key": "entitlement_id",
    "area_code": "area_code",
    "name": "opendata_file",
    "message_id": "message_id",
}
PK_OF = {
    "entitlements:refuse": "entitlement_id",
    "entitlements:review": "review_id",
    "entitlements:partner_token_revoke": "token_id",
    "policy:pilot": "pilot_id",
}
FIXED = {"page_id": "applicant", "transition_id": "register", "version": "1.0.0", "kind": "entitlement"}


def _kwargs(name: str, route: str, policy: Policy, world: World) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for part in route.split("<")[1:]:
        param = part.split(">")[0].split(":")[-1]
        if param == "pack_id":
            found[param] = policy.pack
        elif param == "pk":
            found[param] = world.ids[PK_OF[name]]
        elif param in FIXED:
            found[param] = FIXED[param]
        else:
            found[param] = world.ids[KWARGS[param]]
    return found


def _policy(name: str) -> Policy:
    """The declared policy; for discovery, an empty one with the method the pattern answers."""
    post_only = site.EXCLUDED.get(name, "").startswith("POST-only")
    return POLICIES.get(name) or Policy(NOBODY, method="POST" if post_only else "GET")


#: Where a refused visitor is sent: a sign-in page, or (an intermediary acting for no one) the page to
#: choose whom to help.
REFUSAL_PAGES = ("accounts:citizen_login", "accounts:staff_login", "accounts:assist")


def refused(response: Any) -> bool:
    """A refusal, also at the end of a short chain of redirects (``follow=True`` keeps the chain)."""
    if response.status_code in (401, 403, 404):
        return True
    hops = [url for url, _status in getattr(response, "redirect_chain", [])]
    if response.status_code in (301, 302, 303):
        hops.append(str(response.get("Location", "")))
    pages = {reverse(n) for n in REFUSAL_PAGES}
    return any(hop.split("?")[0] in pages for hop in hops)


def _patterns() -> dict[str, str]:
    return {
        key: route
        for key, route in site.url_patterns().items()
        if key.split(":")[0] not in OUTSIDE and not route.startswith(OUTSIDE_ROUTES)
    }


def test_every_url_pattern_has_a_policy() -> None:
    patterns = _patterns()
    missing = sorted(set(patterns) - set(POLICIES))
    assert not missing, f"URL patterns without an access policy (declare one in POLICIES): {missing}"
    stale = sorted(set(POLICIES) - set(patterns))
    assert not stale, f"policies of URL patterns that no longer exist: {stale}"


@pytest.mark.django_db(transaction=True)
def test_every_view_answers_every_role_as_its_policy_says(
    settings: Any, tmp_path: Path, demo_var_dir: Path
) -> None:
    world = world_build(settings, demo_var_dir, tmp_path / "media", _review_for_reviewer)
    patterns = _patterns()
    discover = os.environ.get("GOVREACH_MATRIX_DISCOVER") == "1"
    wrong: list[str] = []
    observed: dict[str, set[str]] = {}
    names = sorted(patterns, key=lambda n: (_policy(n).method != "GET", n))
    for name in names:
        policy = _policy(name)
        path = reverse(name, kwargs=_kwargs(name, patterns[name], policy, world) or None)
        if name == "web:staff_outbox":
            settings.DEBUG = True  # the page exists in the demo only
        observed[name] = set()
        for role in ROLES:
            client: Client = world.clients[role]
            response = client.post(path, {}) if policy.method == "POST" else client.get(path, follow=True)
            through = not refused(response)
            if response.status_code >= 500:
                wrong.append(f"{name} as {role}: server error {response.status_code}")
            if through:
                observed[name].add(role)
            if not discover and through != (role in policy.allow):
                verb = "let through" if through else "refused"
                wrong.append(f"{name} ({policy.method} {path}) {verb} {role}: {response.status_code}")
        settings.DEBUG = False
    if discover:
        for name in names:
            method = _policy(name).method
            seen = sorted(observed[name]) if observed[name] != set(ALL) else "ALL"
            print(f"{name} {method if name in POLICIES else ''}: {seen}")
    assert not wrong, "\n".join(wrong)
