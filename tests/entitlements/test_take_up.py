"""Take-up as a figure: enrolled against estimated eligible, by municipality, small counts suppressed."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from govreach.entitlements.figures import shown, take_up_by_area
from govreach.entitlements.models import CycleOutcome, Entitlement
from govreach.entitlements.selectors import cycle_outcomes_arrow, cycle_outcomes_path
from govreach.entitlements.services import cycle_run

from .helpers import FIRST_ON, PACK, first_cycle, setup_pack_and_areas

pytestmark = pytest.mark.django_db


def test_small_counts_are_shown_as_fewer_than_ten() -> None:
    assert [shown(n) for n in (0, 1, 9, 10, 1234)] == ["<10", "<10", "<10", "10", "1,234"]


def test_take_up_by_municipality_counts_enrolled_against_estimated_eligible(registries: Path) -> None:
    setup_pack_and_areas(registries)
    cycle = first_cycle(registries)

    figure = take_up_by_area(PACK)

    active = Entitlement.objects.filter(status="active").count()
    # Every unit's outcome is in the cycle's store (the database holds only new grants and ends).
    outcomes = cycle_outcomes_arrow(cycle, ["outcome"]).to_pylist()
    eligible = sum(
        r["outcome"] in ("new_grant", "continuing", "refused_kept", "undetermined") for r in outcomes
    )
    assert eligible > CycleOutcome.objects.filter(cycle=cycle).count()
    assert figure.cycle == cycle
    assert figure.total.enrolled == active and figure.total.estimated_eligible == eligible
    assert sum(r.enrolled for r in figure.rows) == active
    assert all(len(r.area_code) == 7 for r in figure.rows)
    assert any(r.enrolled < 10 for r in figure.rows)


def test_a_cycle_that_wrote_every_outcome_gives_the_same_figure_from_its_database_rows(
    registries: Path,
) -> None:
    setup_pack_and_areas(registries)
    cycle = cycle_run(pack=PACK, decided_on=FIRST_ON, registries=registries, outcomes="all")
    from_store = take_up_by_area(PACK)
    assert CycleOutcome.objects.filter(cycle=cycle).count() == cycle.report["units"]

    cycle_outcomes_path(cycle).unlink()  # the store lost: the figure comes from the database's rows
    from_database = take_up_by_area(PACK)

    assert from_database == from_store
    assert from_store.total.estimated_eligible > 10


def test_the_public_page_shows_no_person_and_suppresses_small_counts(registries: Path) -> None:
    setup_pack_and_areas(registries)
    first_cycle(registries)
    figure = take_up_by_area(PACK)

    page = Client().get(f"/entitlements/{PACK}/take-up/")

    text = page.content.decode()
    assert page.status_code == 200
    small = next(r for r in figure.rows if r.enrolled < 10)
    assert small.area_name in text and "&lt;10" in text
    for e in Entitlement.objects.all()[:20]:
        assert e.supply_point_code not in text and (not e.household_key or e.household_key not in text)
    assert Client().get("/entitlements/no-such-pack/take-up/").status_code == 404
