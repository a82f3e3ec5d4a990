"""Pack versions move draft -> reviewed -> approved -> active -> retired, never without a second person."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, transaction

from govreach.audit.models import AuditEntry
from govreach.catalogue.models import PackVersionEvent, ServicePack
from govreach.catalogue.selectors import active_pack, service_pack_get
from govreach.catalogue.services import (
    PackVersionRefused,
    pack_version_activate,
    pack_version_approve,
    pack_version_review,
    pack_version_roll_back,
    service_pack_load,
)
from govreach.packs.loader import load_pack

from .conftest import PACK, PACK_DIR, approve, put_in_force


def test_packs_load_installs_the_first_version_and_keeps_the_others_as_drafts(
    loaded: dict[str, ServicePack],
) -> None:
    assert loaded["1.0.0"].is_active and loaded["1.0.0"].state == "active"
    assert loaded["0.9.0"].state == loaded["0.8.0"].state == "draft"
    assert not loaded["0.9.0"].is_active and loaded["0.9.0"].version_dir == "versions/0.9.0"
    assert loaded["0.9.0"].change_summaries["en"].startswith("Qualifying benefits widened")
    assert service_pack_get(PACK).version == "1.0.0"


def test_a_draft_or_reviewed_version_cannot_be_put_in_force(
    loaded: dict[str, ServicePack], approver: Any
) -> None:
    draft = loaded["0.9.0"]
    with pytest.raises(PackVersionRefused, match="approval"):
        pack_version_activate(service_pack=draft, by=approver)
    reviewed = pack_version_review(service_pack=draft, by=approver)
    with pytest.raises(PackVersionRefused, match="approval"):
        pack_version_activate(service_pack=reviewed, by=approver)
    assert service_pack_get(PACK).version == "1.0.0"


def test_reloading_through_packs_load_does_not_put_a_draft_in_force(loaded: dict[str, ServicePack]) -> None:
    from django.core.management import call_command

    call_command("packs", "load", str(PACK_DIR))
    assert service_pack_get(PACK).version == "1.0.0"
    assert ServicePack.objects.get(pack_id=PACK, version="0.9.0").state == "draft"


def test_the_proposer_can_neither_review_nor_approve_their_own_version(
    db: None, proposer: Any, approver: Any
) -> None:
    service_pack_load(pack=load_pack(PACK_DIR))
    row = service_pack_load(pack=load_pack(PACK_DIR, version="0.9.0"), proposed_by=proposer)
    with pytest.raises(PackVersionRefused, match="proposed"):
        pack_version_review(service_pack=row, by=proposer)
    pack_version_review(service_pack=row, by=approver)
    with pytest.raises(PackVersionRefused, match="proposed"):
        pack_version_approve(service_pack=row, by=proposer)
    assert ServicePack.objects.get(pk=row.pk).state == "reviewed"


def test_the_database_refuses_an_approval_by_the_proposer(db: None, proposer: Any) -> None:
    service_pack_load(pack=load_pack(PACK_DIR))
    row = service_pack_load(pack=load_pack(PACK_DIR, version="0.9.0"), proposed_by=proposer)
    with pytest.raises(IntegrityError), transaction.atomic():
        ServicePack.objects.filter(pk=row.pk).update(approved_by=proposer, state="approved")


def test_every_move_is_recorded_with_who_and_when(db: None, proposer: Any, approver: Any) -> None:
    first = service_pack_load(pack=load_pack(PACK_DIR))
    row = service_pack_load(pack=load_pack(PACK_DIR, version="0.9.0"), proposed_by=proposer)
    put_in_force(row, approver)
    row.refresh_from_db()
    assert (row.proposed_by.username, row.reviewed_by.username, row.approved_by, row.activated_by) == (  # type: ignore[union-attr]
        "policy-proposer", "policy-reviewer", approver, approver,
    )  # fmt: skip
    assert row.proposed_at <= row.reviewed_at <= row.approved_at <= row.activated_at  # type: ignore[operator]
    moves = list(PackVersionEvent.objects.filter(service_pack=row).values_list("action", "actor__username"))
    assert moves == [
        ("proposed", "policy-proposer"),
        ("reviewed", "policy-reviewer"),
        ("approved", "policy-approver"),
        ("activated", "policy-approver"),
    ]
    audited = list(
        AuditEntry.objects.filter(action__startswith="pack_version.")
        .order_by("seq")
        .values_list("action", "actor_username")
    )
    assert ("pack_version.approved", "policy-approver") in audited
    assert ("pack_version.reviewed", "policy-reviewer") in audited
    assert audited[-1] == ("pack_version.activated", "policy-approver")
    assert list(PackVersionEvent.objects.filter(service_pack=first).values_list("action", flat=True)) == [
        "proposed",
        "installed",
        "retired",
    ]


def test_an_approved_version_goes_in_force_and_rolling_back_restores_the_previous_one(
    loaded: dict[str, ServicePack], approver: Any
) -> None:
    put_in_force(loaded["0.9.0"], approver)
    assert active_pack(PACK).version == "0.9.0"
    assert (
        active_pack(PACK)
        .ruleset.parameters["income_limit_eur"]
        .value_on(__import__("datetime").date(2024, 7, 1))
        .value
        == 5808
    )  # type: ignore[union-attr]
    assert ServicePack.objects.get(pk=loaded["1.0.0"].pk).state == "retired"
    pack_version_roll_back(pack_id=PACK, by=approver)
    assert active_pack(PACK).version == "1.0.0"
    assert ServicePack.objects.get(pk=loaded["0.9.0"].pk).state == "retired"


def test_an_approved_version_is_not_in_force_until_activated(
    loaded: dict[str, ServicePack], approver: Any
) -> None:
    approve(loaded["0.8.0"], approver)
    assert ServicePack.objects.get(pk=loaded["0.8.0"].pk).state == "approved"
    assert service_pack_get(PACK).version == "1.0.0"


def test_a_version_the_system_loaded_needs_two_different_people(
    loaded: dict[str, ServicePack], approver: Any
) -> None:
    pack_version_review(service_pack=loaded["0.9.0"], by=approver)
    with pytest.raises(PackVersionRefused, match="reviewed"):
        pack_version_approve(service_pack=loaded["0.9.0"], by=approver)
    with pytest.raises(IntegrityError), transaction.atomic():
        ServicePack.objects.filter(pk=loaded["0.9.0"].pk).update(approved_by=approver, state="approved")
    assert ServicePack.objects.get(pk=loaded["0.9.0"].pk).state == "reviewed"
