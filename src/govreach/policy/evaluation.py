"""Evaluate a pilot: its areas against the rest, before and after it started, with the uncertainty.

Each indicator is a proportion (households granted among those decided; applications approved among
those decided; applications decided by their deadline; people satisfied, 4 or 5 of 5, among those who
rated a service). For each group and period the share gets a Wilson 95% interval; the change in each
group gets Newcombe's interval for a difference of two proportions; the pilot's effect is the
difference in differences (change in pilot areas minus change elsewhere) with the interval of the sum
of the two independent changes. Plain words for the page are in the template.

Ratings are people's own answers, so satisfaction follows the open data's minimum cell: a group with
fewer ratings than ``GOVREACH_TRANSPARENCY_MIN_COUNT`` (10) is not shown, nor is the effect (which,
with the three shares shown, would give the hidden one back).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.db import models
from django.db.models import CharField, Count, Q
from django.db.models.functions import Cast
from django.utils import timezone

from govreach.catalogue.models import PackPilot
from govreach.entitlements.models import Cycle, Entitlement
from govreach.entitlements.selectors import cycle_outcomes_query
from govreach.feedback.models import Rating
from govreach.transparency.conf import min_count
from govreach.transparency.figures import SATISFIED_FROM_RATING

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
    min_n: int = 0  # from 1 to min_n - 1 units the share is not shown (ratings: the open data's minimum)

    @property
    def is_hidden(self) -> bool:
        return 0 < self.n < self.min_n

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
    def shares(self) -> tuple[Share, Share, Share, Share]:
        return (self.pilot_before, self.pilot_after, self.other_before, self.other_after)

    @property
    def is_suppressed(self) -> bool:
        """A group too small to show: then the effect is not shown either."""
        return any(s.is_hidden for s in self.shares)

    @property
    def is_measured(self) -> bool:
        return all(s.n > 0 for s in self.shares) and not self.is_suppressed

    @property
    def is_clear(self) -> bool:
        """The interval of the effect leaves out zero: the data show a difference, not just noise."""
        _d, low, high = self.effect
        return self.is_measured and (low > 0 or high < 0)


@dataclass(frozen=True)
class PilotEvaluation:
    pilot: PackPilot
    before_on: dt.date | None  # the cycles take-up compares
    after_on: dt.date | None
    indicators: list[Indicator]
    # Applications and ratings: from window_from to the day before the pilot, then from its first day
    # to window_to (both days included).
    window_from: dt.date
    window_to: dt.date


def _granted_share(cycle: Cycle | None, codes: set[str], inside: bool) -> Share:
    if cycle is None:
        return Share(0, 0)
    # Every unit's outcome is in the cycle's store (the database may hold only new grants and ends).
    [counts] = cycle_outcomes_query(
        cycle,
        "SELECT count(*) AS n, count(*) FILTER (WHERE outcome IN ('new_grant', 'continuing')) AS granted "
        "FROM outcomes WHERE outcome NOT IN ('undetermined', 'refused_kept') "
        "AND list_contains($codes, coalesce(area_code, '')) = $inside",
        {"codes": sorted(codes), "inside": inside},
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


def _rating_shares(pilot: PackPilot, codes: set[str], start: dt.date, end: dt.date) -> tuple[Share, Share]:
    """Ratings of the pack's services delivered in [start, end): satisfied (4 or 5 of 5) among those rated,
    pilot areas then the others.

    A rating is dated and placed by the service it rates, as the other indicators count it: an
    application by its decision and its area, an entitlement by the cycle that granted it and its supply
    point's area. So "after" holds the services the pilot's rules decided, not older ones rated late.
    """
    from govreach.cases.models import Application

    pack_id = pilot.service_pack.pack_id
    as_key = Cast("pk", output_field=CharField())
    decided = Application.objects.filter(
        pack_id=pack_id, decided_at__date__gte=start, decided_at__date__lt=end
    ).annotate(key=as_key)
    granted = Entitlement.objects.filter(
        pack_id=pack_id, granted_in__decided_on__gte=start, granted_in__decided_on__lt=end
    ).annotate(key=as_key)
    out: list[Share] = []
    for inside in (True, False):
        apps = decided.filter(area__code__in=codes) if inside else decided.exclude(area__code__in=codes)
        grants = granted.filter(area_code__in=codes) if inside else granted.exclude(area_code__in=codes)
        rated = Rating.objects.filter(service=pack_id).filter(
            Q(service_kind=Rating.Kind.CASE, service_key__in=apps.values("key"))
            | Q(service_kind=Rating.Kind.ENTITLEMENT, service_key__in=grants.values("key"))
        )
        counts = rated.aggregate(
            n=Count("pk"), satisfied=Count("pk", filter=Q(rating__gte=SATISFIED_FROM_RATING))
        )
        out.append(Share(int(counts["satisfied"] or 0), int(counts["n"] or 0), min_n=min_count()))
    return out[0], out[1]


def pilot_evaluate(pilot: PackPilot, *, today: dt.date | None = None) -> PilotEvaluation:
    """Pilot areas against all other areas: the last cycle before the pilot and the latest one during it.

    Cycles record every unit's outcome and area, so the proactive indicator is the share of decided
    households granted the service. Counts come from the cycle outcomes in the database. Applications
    and ratings compare the same length of time before the pilot as it has run (or ran), up to today.
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
    # The same length of time before the pilot as it has run (or ran), today included.
    today = today or timezone.localdate()
    end = min(last_day or today, today) + dt.timedelta(days=1)
    span = max((end - pilot.starts_on).days, 1)
    start = pilot.starts_on - dt.timedelta(days=span)
    if pilot.service_pack.kind == "application":
        pa_b, pt_b, oa_b, ot_b = _case_shares(pilot, codes, start, pilot.starts_on)
        pa_a, pt_a, oa_a, ot_a = _case_shares(pilot, codes, pilot.starts_on, end)
        indicators += [
            Indicator("approved", pa_b, pa_a, oa_b, oa_a),
            Indicator("on_time", pt_b, pt_a, ot_b, ot_a),
        ]
    ps_b, os_b = _rating_shares(pilot, codes, start, pilot.starts_on)
    ps_a, os_a = _rating_shares(pilot, codes, pilot.starts_on, end)
    indicators.append(Indicator("satisfied", ps_b, ps_a, os_b, os_a))
    return PilotEvaluation(
        pilot,
        before.decided_on if before else None,
        after.decided_on if after else None,
        indicators,
        start,
        end - dt.timedelta(days=1),
    )
