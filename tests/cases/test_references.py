"""Application references: one number per submission, never the same twice, even submitted at once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.utils import timezone
from tests.cases.conftest import ANSWERS, DOCUMENTS, PACK_ID, pay, upload

from govreach.accounts.services import citizen_account_get_or_create
from govreach.cases import services
from govreach.cases.models import Application, ReferenceCounter
from govreach.catalogue.models import ServicePack
from govreach.registry.models import Area


def _ready_draft(phone: str) -> Application:
    account, _created = citizen_account_get_or_create(phone=phone, language="en")
    draft = services.application_draft_save(
        applicant=account.user, pack_id=PACK_ID, form_id="application", answers=ANSWERS
    )
    for kind in DOCUMENTS:
        services.document_attach(
            application=draft, kind=kind, uploaded_file=upload(kind), by_user=account.user
        )
    pay(draft, "court_fee")
    pay(draft, "notice_fee")
    return draft


def test_references_follow_the_highest_one_given_before_the_counter_existed(
    bd_service_pack: ServicePack, areas: dict[str, Area]
) -> None:
    prefix = f"BD-{timezone.now().year}-"
    earlier = _ready_draft("+8801712000001")
    Application.objects.filter(pk=earlier.pk).update(state="submitted", reference=f"{prefix}000041")
    first = _ready_draft("+8801712000002")
    second = _ready_draft("+8801712000003")
    for n, draft in enumerate((first, second)):
        services.application_submit(application=draft, by_user=draft.applicant, idempotency_key=f"k-{n}")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.reference, second.reference) == (f"{prefix}000042", f"{prefix}000043")
    assert ReferenceCounter.objects.get(prefix=prefix).last_number == 43


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL (SQLite serialises)")
@pytest.mark.django_db(transaction=True)
def test_citizens_submitting_at_the_same_instant_get_distinct_consecutive_references(
    bd_service_pack: ServicePack, areas: dict[str, Area]
) -> None:
    drafts = [_ready_draft(f"+88017120001{n:02d}") for n in range(8)]
    barrier = threading.Barrier(len(drafts))
    errors: list[BaseException] = []

    def submit(draft: Application, n: int) -> None:
        try:
            barrier.wait(timeout=30)
            services.application_submit(application=draft, by_user=draft.applicant, idempotency_key=f"c-{n}")
        except BaseException as exc:  # collected, so the test reports it rather than a silent thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=(d, n)) for n, d in enumerate(drafts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    references = sorted(Application.objects.exclude(reference=None).values_list("reference", flat=True))
    prefix = f"BD-{timezone.now().year}-"
    assert references == [f"{prefix}{n:06d}" for n in range(1, 9)]
