"""Every page passes axe-core's WCAG 2.2 A and AA rules in headless Chromium at 360 px.

The pages come from the URL configuration: each pattern is either visited below (as the role that uses
it, on the demo data) or listed in ``site.EXCLUDED`` with the reason no HTML page stands behind it. A new
pattern in neither place fails ``test_every_url_pattern_is_checked_or_excluded``.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import resolve
from PIL import Image
from playwright.sync_api import Browser, Page, expect
from tests.browser import site

from govreach.cases.models import Application
from govreach.entitlements.contest import CONTESTABLE_OUTCOMES, review_open
from govreach.entitlements.models import Cycle, EntitlementPerson
from govreach.entitlements.selectors import cycle_outcomes_query
from govreach.notify.models import OutboxMessage
from govreach.outreach.models import Visit
from govreach.programmes.models import ClassGroup, Cohort, Registration, Score, Session
from govreach.web.demo import demo_areas

pytestmark = [pytest.mark.browser]

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BD = "bd-land-mutation"

# Every pattern the walk below visits, with the role it is visited as.
CHECKED: dict[str, str] = {
    "web:catalogue": "public",
    "web:service": "public (the four packs)",
    "cases:track": "public (form, then a found status)",
    "cases:verify": "public (a code that matches no record)",
    "accounts:staff_login": "public",
    "accounts:staff_login_verify": "staff between the two factors",
    "accounts:staff_totp_setup": "staff without an authenticator yet",
    "accounts:citizen_login": "public",
    "accounts:citizen_login_code": "citizen between phone and code",
    "accounts:logout": "signed in",
    "entitlements:take_up": "public",
    "programmes:allocation_public": "public",
    "programmes:register": "public (closed), then a school secretary (open cohort)",
    "web:apply_start": "citizen",
    "web:apply_page": "citizen (every page, and one with errors)",
    "web:apply_check": "citizen",
    "web:apply_fees": "citizen",
    "web:apply_done": "citizen",
    "web:account_applications": "citizen",
    "web:account_application": "citizen",
    "accounts:citizen_home": "citizen",
    "accounts:citizen_consents": "citizen",
    "entitlements:mine": "citizen holding the tariff",
    "entitlements:refuse": "citizen holding the tariff",
    "entitlements:contest": "citizen",
    "accounts:assist": "intermediary",
    "accounts:assist_code": "intermediary",
    "accounts:assist_signed": "intermediary",
    "accounts:staff_home": "land officer",
    "web:staff_queue": "land officer",
    "web:staff_case": "land officer",
    "web:staff_outbox": "land officer (DEBUG-only page)",
    "outreach:visit_list": "nurse",
    "outreach:visit_detail": "nurse",
    "outreach:referral_new": "hospital partner",
    "outreach:referral_list": "hospital partner",
    "outreach:figures": "outreach coordinator",
    "programmes:home": "programme coordinator",
    "programmes:cohort": "programme coordinator",
    "programmes:registration": "programme coordinator",
    "programmes:outcomes": "programme coordinator",
    "programmes:class": "teacher",
    "programmes:session_attendance": "teacher",
    "programmes:scores": "teacher",
    "entitlements:reviews": "tariff reviewer",
    "entitlements:review": "tariff reviewer",
    "entitlements:counter": "tariff counter",
    "entitlements:partner": "energy supplier (partner)",
    # --- audit (issue 8)
    "audit:entries": "auditor",
    # --- feedback and grievances (issue 8)
    "feedback:grievance_new": "public (form, then with errors); staff recording one",
    "feedback:grievance_filed": "public, right after filing",
    "feedback:grievance_status": "public (form, then a found grievance)",
    "feedback:rate_list": "citizen holding the tariff",
    "feedback:rate": "citizen holding the tariff (the question, then the thank-you)",
    "feedback:staff_queue": "grievance officer (local level)",
    "feedback:staff_grievance": "grievance officer (local level)",
    # --- transparency: dashboards, open data, budgets (issue 8)
    "transparency:index": "public",
    "transparency:dashboard": "public (the four packs)",
    "transparency:dashboard_area": "public (a region of Portugal)",
    "transparency:opendata": "public",
    "transparency:budget": "finance officer (and with errors)",
    # --- policy: dry runs, versions, pilots (issue 9)
    "policy:index": "policy officer",
    "policy:version": "policy officer (an approved version, with the pilot form)",
    "policy:diff": "policy officer (form, then a dry run with its charts)",
    "policy:pilot": "policy officer (the demo's pilot, its evaluation)",
    # --- govstack (issue 10)
    # --- ops and security (issue 11)
    "ops:outbox_failed": "land officer (a message of their area failed, then resent)",
}


def test_every_url_pattern_is_checked_or_excluded() -> None:
    patterns = site.url_patterns()
    unaccounted = sorted(k for k in patterns if k not in CHECKED and not site.is_excluded(k))
    assert not unaccounted, (
        "URL patterns neither checked by the accessibility test nor excluded with a reason "
        f"(add them to CHECKED in {__name__} or to site.EXCLUDED): {unaccounted}"
    )
    stale = sorted(k for k in [*CHECKED, *site.EXCLUDED] if k not in patterns)
    assert not stale, f"checked or excluded names that are no URL pattern any more: {stale}"
    assert not set(CHECKED) & set(site.EXCLUDED)


@dataclass
class Audit:
    """axe-core over each page visited; the violations kept for one report at the end."""

    axe: Axe = field(default_factory=Axe)
    visited: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def check(self, page: Page, what: str) -> None:
        # A click may still be navigating: axe must run on the page that finished loading.
        page.wait_for_load_state("load")
        name = resolve(urlparse(page.url).path)
        key = f"{name.namespace}:{name.url_name}"
        self.visited[key] = self.visited.get(key, 0) + 1
        results = self.axe.run(
            page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
        )
        for violation in results.response["violations"]:
            nodes = "; ".join(", ".join(n["target"]) for n in violation["nodes"][:5])
            self.problems.append(
                f"{what} ({page.url}): {violation['id']} [{violation['impact']}] {violation['help']} -> {nodes}"
            )

    def goto(self, page: Page, url: str, what: str, *, status: int = 200) -> None:
        response = page.goto(url)
        assert response is not None and response.status == status, (what, url, response and response.status)
        self.check(page, what)


def _files(tmp_path: Path) -> dict[str, Path]:
    pdf = tmp_path / "deed.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    photo = tmp_path / "photo.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (40, 50), "#c0b090").save(buffer, format="JPEG")
    photo.write_bytes(buffer.getvalue())
    return {"pdf": pdf, "photo": photo}


def _save(page: Page) -> None:
    page.get_by_role("button", name="Save and continue").click()


def apply_for_land_mutation(
    page: Page, base: str, check: Callable[[Page, str], None], tmp_path: Path
) -> tuple[str, str]:
    """The citizen's whole e-Mutation application, ``check`` on every page; returns its reference and secret."""
    files = _files(tmp_path)
    page.goto(f"{base}/services/{BD}/apply/?lang=en")
    check(page, "apply start")
    page.get_by_role("button", name="Start now").click()
    check(page, "apply: about you")
    _save(page)
    expect(page.get_by_role("alert")).to_be_visible()
    check(page, "apply: about you, with errors")
    page.get_by_label("Your full name").fill("Rahima Begum")
    page.get_by_label("National ID number").fill("1234567890")
    page.get_by_label("Mobile phone number").fill("01711000001")
    page.get_by_label("Your address").fill("House 4, Road 2, Savar")
    _save(page)
    check(page, "apply: land")
    page.get_by_label("Union where the land lies").select_option(demo_areas()["union"].code)
    page.get_by_label("Mouza").fill("Baipail")
    page.get_by_label("Khatian number").fill("512")
    page.get_by_label("Plot (dag) numbers").fill("1021, 1022")
    page.get_by_label("Area of land (decimals)").fill("8.25")
    _save(page)
    check(page, "apply: transfer")
    page.get_by_label("I bought it (sale)").check()
    page.get_by_label("Deed number").fill("4471")
    page.get_by_label("Day").fill("2")
    page.get_by_label("Month").fill("11")
    page.get_by_label("Year").fill("2025")
    page.get_by_label("How many persons must be served a hearing notice").fill("2")
    _save(page)
    check(page, "apply: documents")
    for label in (
        "Copy of the deed",
        "Copy of the previous record (khatian)",
        "Land development tax receipt",
        "Copy of your national ID card",
    ):
        page.get_by_label(label).set_input_files(files["pdf"])
    page.get_by_label("Your photo").set_input_files(files["photo"])
    _save(page)
    check(page, "apply: fees")
    page.get_by_label("Mobile wallet").check()
    _save(page)
    check(page, "check answers")
    page.get_by_role("button", name="Continue to pay the fees").click()
    check(page, "pay the fees")
    for fee in ("Pay the court fee (BDT20.00)", "Pay the notice fee (BDT50.00)"):
        page.get_by_role("button", name=fee).click()
        check(page, f"demo payment: {fee}")
        page.get_by_role("button", name="Confirm the payment").click()
    page.get_by_role("button", name="Continue to submit").click()
    check(page, "submit")
    page.get_by_role("button", name="Accept and submit the application").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Application submitted")
    check(page, "application sent")
    return page.locator("#reference").inner_text(), page.locator("#secret").inner_text()


def _review_for_reviewer() -> int:
    """A contest review: a registry person whose supply point the cycle did not grant opens one."""
    import duckdb

    from govreach.accounts.models import CitizenAccount
    from govreach.entitlements.contest import cycle_customers_snapshot
    from govreach.registry.models import Person

    contestable = [
        (cycle, row["unit_key"])
        for cycle in Cycle.objects.filter(status=Cycle.Status.COMPLETED).order_by("pk")
        for row in cycle_outcomes_query(
            cycle,
            "SELECT unit_key FROM outcomes WHERE list_contains($kinds, outcome) ORDER BY unit_key LIMIT 200",
            {"kinds": [str(kind) for kind in CONTESTABLE_OUTCOMES]},
        )
    ]
    for cycle, unit_key in contestable:
        snapshot = cycle_customers_snapshot(cycle)
        rows = (
            duckdb.connect()
            .execute(
                "SELECT DISTINCT national_id FROM read_parquet(?) WHERE cpe = ? AND national_id IS NOT NULL",
                [snapshot.as_posix(), unit_key],
            )
            .fetchall()
        )
        person = Person.objects.filter(national_id__in=[r[0] for r in rows]).first()
        if person is None:
            continue
        account = CitizenAccount.objects.filter(person=person).first()
        if account is None:
            from django.contrib.auth.models import User

            user = User.objects.create(username=f"citizen-review-{person.pk}")
            account = CitizenAccount.objects.create(
                user=user, phone=f"+35191{person.pk:07d}", preferred_language="en", person=person
            )
        return review_open(account=account, supply_point_code=unit_key, grounds="My address is wrong.").pk
    raise AssertionError("the demo cycle refused no supply point of a registry person: no review to check")


def walk_feedback(
    fresh: Callable[[], Page], base: str, audit: Audit, holder: EntitlementPerson, rater: Page
) -> None:
    """The grievance form (empty, then filled), its receipt and status; the rating by ``rater``, the
    tariff holder's signed-in page (a new sign-in would spend one more of the per-address SMS codes the
    later browser tests need); the officer's queue."""
    from govreach.feedback.models import Grievance, Rating

    complainant = fresh()
    audit.goto(complainant, f"{base}/grievances/new/?lang=en", "grievance form")
    complainant.get_by_role("button", name="Send the complaint").click()
    audit.check(complainant, "grievance form with errors")
    complainant.get_by_label("Delay: it is taking too long").check()
    complainant.get_by_label("Where did it happen?").select_option(demo_areas()["union"].code)
    complainant.get_by_label("What happened?").fill("Nobody answers the phone at the land office.")
    complainant.get_by_role("button", name="Send the complaint").click()
    audit.check(complainant, "grievance receipt")
    expect(complainant.get_by_role("heading", level=1)).to_have_text("Complaint received")
    reference, secret = (t.strip() for t in complainant.locator(".fb-secret").all_inner_texts())
    complainant.get_by_role("link", name="Follow your complaint").click()
    audit.check(complainant, "grievance status form")
    complainant.get_by_label("Reference").fill(reference)
    complainant.get_by_label("Secret code").fill(secret)
    complainant.get_by_role("button", name="Show the status").click()
    audit.check(complainant, "grievance status")

    audit.goto(rater, f"{base}/feedback/rate/?lang=en", "services to rate")
    # The demo may have rated this tariff already: take the answer back to see the question.
    Rating.objects.filter(service_kind="entitlement", service_key=str(holder.entitlement_id)).delete()
    audit.goto(rater, f"{base}/feedback/rate/entitlement/{holder.entitlement_id}/?lang=en", "rating question")
    rater.get_by_role("button", name="Send my answer").click()
    audit.check(rater, "rating question with an error")
    rater.get_by_label("Satisfied", exact=True).check()
    rater.get_by_role("button", name="Send my answer").click()
    # The thank-you comes in the holder's own stored language (the redirect carries no ?lang=).
    expect(rater.locator("h1")).to_be_visible()
    assert Rating.objects.filter(service_kind="entitlement", service_key=str(holder.entitlement_id)).exists()
    audit.check(rater, "rating thank-you")

    officer = fresh()
    site.staff_sign_in(officer, base, "demo-grv-local")
    audit.goto(officer, f"{base}/staff/grievances/?lang=en", "grievance queue")
    grievance = Grievance.objects.filter(reference=reference).get()
    audit.goto(officer, f"{base}/staff/grievances/{grievance.reference}/?lang=en", "grievance (staff)")
    audit.goto(officer, f"{base}/grievances/new/?lang=en", "grievance form (staff recording)")


@pytest.mark.django_db(transaction=True)
def test_every_page_has_no_axe_violations(
    live_server: Any, browser: Browser, settings: Any, tmp_path: Path, demo_var_dir: Path
) -> None:
    started = time.monotonic()
    site.demo_world_build(settings, demo_var_dir, tmp_path / "media")
    base = live_server.url
    audit = Audit()
    pages: list[Page] = []

    def fresh(javascript: bool = True) -> Page:
        pages.append(site.new_page(browser, javascript=javascript))
        return pages[-1]

    try:
        # Public pages.
        public = fresh()
        audit.goto(public, f"{base}/?lang=en", "catalogue")
        for pack_id in ("bd-land-mutation", "pt-social-energy-tariff", "br-prepara", "kr-hyo-home-visits"):
            audit.goto(public, f"{base}/services/{pack_id}/?lang=en", f"service {pack_id}")
        audit.goto(public, f"{base}/track/?lang=en", "tracking form")
        audit.goto(public, f"{base}/verify/not-a-real-code/?lang=en", "verify (unknown code)", status=404)
        audit.goto(public, f"{base}/entitlements/pt-social-energy-tariff/take-up/", "take-up")
        cohort = Cohort.objects.get(pack_id="br-prepara")
        audit.goto(public, f"{base}/programmes/cohorts/{cohort.pk}/allocation/", "public allocation")
        audit.goto(public, f"{base}/programmes/br-prepara/register/", "register (closed)")
        audit.goto(public, f"{base}/staff/login/?lang=en", "staff sign-in")
        audit.goto(public, f"{base}/login/?lang=en", "citizen sign-in")
        # Public figures, open data, and the finance officer's budget page (issue 8).
        audit.goto(public, f"{base}/transparency/", "public figures")
        for pack_id in ("bd-land-mutation", "pt-social-energy-tariff", "br-prepara", "kr-hyo-home-visits"):
            audit.goto(public, f"{base}/transparency/services/{pack_id}/", f"figures {pack_id}")
        audit.goto(public, f"{base}/transparency/services/pt-social-energy-tariff/", "figures pt (again)")
        region = public.locator("table a[href*='/areas/']").first
        region.click()
        audit.check(public, "figures of a region")
        audit.goto(public, f"{base}/transparency/open-data/", "open data")
        finance = fresh()
        site.staff_sign_in(finance, base, "demo-finance")
        audit.goto(finance, f"{base}/transparency/services/bd-land-mutation/budget/", "budget lines")
        finance.get_by_role("button", name="Save the budget line").click()
        expect(finance.get_by_role("alert")).to_be_visible()
        audit.check(finance, "budget lines, with errors")

        # Citizen: sign-in steps, the whole e-Mutation application, the account pages.
        citizen = fresh()
        citizen.goto(f"{base}/login/?lang=en")
        citizen.get_by_label("Mobile phone number").fill(site.ROLES.bd_citizen_phone)
        citizen.get_by_role("button", name="Send me a code").click()
        audit.check(citizen, "citizen sign-in: code")
        citizen.get_by_label("Code").fill("000000")
        citizen.get_by_role("button", name="Sign in").click()
        audit.check(citizen, "citizen sign-in: wrong code")
        site.citizen_sign_in(citizen, base, site.ROLES.bd_citizen_phone)
        reference, secret = apply_for_land_mutation(citizen, base, audit.check, tmp_path)
        audit.goto(citizen, f"{base}/account/?lang=en", "account")
        audit.goto(citizen, f"{base}/account/applications/?lang=en", "applications")
        audit.goto(citizen, f"{base}/account/applications/{reference}/?lang=en", "application")
        audit.goto(citizen, f"{base}/account/consents/?lang=en", "consents")
        audit.goto(citizen, f"{base}/logout/?lang=en", "sign out")
        audit.goto(public, f"{base}/track/?lang=en&reference={reference}&secret={secret}", "tracking result")

        # Citizen holding the energy tariff.
        holder = EntitlementPerson.objects.filter(
            entitlement__status="active", is_contract_holder=True, person__citizen_accounts__isnull=False
        ).first()
        assert holder is not None and holder.person is not None
        tariff = fresh()
        site.citizen_sign_in(tariff, base, holder.person.citizen_accounts.first().phone)  # type: ignore[union-attr]
        audit.goto(tariff, f"{base}/entitlements/mine/?lang=en", "my entitlements")
        audit.goto(tariff, f"{base}/entitlements/{holder.entitlement_id}/refuse/?lang=en", "refuse")
        audit.goto(tariff, f"{base}/entitlements/contest/?lang=en", "contest")

        # Intermediary (Union Digital Centre).
        udc = fresh()
        site.staff_sign_in(udc, base, site.ROLES.intermediary)
        audit.goto(udc, f"{base}/assist/?lang=en", "assist")
        audit.goto(udc, f"{base}/assist/signed/?lang=en", "assist: signed form")
        udc.goto(f"{base}/assist/?lang=en")
        udc.get_by_label("Citizen's mobile phone number").fill(site.ROLES.bd_citizen_phone)
        udc.get_by_label("Service", exact=True).select_option(BD)
        udc.get_by_role("button", name="Continue").click()
        audit.check(udc, "assist: consent code")

        # Staff: between the two factors, then without an authenticator yet.
        half = fresh()
        half.goto(f"{base}/staff/login/?lang=en")
        half.get_by_label("Username").fill(site.ROLES.bd_officer)
        half.get_by_label("Password").fill(site.DEMO_PASSWORD)
        half.get_by_role("button", name="Continue").click()
        audit.check(half, "staff sign-in: code")
        from django.contrib.auth.models import User

        User.objects.create_user(username="new-officer", password=site.DEMO_PASSWORD)
        enrol = fresh()
        enrol.goto(f"{base}/staff/login/?lang=en")
        enrol.get_by_label("Username").fill("new-officer")
        enrol.get_by_label("Password").fill(site.DEMO_PASSWORD)
        enrol.get_by_role("button", name="Continue").click()
        audit.check(enrol, "staff: set up the authenticator")

        # Land officer.
        officer = fresh()
        site.staff_sign_in(officer, base, site.ROLES.bd_officer)
        audit.goto(officer, f"{base}/staff/?lang=en", "staff home")
        audit.goto(officer, f"{base}/staff/cases/?lang=en", "case queue")
        audit.goto(officer, f"{base}/staff/cases/{reference}/?lang=en", "case page")
        settings.DEBUG = True  # the outbox page exists only in the demo
        try:
            audit.goto(officer, f"{base}/staff/outbox/?lang=en", "outbox")
        finally:
            settings.DEBUG = False
        # A message of the officer's area that the gateway refused: listed with its reason, then resent.
        submitted = Application.objects.get(reference=reference)
        OutboxMessage.objects.filter(dedupe_key__startswith=f"cases:{submitted.pk}:").update(
            status="failed", attempts=6, last_error="the SMS gateway answered HTTP 503", area=submitted.area
        )
        audit.goto(officer, f"{base}/staff/messages/failed/?lang=en", "failed messages")
        officer.get_by_role("button", name="Send again").first.click()
        audit.check(officer, "failed messages: one queued again")

        # Auditor: the audit log (the visits above are in it).
        from govreach.audit.demo import DEMO_AUDITOR

        auditor = fresh()
        site.staff_sign_in(auditor, base, DEMO_AUDITOR)
        audit.goto(auditor, f"{base}/audit/?lang=en", "audit log")
        audit.goto(
            auditor,
            f"{base}/audit/?lang=en&date_from=2026-02-01&date_to=2026-01-01",
            "audit log: error",
            status=400,
        )

        # Outreach: nurse, hospital partner, coordinator.
        nurse = fresh()
        site.staff_sign_in(nurse, base, site.ROLES.nurse)
        audit.goto(nurse, f"{base}/outreach/visits/", "nurse's day")
        visit = Visit.objects.order_by("pk").first()
        assert visit is not None
        audit.goto(nurse, f"{base}/outreach/visits/{visit.pk}/", "visit record")
        partner = fresh()
        site.staff_sign_in(partner, base, site.ROLES.hospital_partner)
        audit.goto(partner, f"{base}/outreach/referrals/new/", "referral form")
        audit.goto(partner, f"{base}/outreach/referrals/", "referrals")
        coordinator = fresh()
        site.staff_sign_in(coordinator, base, site.ROLES.outreach_coordinator)
        audit.goto(coordinator, f"{base}/outreach/figures/", "outreach figures")

        # Programme: coordinator, teacher, school secretary.
        prog = fresh()
        site.staff_sign_in(prog, base, site.ROLES.programme_coordinator)
        audit.goto(prog, f"{base}/programmes/", "programmes")
        audit.goto(prog, f"{base}/programmes/cohorts/{cohort.pk}/", "cohort")
        registration = Registration.objects.filter(cohort=cohort).order_by("pk").first()
        assert registration is not None
        audit.goto(prog, f"{base}/programmes/registrations/{registration.pk}/", "registration")
        audit.goto(prog, f"{base}/programmes/cohorts/{cohort.pk}/outcomes/", "outcomes")
        teacher = fresh()
        site.staff_sign_in(teacher, base, site.ROLES.teacher)
        group = ClassGroup.objects.filter(cohort=cohort, teacher__username=site.ROLES.teacher).first()
        assert group is not None
        audit.goto(teacher, f"{base}/programmes/classes/{group.pk}/", "class")
        session = Session.objects.filter(class_group=group).order_by("held_on").first()
        assert session is not None
        audit.goto(teacher, f"{base}/programmes/sessions/{session.pk}/attendance/", "attendance")
        score = Score.objects.filter(mock_exam__cohort=cohort).first()
        assert score is not None
        audit.goto(
            teacher, f"{base}/programmes/classes/{group.pk}/exams/{score.mock_exam_id}/scores/", "scores"
        )
        # The registration form is shown only while a cohort is open: reopen the demo's for a moment.
        Cohort.objects.filter(pk=cohort.pk).update(status=Cohort.Status.OPEN)
        secretary = fresh()
        site.staff_sign_in(secretary, base, site.ROLES.school_secretary)
        audit.goto(secretary, f"{base}/programmes/br-prepara/register/", "register (school)")

        # Energy tariff: reviewer and counter, the supplier.
        review_pk = _review_for_reviewer()
        reviewer = fresh()
        site.staff_sign_in(reviewer, base, site.ROLES.tariff_reviewer)
        audit.goto(reviewer, f"{base}/entitlements/pt-social-energy-tariff/reviews/", "reviews")
        audit.goto(reviewer, f"{base}/entitlements/reviews/{review_pk}/", "review")
        audit.goto(reviewer, f"{base}/entitlements/pt-social-energy-tariff/counter/", "counter")
        supplier = fresh()
        from govreach.entitlements.models import PartnerMembership

        member = PartnerMembership.objects.select_related("user").first()
        assert member is not None
        site.staff_sign_in(supplier, base, member.user.username)
        audit.goto(supplier, f"{base}/partners/", "partner")

        # Feedback and grievances (issue 8): anyone complains, follows it; a tariff holder rates; an officer.
        walk_feedback(fresh, base, audit, holder, tariff)

        # Rule changes: the demo's policy officer, its versions, a dry run and the demo's pilot.
        from govreach.catalogue.models import PackPilot

        officer = fresh()
        site.staff_sign_in(officer, base, "pt-policy-approver")
        tariff = "pt-social-energy-tariff"
        audit.goto(officer, f"{base}/staff/policy/", "policy versions")
        audit.goto(officer, f"{base}/staff/policy/{tariff}/versions/1.0.0/", "policy version")
        audit.goto(officer, f"{base}/staff/policy/{tariff}/diff/", "dry run form")
        audit.goto(
            officer, f"{base}/staff/policy/{tariff}/diff/?from=0.9.0&to=1.0.0&on=2025-01-01", "dry run"
        )
        pilot = PackPilot.objects.get(service_pack__pack_id=tariff)
        audit.goto(officer, f"{base}/staff/policy/pilots/{pilot.pk}/", "pilot evaluation")
    finally:
        site.close_all(pages)

    print(f"axe: {sum(audit.visited.values())} pages in {time.monotonic() - started:.1f}s")
    assert not audit.problems, "axe-core violations:\n" + "\n".join(audit.problems)
    assert set(audit.visited) == set(CHECKED), set(CHECKED) ^ set(audit.visited)
