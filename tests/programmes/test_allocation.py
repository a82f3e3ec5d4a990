"""Allocation of capped places: priority first, then a lottery anyone can re-run from the published seed;
a freed place moves the waiting list up."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable

import pytest

from govreach.notify.models import OutboxMessage
from govreach.programmes import services
from govreach.programmes.lottery import allocation_order, lottery_number
from govreach.programmes.models import Allocation, Cohort, Registration

LOW = {"family.cash_transfer": False, "family.cadunico_income_band": "low_income", "student.attendance_pct": 50,
       "family.income_per_capita_brl": 600}  # fmt: skip  # 20 points


def test_lottery_number_is_sha256_of_seed_and_key_in_hex() -> None:
    assert (
        lottery_number("2026-04-01 Loteria 2950", "K7M2-QX4P")
        == hashlib.sha256(b"2026-04-01 Loteria 2950:K7M2-QX4P").hexdigest()
    )


def test_higher_priority_always_comes_first_whatever_the_seed() -> None:
    entries = [(f"KEY-{i:04d}", float(i % 3) * 10) for i in range(60)]
    for seed in ("a", "b", "c", "d"):
        order = allocation_order(entries, seed=seed, places=10)
        priorities = [r.priority for r in order]
        assert priorities == sorted(priorities, reverse=True)
        assert [r.is_allocated for r in order] == [True] * 10 + [False] * 50


def test_same_seed_gives_the_same_list_and_another_seed_reorders_equal_priorities() -> None:
    entries = [(f"KEY-{i:04d}", 10.0) for i in range(30)]
    first = [r.key for r in allocation_order(entries, seed="seed-1", places=5)]
    again = [r.key for r in allocation_order(list(reversed(entries)), seed="seed-1", places=5)]
    other = [r.key for r in allocation_order(entries, seed="seed-2", places=5)]
    assert first == again
    assert first != other
    assert sorted(first) == sorted(other)


def test_allocation_stores_the_seed_and_is_reproducible(
    cohort: Cohort, register: Callable[..., Registration]
) -> None:
    high = [register() for _ in range(2)]  # 60 points
    equal = [register(LOW) for _ in range(5)]  # 20 points each: the lottery decides among them
    ineligible = register({"student.grade": 8})
    ranked = services.programme_allocate(cohort=cohort, seed="published seed 42")
    cohort.refresh_from_db()
    assert cohort.status == Cohort.Status.ALLOCATED
    assert cohort.lottery_seed == "published seed 42"
    assert [r.key for r in ranked[:2]] == sorted(
        (r.key for r in high), key=lambda k: lottery_number("published seed 42", k)
    )
    stored = list(Allocation.objects.filter(cohort=cohort).order_by("position"))
    assert [a.registration.key for a in stored] == [r.key for r in ranked]
    assert not Allocation.objects.filter(registration=ineligible).exists()
    # 3 places: both high-priority students and the first of the equal ones by lottery number.
    allocated = [a for a in stored if a.status == Allocation.Status.ALLOCATED]
    assert len(allocated) == 3
    assert {a.registration for a in allocated} >= set(high)
    tied_order = sorted(equal, key=lambda r: lottery_number("published seed 42", r.key))
    assert allocated[2].registration == tied_order[0]
    waiting = [a for a in stored if a.status == Allocation.Status.WAITING]
    assert [a.registration for a in waiting] == tied_order[1:]
    assert [a.waiting_rank for a in waiting] == [1, 2, 3, 4]
    # Anyone re-running the procedure from the published data gets the same list.
    assert services.allocation_compute(cohort=cohort, seed="published seed 42") == ranked


def test_a_cohort_is_allocated_only_once(cohort: Cohort, register: Callable[..., Registration]) -> None:
    register()
    services.programme_allocate(cohort=cohort, seed="first")
    with pytest.raises(services.ProgrammeError, match="already allocated with the seed 'first'"):
        services.programme_allocate(cohort=cohort, seed="second")


def test_a_freed_place_moves_the_waiting_list_up(
    cohort: Cohort, register: Callable[..., Registration]
) -> None:
    regs = [register(LOW, phone=f"+55819900000{i:02d}") for i in range(6)]
    services.programme_allocate(cohort=cohort, seed="s")
    leaving = Allocation.objects.filter(cohort=cohort, status="allocated").order_by("position").first()
    assert leaving is not None
    first_waiting = Allocation.objects.get(cohort=cohort, waiting_rank=1)
    second_waiting = Allocation.objects.get(cohort=cohort, waiting_rank=2)

    moved = services.allocation_free(allocation=leaving, status="withdrawn", by=None, on=dt.date(2026, 5, 2))

    assert moved is not None and moved.pk == first_waiting.pk
    moved.refresh_from_db()
    assert moved.status == "allocated" and moved.was_moved_up
    assert moved.class_group_id == leaving.class_group_id and moved.hub_id == leaving.hub_id
    second_waiting.refresh_from_db()
    assert second_waiting.waiting_rank == 1
    assert Allocation.objects.filter(cohort=cohort, status="allocated").count() == 3
    sms = OutboxMessage.objects.filter(recipient=moved.registration.guardian_phone).order_by("pk")
    assert [m.message_id for m in sms] == ["prepara_waiting_list", "prepara_place_allocated"]
    assert moved.registration.key in sms.last().body  # type: ignore[union-attr]
    assert len(regs) == 6


def test_after_the_waiting_list_closes_a_freed_place_stays_empty(
    cohort: Cohort, register: Callable[..., Registration]
) -> None:
    for _ in range(5):
        register(LOW)
    services.programme_allocate(cohort=cohort, seed="s")
    leaving = Allocation.objects.filter(cohort=cohort, status="allocated").first()
    assert leaving is not None
    assert (
        services.allocation_free(allocation=leaving, status="declined", by=None, on=dt.date(2026, 8, 1))
        is None
    )
    assert Allocation.objects.filter(cohort=cohort, status="allocated").count() == 2
    assert Allocation.objects.get(cohort=cohort, waiting_rank=1)


def test_leaving_the_waiting_list_closes_the_gap(
    cohort: Cohort, register: Callable[..., Registration]
) -> None:
    for _ in range(6):
        register(LOW)
    services.programme_allocate(cohort=cohort, seed="s")
    services.allocation_free(
        allocation=Allocation.objects.get(cohort=cohort, waiting_rank=1), status="declined", by=None
    )
    assert sorted(
        Allocation.objects.filter(cohort=cohort, status="waiting").values_list("waiting_rank", flat=True)
    ) == [1, 2]


def test_places_go_to_the_school_hub_then_to_the_hub_with_most_room(
    cohort: Cohort, register: Callable[..., Registration]
) -> None:
    Cohort.objects.filter(pk=cohort.pk).update(places=4)
    cohort.hubs.filter(code="HUB-1").update(capacity=2)
    regs = [register(hub="HUB-1") for _ in range(4)]
    services.programme_allocate(cohort=cohort, seed="s")
    hubs = sorted(Allocation.objects.filter(registration__in=regs).values_list("hub__code", flat=True))
    assert hubs == ["HUB-1", "HUB-1", "HUB-2", "HUB-3"]
