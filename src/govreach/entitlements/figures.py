"""Take-up as a figure: households enrolled against households estimated eligible, by municipality.

Open data: counts only, never a person; a count below ``SMALL_COUNT`` is shown as "<10" so that nobody
in a small area can be singled out.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q
from django.db.models.functions import Substr

from govreach.entitlements.models import Cycle, CycleOutcome, Entitlement
from govreach.entitlements.selectors import (
    MUNICIPALITY_CODE_LENGTH,
    cycle_latest_completed,
    cycle_outcomes_query,
)
from govreach.registry.models import Area

SMALL_COUNT = 10
ESTIMATED_ELIGIBLE = (
    CycleOutcome.Outcome.NEW_GRANT,
    CycleOutcome.Outcome.CONTINUING,
    CycleOutcome.Outcome.REFUSED_KEPT,
    CycleOutcome.Outcome.UNDETERMINED,
)


def shown(count: int) -> str:
    """A count as published: exact from 10 on, "<10" below (0 included, so absence is not revealed)."""
    return f"{count:,}" if count >= SMALL_COUNT else f"<{SMALL_COUNT}"


@dataclass(frozen=True)
class TakeUpRow:
    area_code: str
    area_name: str
    enrolled: int
    estimated_eligible: int

    @property
    def enrolled_shown(self) -> str:
        return shown(self.enrolled)

    @property
    def eligible_shown(self) -> str:
        return shown(self.estimated_eligible)

    @property
    def rate_shown(self) -> str:
        """The take-up rate, only when both counts are published exactly."""
        if self.enrolled < SMALL_COUNT or self.estimated_eligible < SMALL_COUNT:
            return "-"
        return f"{100 * self.enrolled / self.estimated_eligible:.0f}%"


@dataclass(frozen=True)
class TakeUp:
    cycle: Cycle | None
    rows: list[TakeUpRow]
    total: TakeUpRow


def take_up_by_area(pack_id: str) -> TakeUp:
    """From the latest completed cycle: per municipality, households with the tariff in force (enrolled)
    and households the cycle found eligible or could not decide for lack of data (estimated eligible:
    granted, continuing, refused, undetermined). Refusals count as eligible but not enrolled."""
    cycle = cycle_latest_completed(pack_id)
    if cycle is None:
        return TakeUp(None, [], TakeUpRow("", "", 0, 0))
    area = Substr("area_code", 1, MUNICIPALITY_CODE_LENGTH)
    # Every unit's outcome is in the cycle's store (the database may hold only new grants and ends).
    counted = cycle_outcomes_query(
        cycle,
        f"SELECT substr(coalesce(area_code, ''), 1, {MUNICIPALITY_CODE_LENGTH}) AS area, count(*) AS n "  # noqa: S608
        "FROM outcomes WHERE list_contains($outcomes, outcome) GROUP BY 1",
        {"outcomes": [str(o) for o in ESTIMATED_ELIGIBLE]},
    )
    eligible = {row["area"]: int(row["n"]) for row in counted}
    enrolled = dict(
        Entitlement.objects.filter(pack_id=pack_id, status=Entitlement.Status.ACTIVE)
        .filter(Q(granted_in__decided_on__lte=cycle.decided_on))
        .annotate(area=area)
        .values("area")
        .annotate(n=Count("unit_key"))
        .values_list("area", "n")
    )
    codes = sorted(set(eligible) | set(enrolled))
    names = dict(Area.objects.filter(code__in=codes).values_list("code", "name"))
    rows = [
        TakeUpRow(
            code or "", names.get(code, code or "unknown area"), enrolled.get(code, 0), eligible.get(code, 0)
        )
        for code in codes
    ]
    total = TakeUpRow("", "Total", sum(enrolled.values()), sum(eligible.values()))
    return TakeUp(cycle, rows, total)
