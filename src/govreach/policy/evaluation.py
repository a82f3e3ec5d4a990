"""Evaluate a pilot: its areas against the rest, before and after it started, with the uncertainty.

Each indicator is a proportion (households granted among those decided; applications approved among
those decided; objections among those granted). For each group and period the share gets a Wilson 95%
interval; the change in each group gets Newcombe's interval for a difference of two proportions; the
pilot's effect is the difference in differences (change in pilot areas minus change elsewhere) with
the interval of the sum of the two independent changes. Plain words for the page are in the template.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.db import models
from django.db.models import Count, Q

from govreach.catalogue.models import PackPilot
from govreach.entitlements.models import Cycle, CycleOutcome

Z95 = 1.959963984540054


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion (good for small counts and shares near 0 or 1)."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def newcombe(s1: int, n1: int, s2: int, n2: int) -> tuple[float, float, float]:
    """Difference p2 - p1 with Newcombe's hybrid-score 95% interval (method 10)."""
    p1 = s1 / n1 if n1 else 0.0
    p2 = s2 / n2 if n2 else 0.0
    l1, u1 = wilson(s1, n1)
    l2, u2 = wilson(s2, n2)
    d = p2 - p1
    low = d - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)
    high = d + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
    return (d, low, high)


@dataclass(frozen=True)
class Share:
    successes: int
    n: int

    @property
    def rate(self) -> float | None:
        return self.successes / self.n if self.n else None

    @property
    def interval(self) -> tuple[float, float]:
        return wilson(self.successes, self.n)


@dataclass(frozen=True)
class Indicator:
    """One indicator for pilot and comparison areas, before and after, and the pilot's estimated effect."""

    key: str
    pilot_before: Share
    pilot_after: Share
    other_before: Share
    other_after: Share

    @property
    def pilot_change(self) -> tuple[float, float, float]:
        return newcombe(
            self.pilot_before.successes, self.pilot_before.n, self.pilot_after.successes, self.pilot_after.n
        )

    @property
    def other_change(self) -> tuple[float, float, float]:
        return newcombe(
            self.other_before.successes, self.other_before.n, self.other_after.successes, self.other_after.n
        )

    @property
    def effect(self) -> tuple[float, float, float]:
        """Difference in differences, with the interval from the two changes' half-widths combined."""
        d1, l1, u1 = self.pilot_change
        d0, l0, u0 = self.other_change
        d = d1 - d0
        return (
            d,
            d - math.sqrt((d1 - l1) ** 2 + (u0 - d0) ** 2),
            d + math.sqrt((u1 - d1) ** 2 + (d0 - l0) ** 2),
        )

    @property
    def is_measured(self) -> bool:
        return all(
            s.n > 0 for s in (self.pilot_before, self.pilot_after, self.other_before, self.other_after)
        )

    @property
    def is_clear(self) -> bool:
        """The interval of the effect leaves out zero: the data show a difference, not just noise."""
        _d, low, high = self.effect
        return self.is_measured and (low > 0 or high < 0)


@dataclass(frozen=True)
class PilotEvaluation:
    pilot: PackPilot
    before_on: dt.date | None
    after_on: dt.date | None
    indicators: list[Indicator]


def _granted_share(cycle: Cycle | None, codes: set[str], inside: bool) -> Share:
    if cycle is None:
        return Share(0, 0)
    rows = CycleOutcome.objects.filter(cycle=cycle).exclude(outcome__in=["undetermined", "refused_kept"])
    in_areas = Q(area_code__in=codes)
    rows = rows.filter(in_areas) if inside else rows.exclude(in_areas)
    counts = rows.aggregate(
        n=Count("pk"), granted=Count("pk", filter=Q(outcome__in=["new_grant", "continuing"]))
    )
    return Share(int(counts["granted"] or 0), int(counts["n"] or 0))


def _case_shares(
    pilot: PackPilot, codes: set[str], start: dt.date, end: dt.date
) -> tuple[Share, Share, Share, Share]:
    """Applications decided in [start, end): approved share and decided-on-time share, pilot then others."""
    from govreach.cases.models import Application, Decision

    decided = Decision.objects.filter(
        application__pack_id=pilot.service_pack.pack_id, decided_at__date__gte=start, decided_at__date__lt=end
    )
    out: list[Share] = []
    for inside in (True, False):
        in_areas = Q(application__area__code__in=codes)
        rows = decided.filter(in_areas) if inside else decided.exclude(in_areas)
        counts = rows.aggregate(n=Count("pk"), approved=Count("pk", filter=Q(outcome="approved")))
        out.append(Share(int(counts["approved"] or 0), int(counts["n"] or 0)))
        apps = Application.objects.filter(
            pack_id=pilot.service_pack.pack_id, decided_at__date__gte=start, decided_at__date__lt=end,
            due_at__isnull=False,
        )  # fmt: skip
        apps = apps.filter(area__code__in=codes) if inside else apps.exclude(area__code__in=codes)
        timing = apps.aggregate(
            n=Count("pk"), on_time=Count("pk", filter=Q(decided_at__lte=models.F("due_at")))
        )
        out.append(Share(int(timing["on_time"] or 0), int(timing["n"] or 0)))
    return out[0], out[1], out[2], out[3]


def pilot_evaluate(pilot: PackPilot, *, today: dt.date | None = None) -> PilotEvaluation:
    """Pilot areas against all other areas: the last cycle before the pilot and the latest one during it.

    Cycles record every unit's outcome and area, so the proactive indicator is the share of decided
    households granted the service. Counts come from the cycle outcomes in the database.
    """
    codes = {a.code for area in pilot.areas.all() for a in area.descendants(include_self=True)}
    cycles = Cycle.objects.filter(pack_id=pilot.service_pack.pack_id, status=Cycle.Status.COMPLETED)
    before = cycles.filter(decided_on__lt=pilot.starts_on).order_by("-decided_on").first()
    last_day = pilot.ended_on or pilot.ends_on
    during = cycles.filter(decided_on__gte=pilot.starts_on)
    if last_day is not None:
        during = during.filter(decided_on__lte=last_day)
    after = during.order_by("-decided_on").first()
    granted = Indicator(
        "granted",
        _granted_share(before, codes, True),
        _granted_share(after, codes, True),
        _granted_share(before, codes, False),
        _granted_share(after, codes, False),
    )
    indicators = [granted]
    if pilot.service_pack.kind == "application":
        # Applications: the same length of time before the pilot as it has run (or ran).
        end = (last_day + dt.timedelta(days=1)) if last_day else (today or dt.date.today())
        span = max((end - pilot.starts_on).days, 1)
        start = pilot.starts_on - dt.timedelta(days=span)
        pa_b, pt_b, oa_b, ot_b = _case_shares(pilot, codes, start, pilot.starts_on)
        pa_a, pt_a, oa_a, ot_a = _case_shares(pilot, codes, pilot.starts_on, end)
        indicators += [
            Indicator("approved", pa_b, pa_a, oa_b, oa_a),
            Indicator("on_time", pt_b, pt_a, ot_b, ot_a),
        ]
    return PilotEvaluation(
        pilot, before.decided_on if before else None, after.decided_on if after else None, indicators
    )
