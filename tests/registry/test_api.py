"""The review-queue API: refusals first (anonymous 401, no permission 403), then the decisions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from govreach.registry.mapping import MappingSpec, mapping_parse
from govreach.registry.models import RecordLink, SourceRecord
from govreach.registry.services import registry_source_import

from .conftest import mapping_data, person_row

pytestmark = pytest.mark.django_db

QUEUE = "/api/registry/review-queue"


@pytest.fixture
def review_link(write_csv: Callable[..., Path], mapping: MappingSpec, areas: int) -> RecordLink:
    registry_source_import(source_name="civil", file_path=write_csv([person_row(1)]), mapping=mapping)
    other = mapping_data(creates_persons=False)
    del other["fields"]["household_key"], other["fields"]["household_role"]
    registry_source_import(
        source_name="energy",
        file_path=write_csv([person_row(1, id="E1")], name="e.csv"),
        mapping=mapping_parse(other),
    )
    return RecordLink.objects.create(
        left_record=SourceRecord.objects.get(source_key="R00001"),
        right_record=SourceRecord.objects.get(source_key="E1"),
        match_probability=0.8,
        method="probabilistic",
        status="review",
        evidence={"family_name": "exact"},
    )


def decide(client: Client, link_id: int, verb: str, note: str = "") -> Any:
    return client.post(
        f"/api/registry/links/{link_id}/{verb}", data={"note": note}, content_type="application/json"
    )


def login(client: Client, *, staff: bool, permitted: bool) -> User:
    user = User.objects.create_user("clerk", is_staff=staff)
    if permitted:
        user.user_permissions.add(
            Permission.objects.get(codename="review_link", content_type__app_label="registry")
        )
    client.force_login(user)
    return user


def test_anonymous_is_refused_with_401(client: Client, review_link: RecordLink) -> None:
    assert client.get(QUEUE).status_code == 401
    assert client.post(f"/api/registry/links/{review_link.pk}/accept").status_code == 401
    review_link.refresh_from_db()
    assert review_link.status == "review"


def test_staff_without_the_permission_is_refused_with_403(client: Client, review_link: RecordLink) -> None:
    login(client, staff=True, permitted=False)
    assert client.get(QUEUE).status_code == 403
    assert client.post(f"/api/registry/links/{review_link.pk}/reject").status_code == 403
    review_link.refresh_from_db()
    assert review_link.status == "review"


def test_permission_without_staff_is_refused_with_403(client: Client, review_link: RecordLink) -> None:
    login(client, staff=False, permitted=True)
    assert client.get(QUEUE).status_code == 403


def test_reviewer_lists_and_accepts(client: Client, review_link: RecordLink) -> None:
    clerk = login(client, staff=True, permitted=True)
    response = client.get(QUEUE)
    assert response.status_code == 200
    (item,) = response.json()
    assert item["id"] == review_link.pk
    assert item["left"]["source"] == "civil"
    assert item["right"]["source_key"] == "E1"

    response = client.post(
        f"/api/registry/links/{review_link.pk}/accept",
        data={"note": "same phone"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["status"] == "accepted"
    review_link.refresh_from_db()
    assert review_link.decided_by_id == clerk.pk
    assert client.get(QUEUE).json() == []


def test_deciding_twice_is_a_conflict(client: Client, review_link: RecordLink) -> None:
    login(client, staff=True, permitted=True)
    assert decide(client, review_link.pk, "reject").status_code == 200
    response = decide(client, review_link.pk, "accept")
    assert response.status_code == 409
    assert "not waiting for review" in response.json()["detail"]


def test_unknown_link_is_404(client: Client, review_link: RecordLink) -> None:
    login(client, staff=True, permitted=True)
    assert decide(client, 999999, "accept").status_code == 404
