"""A link a reviewer fixes by hand wins over every rule in the next cycle, and in the ones after."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from govreach.entitlements.models import Cycle, LinkCorrection
from govreach.entitlements.selectors import cycle_outcome

from .conftest import FIRST_ON, PACK, SECOND_ON, query

pytestmark = pytest.mark.django_db(transaction=True)


def _household_of(cpe: str, cycle: Cycle) -> str:
    outcome = cycle_outcome(cycle, cpe)
    assert outcome is not None
    return str(outcome["household_key"])


def test_a_hand_fixed_link_is_used_by_the_next_cycles(
    registries: Path, run_cycle: Callable[..., Cycle]
) -> None:
    first = run_cycle()
    (cpe,) = query(
        registries,
        "SELECT cpe FROM '{r}/electricity_customers.parquet' GROUP BY cpe HAVING count(*) = 1 ORDER BY cpe LIMIT 1",
    )[0]
    linked = _household_of(cpe, first)
    other = next(
        hh
        for (hh,) in query(
            registries, "SELECT DISTINCT tax_household_id FROM '{r}/at_household_income.parquet' ORDER BY 1"
        )
        if hh != linked
    )
    reviewer = User.objects.create_user("reviewer")
    LinkCorrection.objects.create(
        pack_id=PACK,
        supply_point_code=cpe,
        household_key_before=linked,
        household_key=other,
        reason="the supply point is the home of this household (checked at the counter)",
        corrected_by=reviewer,
    )
    second = run_cycle(SECOND_ON)
    assert _household_of(cpe, second) == other
    # the contract did not change, yet the correction is honoured, and not only once
    third = run_cycle(SECOND_ON.replace(month=3))
    assert _household_of(cpe, third) == other
    assert first.decided_on == FIRST_ON
