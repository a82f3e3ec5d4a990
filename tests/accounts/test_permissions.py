"""Who may act where: a role held on an area covers it and everything below, never a sibling or a parent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.contrib.auth.models import AnonymousUser, User
from tests.accounts.conftest import PACK_ID

from govreach.accounts.selectors import staff_area_scope, staff_assignments_for, staff_can_act
from govreach.accounts.services import staff_assignment_create
from govreach.registry.models import Area

pytestmark = pytest.mark.django_db

ASSISTANT = "union_land_assistant"
AC_LAND = "assistant_commissioner_land"


@pytest.fixture
def ashulia_officer(make_staff: Callable[..., User], areas: dict[str, Area]) -> User:
    user = make_staff("ashulia")
    staff_assignment_create(user=user, pack_id=PACK_ID, role=ASSISTANT, area=areas["BD-30260101"])
    return user


def test_union_officer_can_act_on_own_union_and_its_children(
    ashulia_officer: User, areas: dict[str, Area]
) -> None:
    for code in ("BD-30260101", "BD-3026010101"):
        assert staff_can_act(ashulia_officer, pack_id=PACK_ID, roles=[ASSISTANT], area=areas[code])


def test_union_officer_cannot_act_on_another_union(ashulia_officer: User, areas: dict[str, Area]) -> None:
    assert not staff_can_act(ashulia_officer, pack_id=PACK_ID, roles=[ASSISTANT], area=areas["BD-30260102"])


def test_union_officer_cannot_act_above_the_union(ashulia_officer: User, areas: dict[str, Area]) -> None:
    for code in ("BD-302601", "BD-3026", "BD"):
        assert not staff_can_act(ashulia_officer, pack_id=PACK_ID, roles=[ASSISTANT], area=areas[code])


def test_role_and_pack_must_match(ashulia_officer: User, areas: dict[str, Area]) -> None:
    union = areas["BD-30260101"]
    assert not staff_can_act(ashulia_officer, pack_id=PACK_ID, roles=[AC_LAND], area=union)
    assert not staff_can_act(ashulia_officer, pack_id="br-prepara", roles=[ASSISTANT], area=union)
    assert not staff_can_act(ashulia_officer, pack_id=PACK_ID, roles=[], area=union)
    assert staff_can_act(ashulia_officer, pack_id=PACK_ID, roles={AC_LAND, ASSISTANT}, area=union)


def test_upazila_officer_covers_every_union_below(
    make_staff: Callable[..., User], areas: dict[str, Area]
) -> None:
    user = make_staff("savar-ac")
    staff_assignment_create(user=user, pack_id=PACK_ID, role=AC_LAND, area=areas["BD-302601"])
    for code in ("BD-302601", "BD-30260101", "BD-3026010101", "BD-30260102"):
        assert staff_can_act(user, pack_id=PACK_ID, roles=[AC_LAND], area=areas[code])
    assert not staff_can_act(user, pack_id=PACK_ID, roles=[AC_LAND], area=areas["BD-3027"])


def test_ended_or_future_assignments_do_not_count(
    make_staff: Callable[..., User], areas: dict[str, Area]
) -> None:
    today = dt.date.today()
    ended = make_staff("ended")
    staff_assignment_create(
        user=ended,
        pack_id=PACK_ID,
        role=ASSISTANT,
        area=areas["BD-30260101"],
        starts_on=today - dt.timedelta(days=30),
        ends_on=today - dt.timedelta(days=1),
    )
    future = make_staff("future")
    staff_assignment_create(
        user=future,
        pack_id=PACK_ID,
        role=ASSISTANT,
        area=areas["BD-30260101"],
        starts_on=today + dt.timedelta(days=1),
    )
    for user in (ended, future):
        assert not staff_can_act(user, pack_id=PACK_ID, roles=[ASSISTANT], area=areas["BD-30260101"])
        assert staff_assignments_for(user, pack_id=PACK_ID) == []
        assert not staff_area_scope(user, pack_id=PACK_ID).exists()


def test_inactive_and_anonymous_users_can_do_nothing(ashulia_officer: User, areas: dict[str, Area]) -> None:
    union = areas["BD-30260101"]
    assert not staff_can_act(AnonymousUser(), pack_id=PACK_ID, roles=[ASSISTANT], area=union)
    ashulia_officer.is_active = False
    ashulia_officer.save()
    assert not staff_can_act(ashulia_officer, pack_id=PACK_ID, roles=[ASSISTANT], area=union)


def test_area_scope_is_the_assigned_subtrees(make_staff: Callable[..., User], areas: dict[str, Area]) -> None:
    user = make_staff("two-unions")
    staff_assignment_create(user=user, pack_id=PACK_ID, role=ASSISTANT, area=areas["BD-30260101"])
    staff_assignment_create(user=user, pack_id=PACK_ID, role=ASSISTANT, area=areas["BD-3027"])
    scope = {a.code for a in staff_area_scope(user, pack_id=PACK_ID)}
    assert scope == {"BD-30260101", "BD-3026010101", "BD-3027"}
    assert [a.role for a in staff_assignments_for(user, pack_id=PACK_ID)] == [ASSISTANT, ASSISTANT]


def test_can_act_is_one_query(
    ashulia_officer: User, areas: dict[str, Area], django_assert_num_queries: Callable[..., object]
) -> None:
    ward = areas["BD-3026010101"]
    with django_assert_num_queries(1):  # type: ignore[attr-defined]
        assert staff_can_act(ashulia_officer, pack_id=PACK_ID, roles=[ASSISTANT], area=ward)


def test_assignment_dates_must_be_ordered(make_staff: Callable[..., User], areas: dict[str, Area]) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        staff_assignment_create(
            user=make_staff("x"),
            pack_id=PACK_ID,
            role=ASSISTANT,
            area=areas["BD"],
            starts_on=dt.date(2026, 2, 1),
            ends_on=dt.date(2026, 1, 1),
        )
