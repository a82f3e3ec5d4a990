"""Applying, paying, the case workflow, notifications in the same transaction, deadlines and the record."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from pypdf import PdfReader
from tests.cases.conftest import ANSWERS, PACK_ID, PHONE, pay, upload

from govreach.accounts.models import CitizenAccount
from govreach.cases import services
from govreach.cases.models import Application, CaseEvent, Decision, Document, Hearing, Payment, RecordCopy
from govreach.cases.selectors import (
    application_list_for_citizen,
    case_allowed_transitions,
    case_queue_for_staff,
)
from govreach.notify.models import OutboxMessage

pytestmark = pytest.mark.django_db


def advance_to_hearing_held(application: Application, officers: dict[str, User]) -> Application:
    services.case_transition(application=application, transition_id="register", by_user=officers["ac_land"])
    services.case_transition(
        application=application,
        transition_id="report",
        by_user=officers["ulao"],
        data={"report": "Documents checked against the union register; all in order."},
    )
    services.hearing_schedule(
        application=application,
        by_user=officers["ac_land"],
        scheduled_at=timezone.now() + dt.timedelta(days=3),
        mode="online",
        place="https://meet.example.gov.bd/h/1",
    )
    services.case_transition(
        application=application,
        transition_id="hold_hearing",
        by_user=officers["ac_land"],
        data={"notes": "Applicant and seller heard online."},
    )
    application.refresh_from_db()
    return application


# --- submitting --------------------------------------------------------------------------------------


def test_submit_gives_a_reference_starts_the_28_day_clock_and_queues_the_sms(
    submitted: services.Submission,
) -> None:
    application = submitted.application
    assert application.reference is not None and application.reference.startswith(
        f"BD-{timezone.now().year}-"
    )
    assert application.state == "submitted"
    assert submitted.status_secret and len(submitted.status_secret) == 8
    assert application.due_at is not None and application.submitted_at is not None
    assert application.due_at - application.submitted_at == dt.timedelta(days=28)
    sms = OutboxMessage.objects.get(message_id="application_received")
    assert sms.recipient == PHONE and application.reference in sms.body


def test_submitting_twice_with_the_same_key_creates_one_application(
    ready_draft: Application, citizen: CitizenAccount
) -> None:
    first = services.application_submit(application=ready_draft, by_user=citizen.user, idempotency_key="k-1")
    again = services.application_submit(application=ready_draft, by_user=citizen.user, idempotency_key="k-1")
    assert again.is_repeat and again.status_secret is None
    assert again.application.pk == first.application.pk
    assert Application.objects.count() == 1
    assert CaseEvent.objects.filter(action="submit").count() == 1
    assert OutboxMessage.objects.filter(message_id="application_received").count() == 1


def test_the_back_button_then_submit_again_never_submits_twice(
    ready_draft: Application, citizen: CitizenAccount
) -> None:
    services.application_submit(application=ready_draft, by_user=citizen.user, idempotency_key="k-1")
    # A fresh key for the same (already submitted) application: still one submission.
    again = services.application_submit(application=ready_draft, by_user=citizen.user, idempotency_key="k-2")
    assert again.is_repeat
    assert CaseEvent.objects.filter(action="submit").count() == 1


def test_drafts_are_resumed_not_duplicated(citizen: CitizenAccount) -> None:
    first = services.application_draft_save(
        applicant=citizen.user, pack_id=PACK_ID, form_id="application", answers={"mouza": "Baipail"}
    )
    second = services.application_draft_save(
        applicant=citizen.user, pack_id=PACK_ID, form_id="application", answers={"khatian_number": "512"}
    )
    assert first.pk == second.pk
    assert second.answers == {"mouza": "Baipail", "khatian_number": "512"}


def test_wrong_answers_are_named_with_the_fix(citizen: CitizenAccount) -> None:
    with pytest.raises(services.AnswersInvalid) as exc:
        services.application_draft_save(
            applicant=citizen.user,
            pack_id=PACK_ID,
            form_id="application",
            answers={
                "transfer_kind": "theft",
                "persons_to_notify": "many",
                "land_union": "BD-302601",
                "nope": 1,
            },
        )
    assert set(exc.value.errors) == {"transfer_kind", "persons_to_notify", "land_union", "nope"}
    assert "purchase, gift, inheritance" in exc.value.errors["transfer_kind"]
    assert not Application.objects.exists()


def test_an_application_missing_a_document_is_refused_with_the_document_named(
    citizen: CitizenAccount,
) -> None:
    draft = services.application_draft_save(
        applicant=citizen.user, pack_id=PACK_ID, form_id="application", answers=ANSWERS
    )
    for kind in ("deed_copy", "khatian_copy", "national_id_copy", "photo"):
        services.document_attach(
            application=draft, kind=kind, uploaded_file=upload(kind), by_user=citizen.user
        )
    with pytest.raises(services.AnswersInvalid) as exc:
        services.application_submit(application=draft, by_user=citizen.user, idempotency_key="k")
    assert list(exc.value.errors) == ["land_tax_receipt"]
    draft.refresh_from_db()
    assert draft.is_draft and draft.reference is None


def test_unpaid_fees_make_the_application_not_admissible(citizen: CitizenAccount) -> None:
    draft = services.application_draft_save(
        applicant=citizen.user, pack_id=PACK_ID, form_id="application", answers=ANSWERS
    )
    for kind in ("deed_copy", "khatian_copy", "land_tax_receipt", "national_id_copy", "photo"):
        services.document_attach(
            application=draft, kind=kind, uploaded_file=upload(kind), by_user=citizen.user
        )
    pay(draft, "court_fee")
    with pytest.raises(services.NotAdmissible) as exc:
        services.application_submit(application=draft, by_user=citizen.user, idempotency_key="k")
    criteria = {c.id: c.outcome for c in exc.value.result.criteria}
    assert criteria["court_fee_paid"] is True and criteria["notice_fee_paid"] is False
    assert "notice fee" in exc.value.message
    pay(draft, "notice_fee")
    assert services.application_submit(
        application=draft, by_user=citizen.user, idempotency_key="k"
    ).application.reference


def test_an_inheritance_asks_for_the_heir_certificate(citizen: CitizenAccount) -> None:
    draft = services.application_draft_save(
        applicant=citizen.user,
        pack_id=PACK_ID,
        form_id="application",
        answers={**ANSWERS, "transfer_kind": "inheritance"},
    )
    for kind in ("deed_copy", "khatian_copy", "land_tax_receipt", "national_id_copy", "photo"):
        services.document_attach(
            application=draft, kind=kind, uploaded_file=upload(kind), by_user=citizen.user
        )
    assert "heir_certificate" in services.missing_answers(draft)
    services.document_attach(
        application=draft, kind="heir_certificate", uploaded_file=upload("x"), by_user=citizen.user
    )
    assert services.missing_answers(draft) == {}


# --- documents ---------------------------------------------------------------------------------------


def test_a_text_file_named_pdf_is_refused_by_its_content(citizen: CitizenAccount) -> None:
    draft = services.application_draft_save(
        applicant=citizen.user, pack_id=PACK_ID, form_id="application", answers={}
    )
    fake = upload("deed_copy", b"This is not a PDF, whatever its name says.\n" * 10, name="deed.pdf")
    with pytest.raises(services.DocumentRefused) as exc:
        services.document_attach(
            application=draft, kind="deed_copy", uploaded_file=fake, by_user=citizen.user
        )
    assert exc.value.field == "deed_copy"
    assert "not a PDF, JPEG, PNG file" in exc.value.message and exc.value.fix
    assert not Document.objects.exists()


def test_a_pdf_is_refused_where_only_a_photo_is_accepted(citizen: CitizenAccount) -> None:
    draft = services.application_draft_save(
        applicant=citizen.user, pack_id=PACK_ID, form_id="application", answers={}
    )
    with pytest.raises(services.DocumentRefused, match="not a JPEG, PNG file"):
        services.document_attach(
            application=draft, kind="photo", uploaded_file=upload("deed_copy"), by_user=citizen.user
        )


def test_an_oversized_file_is_refused_with_the_limit(citizen: CitizenAccount) -> None:
    draft = services.application_draft_save(
        applicant=citizen.user, pack_id=PACK_ID, form_id="application", answers={}
    )
    big = upload("deed_copy", b"%PDF-1.4\n" + b"0" * 5_000_001)
    with pytest.raises(services.DocumentRefused) as exc:
        services.document_attach(application=draft, kind="deed_copy", uploaded_file=big, by_user=citizen.user)
    assert "the limit is 5 MB" in exc.value.message and exc.value.field == "deed_copy"


def test_a_real_pdf_is_stored_with_its_detected_type_and_digest(citizen: CitizenAccount) -> None:
    draft = services.application_draft_save(
        applicant=citizen.user, pack_id=PACK_ID, form_id="application", answers={}
    )
    document = services.document_attach(
        application=draft,
        kind="deed_copy",
        uploaded_file=upload("deed_copy", name="scan.png"),
        by_user=citizen.user,
    )
    assert document.content_type == "application/pdf" and len(document.sha256) == 64


def test_only_the_applicant_may_attach(citizen: CitizenAccount, officers: dict[str, User]) -> None:
    draft = services.application_draft_save(
        applicant=citizen.user, pack_id=PACK_ID, form_id="application", answers={}
    )
    with pytest.raises(services.NotPermitted):
        services.document_attach(
            application=draft, kind="deed_copy", uploaded_file=upload("d"), by_user=officers["ulao"]
        )


# --- fees --------------------------------------------------------------------------------------------


def test_fees_come_from_the_parameters_in_force(ready_draft: Application) -> None:
    payments = {p.purpose: p for p in ready_draft.payments.all()}
    assert payments["court_fee"].amount == Decimal("20.00") and payments["court_fee"].currency == "BDT"
    assert payments["notice_fee"].amount == Decimal("50.00")
    assert services.fee_amount(ready_draft, "record_fee") == Decimal("1100.00")


def test_requesting_the_same_fee_twice_opens_one_payment(ready_draft: Application) -> None:
    again = services.payment_request(application=ready_draft, purpose="court_fee")
    assert again.status == Payment.Status.PAID
    assert ready_draft.payments.filter(purpose="court_fee").count() == 1


def test_the_record_fee_is_not_payable_before_approval(ready_draft: Application) -> None:
    with pytest.raises(services.CaseError, match="not payable at this stage"):
        services.payment_request(application=ready_draft, purpose="record_fee")


# --- the workflow: refusals --------------------------------------------------------------------------


def test_a_union_assistant_cannot_give_the_case_number(
    submitted: services.Submission, officers: dict[str, User]
) -> None:
    with pytest.raises(services.NotPermitted):
        services.case_transition(
            application=submitted.application, transition_id="register", by_user=officers["ulao"]
        )


def test_an_officer_of_another_union_cannot_report_on_this_case(
    submitted: services.Submission, officers: dict[str, User]
) -> None:
    application = submitted.application
    services.case_transition(application=application, transition_id="register", by_user=officers["ac_land"])
    with pytest.raises(services.NotPermitted):
        services.case_transition(
            application=application,
            transition_id="report",
            by_user=officers["ulao_other"],
            data={"report": "ok"},
        )
    assert case_allowed_transitions(application, officers["ulao_other"]) == []
    assert [t.id for t in case_allowed_transitions(application, officers["ulao"])] == [
        "verify_heir_certificate",
        "report",
    ]
    application.refresh_from_db()
    assert application.state == "registered"


def test_a_citizen_cannot_take_an_officer_step(
    submitted: services.Submission, citizen: CitizenAccount
) -> None:
    with pytest.raises(services.NotPermitted):
        services.case_transition(
            application=submitted.application, transition_id="register", by_user=citizen.user
        )


def test_the_report_needs_its_text(submitted: services.Submission, officers: dict[str, User]) -> None:
    application = submitted.application
    services.case_transition(application=application, transition_id="register", by_user=officers["ac_land"])
    with pytest.raises(services.TransitionRefused) as exc:
        services.case_transition(
            application=application, transition_id="report", by_user=officers["ulao"], data={}
        )
    assert exc.value.field == "report"


def test_no_rejection_before_the_hearing_is_held(
    submitted: services.Submission, officers: dict[str, User]
) -> None:
    application = submitted.application
    services.case_transition(application=application, transition_id="register", by_user=officers["ac_land"])
    with pytest.raises(services.TransitionRefused) as exc:
        services.case_transition(
            application=application,
            transition_id="reject",
            by_user=officers["ac_land"],
            data={"reason": "Deed doubtful."},
        )
    assert "No application may be rejected without a hearing." in exc.value.message
    assert not Decision.objects.exists()
    application.refresh_from_db()
    assert application.state == "registered"


def test_a_rejection_after_the_hearing_records_reasons_and_trace(
    submitted: services.Submission, officers: dict[str, User]
) -> None:
    application = advance_to_hearing_held(submitted.application, officers)
    assert Hearing.objects.get(application=application).held_at is not None
    services.case_transition(
        application=application,
        transition_id="reject",
        by_user=officers["ac_land"],
        data={"reason": "The seller was not the recorded owner."},
    )
    decision = Decision.objects.get(application=application)
    assert decision.outcome == "rejected" and decision.reasons == "The seller was not the recorded owner."
    assert decision.rule_trace["decisions"]["rejection_permitted"] is True
    assert decision.pack_version == "1.0.0" and decision.decided_by == officers["ac_land"]
    sms = OutboxMessage.objects.get(message_id="decision_rejected")
    assert "The seller was not the recorded owner." in sms.body


def test_every_step_sends_the_applicant_an_sms(
    submitted: services.Submission, officers: dict[str, User]
) -> None:
    advance_to_hearing_held(submitted.application, officers)
    sent = list(OutboxMessage.objects.order_by("pk").values_list("message_id", flat=True))
    assert sent == [
        "application_received",
        "status_update",
        "report_filed",
        "hearing_scheduled",
        "status_update",
    ]
    notice = OutboxMessage.objects.get(message_id="hearing_scheduled")
    assert "https://meet.example.gov.bd/h/1" in notice.body


def test_the_sms_rolls_back_with_the_step(submitted: services.Submission, officers: dict[str, User]) -> None:
    application = submitted.application
    before = OutboxMessage.objects.count()

    def step_then_crash() -> None:
        with transaction.atomic():
            services.case_transition(
                application=application, transition_id="register", by_user=officers["ac_land"]
            )
            assert OutboxMessage.objects.count() == before + 1  # written in the same transaction...
            raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        step_then_crash()
    assert OutboxMessage.objects.count() == before  # ...and gone with it
    application.refresh_from_db()
    assert application.state == "submitted" and not application.case_number


# --- approval, payment and the record ----------------------------------------------------------------


def test_approval_then_the_tk_1100_payment_issues_the_record_with_a_qr_to_the_verify_page(
    submitted: services.Submission, officers: dict[str, User], citizen: CitizenAccount
) -> None:
    application = advance_to_hearing_held(submitted.application, officers)
    services.case_transition(
        application=application,
        transition_id="approve",
        by_user=officers["ac_land"],
        data={"reason": "Deed and record agree."},
    )
    approved = OutboxMessage.objects.get(message_id="decision_approved")
    assert "Pay Tk 1,100" in approved.body
    payment = services.payment_request(application=application, purpose="record_fee")
    assert payment.amount == Decimal("1100.00")
    services.payment_confirm(payment=payment, provider_reference="DEMO-1")
    application.refresh_from_db()
    assert application.state == "record_issued"
    record = RecordCopy.objects.get(application=application)
    reader = PdfReader(io.BytesIO(record.pdf.read()))
    text = reader.pages[0].extract_text()
    assert application.reference in text and record.record_number in text
    assert f"/verify/{record.verification_token}/" in text
    images = reader.pages[0].images
    assert len(images) == 1  # the QR code
    assert services.record_issue(application=application).pk == record.pk  # idempotent
    assert OutboxMessage.objects.filter(message_id="record_ready").count() == 1


def test_the_qr_code_encodes_the_verify_url(
    submitted: services.Submission, officers: dict[str, User]
) -> None:
    import segno

    application = advance_to_hearing_held(submitted.application, officers)
    services.case_transition(
        application=application, transition_id="approve", by_user=officers["ac_land"], data={"reason": "ok"}
    )
    pay(application, "record_fee")
    record = RecordCopy.objects.get(application=application)
    image = PdfReader(io.BytesIO(record.pdf.read())).pages[0].images[0].image
    expected = segno.make(f"/verify/{record.verification_token}/", error="m")
    # The embedded image is the expected QR symbol: compare module by module at the rendered scale.
    grey = image.convert("L")
    scale, border = 6, 2
    for row_index, row in enumerate(expected.matrix):
        for col_index, dark in enumerate(row):
            pixel = grey.getpixel(
                ((col_index + border) * scale + scale // 2, (row_index + border) * scale + scale // 2)
            )
            assert (pixel < 128) == bool(dark)


def test_a_record_cannot_be_issued_before_approval(submitted: services.Submission) -> None:
    with pytest.raises(services.TransitionRefused):
        services.record_issue(application=submitted.application)


# --- deadlines -----------------------------------------------------------------------------------------


def test_a_case_past_28_days_is_overdue_and_escalated_to_the_district_once(
    submitted: services.Submission, officers: dict[str, User]
) -> None:
    application = submitted.application
    assert application.submitted_at is not None
    day_27 = application.submitted_at + dt.timedelta(days=27)
    assert services.cases_escalate_overdue(now=day_27) == []
    day_28 = application.submitted_at + dt.timedelta(days=28)
    [escalated] = services.cases_escalate_overdue(now=day_28)
    assert escalated.pk == application.pk
    application.refresh_from_db()
    assert application.is_escalated and application.escalated_to_role == "adc_revenue"
    assert application.is_overdue(day_28)
    assert services.cases_escalate_overdue(now=day_28 + dt.timedelta(hours=1)) == []
    assert CaseEvent.objects.filter(action="escalated").count() == 1
    assert OutboxMessage.objects.filter(message_id="case_overdue").count() == 1


def test_a_report_late_by_7_days_escalates_to_the_assistant_commissioner(
    submitted: services.Submission, officers: dict[str, User]
) -> None:
    application = submitted.application
    services.case_transition(application=application, transition_id="register", by_user=officers["ac_land"])
    application.refresh_from_db()
    assert application.state_due_at is not None
    [escalated] = services.cases_escalate_overdue(now=application.state_due_at + dt.timedelta(minutes=1))
    assert escalated.escalated_to_role == "ac_land"
    assert not OutboxMessage.objects.filter(message_id="case_overdue").exists()


def test_the_escalate_command_runs(submitted: services.Submission) -> None:
    from django.core.management import call_command

    out = io.StringIO()
    call_command("cases", "escalate", stdout=out)
    assert "0 case(s) escalated" in out.getvalue()


# --- selectors ----------------------------------------------------------------------------------------


def test_the_queue_shows_only_the_officers_area_overdue_first(
    submitted: services.Submission, officers: dict[str, User], citizen: CitizenAccount
) -> None:
    late = submitted.application
    Application.objects.filter(pk=late.pk).update(due_at=timezone.now() - dt.timedelta(days=1))
    other = services.application_draft_save(
        applicant=citizen.user,
        pack_id=PACK_ID,
        form_id="application",
        answers={**ANSWERS, "land_union": "BD-30260102"},
    )
    Application.objects.filter(pk=other.pk).update(
        state="submitted", reference="BD-2026-999999", due_at=timezone.now() + dt.timedelta(days=20)
    )
    assert [a.pk for a in case_queue_for_staff(officers["ac_land"], pack_id=PACK_ID)] == [late.pk, other.pk]
    assert [a.pk for a in case_queue_for_staff(officers["ulao"], pack_id=PACK_ID)] == [late.pk]
    assert [a.pk for a in case_queue_for_staff(officers["ulao_other"], pack_id=PACK_ID)] == [other.pk]
    assert list(case_queue_for_staff(officers["ac_land"], pack_id=PACK_ID, state="registered")) == []


def test_a_citizen_sees_their_own_applications_only(
    submitted: services.Submission, citizen: CitizenAccount
) -> None:
    from govreach.accounts.services import citizen_account_get_or_create

    neighbour, _ = citizen_account_get_or_create(phone="+8801898765432", language="bn")
    assert list(application_list_for_citizen(citizen)) == [submitted.application]
    assert list(application_list_for_citizen(neighbour)) == []
