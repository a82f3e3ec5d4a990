"""The Portuguese tariff with its kept versions, loaded the way `govreach packs load` does, and people."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from govreach.catalogue.models import ServicePack
from govreach.catalogue.services import pack_version_activate, pack_version_approve, pack_version_review

PACK = "pt-social-energy-tariff"
PACK_DIR = Path(__file__).resolve().parents[2] / "packs" / PACK


@pytest.fixture
def proposer(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user(username="policy-proposer", is_staff=True)


@pytest.fixture
def approver(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user(username="policy-approver", is_staff=True)


@pytest.fixture
def loaded(db: None) -> dict[str, ServicePack]:
    """1.0.0 installed in force; 0.8.0 and 0.9.0 recorded as drafts (proposed by the system)."""
    call_command("packs", "load", str(PACK_DIR))
    return {row.version: row for row in ServicePack.objects.filter(pack_id=PACK)}


def approve(row: ServicePack, by: Any) -> ServicePack:
    """Reviewed by a colleague, approved by ``by``: two people, as every version needs."""
    from django.contrib.auth.models import User

    reviewer, _ = User.objects.get_or_create(username="policy-reviewer", defaults={"is_staff": True})
    pack_version_review(service_pack=row, by=reviewer)
    return pack_version_approve(service_pack=row, by=by)


def put_in_force(row: ServicePack, by: Any) -> ServicePack:
    return pack_version_activate(service_pack=approve(row, by), by=by)
