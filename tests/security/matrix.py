"""The world and the callers of the permission matrix (tests/security/test_permission_matrix.py).

The world is the demo (every pack, its population, every demo account, as ``make demo`` builds it), plus
what the demo leaves out: a submitted e-Mutation application with a document, a citizen who owns
nothing, and officers holding the same roles in another area. Each role is a test client signed in the
way that role signs in (staff: both factors; citizens: by phone), built by ``callers``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from tests.browser import site
from tests.web.conftest import hidden, image_bytes, pdf_bytes

from govreach.accounts.access import SESSION_STAFF_VERIFIED
from govreach.accounts.models import CitizenAccount, Intermediary, StaffAssignment
from govreach.accounts.services import citizen_account_get_or_create, consent_record_signed
from govreach.cases.models import Application
from govreach.catalogue.models import PackPilot
from govreach.entitlements.models import EntitlementPerson, PartnerMembership
from govreach.registry.models import Area

BD = "bd-land-mutation"
PT = "pt-social-energy-tariff"
BD_UNION = "BD-30261111"  # Ramnagar, in the demo officers' area

#: Every role the matrix tries, in the order the report lists them.
ROLES = (
    "anonymous",
    "citizen",  # the e-Mutation applicant (owns the application)
    "tariff_holder",  # a citizen holding the energy tariff
    "other_citizen",  # signed in, owns nothing
    "intermediary",  # Union Digital Centre operator, acting for no one
    "land_officer",  # assistant commissioner (land) of the application's upazila
    "land_officer_elsewhere",  # the same role in another upazila
    "tariff_reviewer",
    "supplier",  # an electricity supplier's staff member (partner)
    "nurse",
    "nurse_elsewhere",
    "hospital_partner",
    "outreach_coordinator",
    "programme_coordinator",
    "teacher",
    "school_secretary",
    "finance_officer",  # budget lines of the land service (transparency)
    "auditor",  # reads the audit log
    "policy_officer",  # approves rule versions and runs pilots of the tariff
)


@dataclass
class World:
    """Ids of the objects the URL patterns need, and the test clients of every role."""

    ids: dict[str, Any] = field(default_factory=dict)
    clients: dict[str, Client] = field(default_factory=dict)


def _staff(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    session = client.session
    session[SESSION_STAFF_VERIFIED] = True
    session.save()
    return client


def _citizen(account: CitizenAccount) -> Client:
    client = Client()
    client.force_login(account.user)
    return client


def _same_role_elsewhere(username: str, new_username: str) -> None:
    """A user with ``username``'s assignments moved to an area at the same level outside its own."""
    user = User.objects.create_user(username=new_username, password=site.DEMO_PASSWORD)
    for assignment in StaffAssignment.objects.filter(user__username=username):
        own = assignment.area
        other = (
            Area.objects.filter(level=own.level)
            .exclude(path__startswith=own.path)
            .exclude(code__in=own.ancestor_codes)
            .order_by("code")
            .first()
        )
        assert other is not None, f"the demo has no second {own.level} for {username}'s role"
        StaffAssignment.objects.create(
            user=user, pack_id=assignment.pack_id, role=assignment.role, area=other
        )


def _apply(client: Client) -> str:
    """An e-Mutation application submitted by the demo citizen through HTTP; its reference."""
    from tests.web.journey import PAGES

    apply = f"/services/{BD}/apply/"
    answers = {**PAGES, "land": {**PAGES["land"], "q-land_union": BD_UNION}}
    for page in ("applicant", "land", "transfer"):
        response = client.post(f"{apply}{page}/", answers[page])
        assert response.status_code == 302, response.content.decode()[:2000]
    files = {
        "q-deed_copy": SimpleUploadedFile("d.pdf", pdf_bytes()),
        "q-khatian_copy": SimpleUploadedFile("k.jpg", image_bytes("JPEG")),
        "q-land_tax_receipt": SimpleUploadedFile("r.png", image_bytes("PNG")),
        "q-national_id_copy": SimpleUploadedFile("n.pdf", pdf_bytes()),
        "q-photo": SimpleUploadedFile("p.jpg", image_bytes("JPEG")),
    }
    assert client.post(f"{apply}documents/", files).status_code == 302
    assert client.post(f"{apply}fees/", answers["fees"]).status_code == 302
    for _ in range(2):
        page = client.get(f"{apply}pay-fees/").content.decode()
        if 'name="purpose"' not in page:
            break
        gateway = client.post(f"{apply}pay-fees/", {"purpose": hidden(page, "purpose")}).content.decode()
        client.post(f"{apply}confirm-payment/", {"payment": hidden(gateway, "payment")})
    html = client.get(f"{apply}check-answers/").content.decode()
    data = {"draft": hidden(html, "draft"), "idempotency_key": hidden(html, "idempotency_key")}
    assert client.post(f"{apply}submit-application/", data).status_code == 302
    return Application.objects.exclude(state="draft").latest("pk").reference


def _failed_message() -> int:
    """A land-service SMS that the gateway gave up on, in the officers' area: what the failed page lists."""
    from govreach.notify.models import OutboxMessage

    message = OutboxMessage.objects.filter(message_id="application_received").order_by("pk").first()
    assert message is not None, "the matrix application should have queued its receipt SMS"
    OutboxMessage.objects.filter(pk=message.pk).update(status="failed", last_error="gateway timed out")
    return message.pk


def world_build(django_settings: Any, var_dir: Path, media_dir: Path, review: Callable[[], int]) -> World:
    from govreach.entitlements.models import Cycle, PartnerToken
    from govreach.outreach.models import Visit
    from govreach.programmes.models import Allocation, ClassGroup, Cohort, Registration, Score, Session

    site.demo_world_build(django_settings, var_dir, media_dir)
    world = World()
    citizen = CitizenAccount.objects.get(phone=site.ROLES.bd_citizen_phone)
    holder = EntitlementPerson.objects.filter(
        entitlement__status="active", is_contract_holder=True, person__citizen_accounts__isnull=False
    ).first()
    assert holder is not None and holder.person is not None
    holder_account = holder.person.citizen_accounts.first()
    assert holder_account is not None
    nobody, _created = citizen_account_get_or_create(phone="+8801899000111")
    _same_role_elsewhere(site.ROLES.bd_officer, "land-officer-elsewhere")
    _same_role_elsewhere(site.ROLES.nurse, "nurse-elsewhere")
    member = PartnerMembership.objects.select_related("user").first()
    assert member is not None

    c = world.clients
    c["anonymous"] = Client()
    c["citizen"] = _citizen(citizen)
    c["tariff_holder"] = _citizen(holder_account)
    c["other_citizen"] = _citizen(nobody)
    c["intermediary"] = _staff(site.ROLES.intermediary)
    c["land_officer"] = _staff(site.ROLES.bd_officer)
    c["land_officer_elsewhere"] = _staff("land-officer-elsewhere")
    c["tariff_reviewer"] = _staff(site.ROLES.tariff_reviewer)
    c["supplier"] = _staff(member.user.username)
    c["nurse"] = _staff(site.ROLES.nurse)
    c["nurse_elsewhere"] = _staff("nurse-elsewhere")
    c["hospital_partner"] = _staff(site.ROLES.hospital_partner)
    c["outreach_coordinator"] = _staff(site.ROLES.outreach_coordinator)
    c["programme_coordinator"] = _staff(site.ROLES.programme_coordinator)
    c["teacher"] = _staff(site.ROLES.teacher)
    c["school_secretary"] = _staff(site.ROLES.school_secretary)
    c["finance_officer"] = _staff("demo-finance")
    c["auditor"] = _staff("demo-auditor")
    c["policy_officer"] = _staff("pt-policy-approver")
    assert set(c) == set(ROLES)

    reference = _apply(_citizen(citizen))
    application = Application.objects.get(reference=reference)
    cohort = Cohort.objects.get(pack_id="br-prepara")
    group = ClassGroup.objects.filter(cohort=cohort, teacher__username=site.ROLES.teacher).first()
    assert group is not None
    score = Score.objects.filter(mock_exam__cohort=cohort).first()
    assert score is not None
    visit = (
        Visit.objects.filter(nurse__username=site.ROLES.nurse).order_by("pk").first() or Visit.objects.first()
    )
    assert visit is not None
    consent = consent_record_signed(
        intermediary=Intermediary.objects.get(user__username=site.ROLES.intermediary),
        citizen_phone=citizen.phone,
        pack_id=BD,
        upload=SimpleUploadedFile("consent.pdf", pdf_bytes()),
    )
    world.ids = {
        "reference": reference,
        "document_id": application.documents.order_by("pk").first().pk,  # type: ignore[union-attr]
        "consent_id": consent.pk,
        "entitlement_id": holder.entitlement_id,
        "review_id": review(),
        "cycle_id": Cycle.objects.filter(pack_id=PT).order_by("pk").first().pk,  # type: ignore[union-attr]
        "token_id": PartnerToken.objects.filter(partner=member.partner).order_by("pk").first().pk,  # type: ignore[union-attr]
        "cohort_id": cohort.pk,
        "registration_id": Registration.objects.filter(cohort=cohort).order_by("pk").first().pk,  # type: ignore[union-attr]
        "allocation_id": Allocation.objects.filter(cohort=cohort).order_by("pk").first().pk,  # type: ignore[union-attr]
        "class_id": group.pk,
        "exam_id": score.mock_exam_id,
        "session_id": Session.objects.filter(class_group=group).order_by("pk").first().pk,  # type: ignore[union-attr]
        "visit_id": visit.pk,
        "verify_token": "not-a-real-code",
        "area_code": BD_UNION,
        "opendata_file": "datapackage.json",
        "message_id": _failed_message(),
        # --- policy: dry runs, versions, pilots (issue 9): the demo's pilot of the tariff
        "pilot_id": PackPilot.objects.filter(service_pack__pack_id=PT).order_by("pk").first().pk,  # type: ignore[union-attr]
    }
    return world
