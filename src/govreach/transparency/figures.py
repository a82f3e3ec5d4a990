"""The published figures of each service, per year and area from national down to local: plain rows,
computed from the other apps' data with a few aggregate reads, passed through disclosure control and
stored as a snapshot (``snapshot_refresh``), which pages and the open data read.

Per kind of service:
- applications (any pack with applications): started, received, decided, approved and rejected,
  decided on time or late against the pack's deadline, pending in time or overdue, filed by the
  applicant (digital) or by an intermediary (assisted); median and 90th-percentile days to decide;
- proactive: take-up from the entitlements app's own figure (enrolled against estimated eligible);
- outreach: eligible, registered (coverage) and visits done, from the outreach app's figures;
- programme: enrolled, sat and passed per cohort, and the places funded;
- every service: satisfaction ratings and grievances from the feedback app when it is installed.

Rates are published only when both their numerator and their denominator are published: a rate over
a suppressed count would give the count back. A median or a percentile needs at least the smallest
publishable count of decided applications.
"""

from __future__ import annotations

import datetime as dt
import importlib
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from types import ModuleType
from typing import Any

from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from govreach.cases.models import DRAFT, Application, Decision, Payment
from govreach.catalogue.selectors import ServicePackUnavailable, pack_for, service_pack_list
from govreach.packs.loader import Pack
from govreach.registry.models import AREA_PATH_SEPARATOR, Area
from govreach.transparency import conf
from govreach.transparency.cube import AreaNode, Cube, Relation, cube_build
from govreach.transparency.models import Snapshot

APPLICATION_VARIABLES = (
    "started",
    "not_submitted",
    "received",
    "decided",
    "pending",
    "approved",
    "rejected",
    "decided_on_time",
    "decided_late",
    "pending_in_time",
    "overdue",
    "digital",
    "assisted",
)
APPLICATION_RELATIONS = (
    Relation("started", ("received", "not_submitted")),
    Relation("received", ("decided", "pending")),
    Relation("decided", ("approved", "rejected")),
    Relation("decided", ("decided_on_time", "decided_late")),
    Relation("pending", ("pending_in_time", "overdue")),
    Relation("received", ("digital", "assisted")),
)
TAKE_UP_VARIABLES = ("enrolled", "estimated_eligible")
OUTREACH_VARIABLES = ("eligible", "registered", "visits_done")
PROGRAMME_VARIABLES = ("students_enrolled", "sat_exam", "passed_exam")
FEEDBACK_VARIABLES = ("ratings", "satisfied", "not_satisfied", "grievances", "grievances_overdue")
FEEDBACK_RELATIONS = (Relation("ratings", ("satisfied", "not_satisfied")),)
SATISFIED_FROM_RATING = 4  # ratings 4 and 5 of 5 count as satisfied

# rate id -> (numerator, denominator), in percent.
RATES: dict[str, tuple[str, str]] = {
    "approval_rate_pct": ("approved", "decided"),
    "on_time_rate_pct": ("decided_on_time", "decided"),
    "completion_rate_pct": ("received", "started"),
    "digital_share_pct": ("digital", "received"),
    "take_up_pct": ("enrolled", "estimated_eligible"),
    "coverage_pct": ("registered", "eligible"),
    "sat_of_enrolled_pct": ("sat_exam", "students_enrolled"),
    "passed_of_sat_pct": ("passed_exam", "sat_exam"),
    "passed_of_enrolled_pct": ("passed_exam", "students_enrolled"),
    "satisfaction_pct": ("satisfied", "ratings"),
}
# What one "transaction" is per kind of service, for the cost per transaction.
TRANSACTIONS = {
    "application": "received",
    "proactive": "enrolled",
    "outreach": "visits_done",
    "programme": "students_enrolled",
}


@dataclass
class Published:
    """One service's published figures for one year (a snapshot's content)."""

    pack_id: str
    kind: str
    year: int
    computed_at: str
    threshold: int
    variables: list[str]
    areas: list[dict[str, Any]]
    counts: dict[str, dict[str, int | None]]
    measures: dict[str, dict[str, float | None]] = field(default_factory=dict)
    national: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Published:
        return cls(**data)

    def area(self, code: str) -> dict[str, Any] | None:
        return next((a for a in self.areas if a["code"] == code), None)

    @property
    def root(self) -> dict[str, Any] | None:
        return next((a for a in self.areas if a["parent_code"] is None), None)

    def children(self, code: str) -> list[dict[str, Any]]:
        return [a for a in self.areas if a["parent_code"] == code]


# --- areas ---------------------------------------------------------------------------------------


def _area_nodes(codes: Iterable[str]) -> dict[str, AreaNode]:
    """The areas ``codes`` name and every area above them (two queries)."""
    found = {a.code: a for a in Area.objects.filter(code__in=set(codes))}
    above = {c for a in found.values() for c in a.path.split(AREA_PATH_SEPARATOR) if c} - set(found)
    found.update({a.code: a for a in Area.objects.filter(code__in=above)})
    nodes = {}
    for code, a in found.items():
        parent = a.ancestor_codes[-1] if a.ancestor_codes else None
        nodes[code] = AreaNode(code, a.name, a.level, parent if parent in found else None, a.depth)
    return nodes


def _country_root(pack: Pack) -> str:
    """The area code a count without an area is placed on: the pack's country."""
    return str(pack.service.country)


def _locate(code: str | None, known: Mapping[str, AreaNode], pack: Pack) -> str:
    return code if code and code in known else _country_root(pack)


def _nodes_with_root(codes: Iterable[str], pack: Pack) -> dict[str, AreaNode]:
    nodes = _area_nodes([*codes, _country_root(pack)])
    root = _country_root(pack)
    if root not in nodes:  # no area tree loaded for the country: a bare national row
        nodes[root] = AreaNode(root, root, "country", None, 0)
    return nodes


# --- per kind of service -----------------------------------------------------------------------------


def _percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class _Collected:
    counts: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    durations: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    area_codes: set[str] = field(default_factory=set)


def _application_counts(pack: Pack, *, now: dt.datetime) -> dict[int, _Collected]:
    """Per year an application was started: its counts by the area it concerns."""
    apps = Application.objects.filter(pack_id=pack.id).values_list(
        "pk",
        "area__code",
        "state",
        "created_at",
        "submitted_at",
        "decided_at",
        "due_at",
        "state_due_at",
        "submitted_by_id",
        "applicant_id",
        "acting_for_id",
    )
    outcome: dict[int, str] = {}
    for app_id, result in (
        Decision.objects.filter(application__pack_id=pack.id)
        .order_by("decided_at", "pk")
        .values_list("application_id", "outcome")
    ):
        outcome[app_id] = result  # the latest decision wins
    years: dict[int, _Collected] = defaultdict(_Collected)
    for row in apps:
        pk, area, state, created, submitted, decided, due, state_due, by, applicant, acting_for = row
        year = years[created.year]
        code = area or ""
        year.area_codes.add(code)

        def add(variable: str, code: str = code, year: _Collected = year) -> None:
            year.counts[(code, variable)] += 1

        add("started")
        if state == DRAFT or submitted is None:
            add("not_submitted")
            continue
        add("received")
        add("assisted" if (by != applicant or acting_for is not None) else "digital")
        if decided is not None:
            add("decided")
            add("approved" if outcome.get(pk) == Decision.Outcome.APPROVED else "rejected")
            add("decided_on_time" if due is None or decided <= due else "decided_late")
            year.durations[code].append((decided - submitted).total_seconds() / 86400)
        else:
            add("pending")
            late = (due is not None and due <= now) or (state_due is not None and state_due <= now)
            add("overdue" if late else "pending_in_time")
    return years


def _take_up_counts(pack: Pack) -> dict[int, _Collected]:
    """The entitlements app's take-up figure (latest completed cycle), by the cycle's year."""
    from govreach.entitlements.figures import take_up_by_area

    figure = take_up_by_area(pack.id)
    if figure.cycle is None:
        return {}
    collected = _Collected()
    for row in figure.rows:
        collected.area_codes.add(row.area_code)
        collected.counts[(row.area_code, "enrolled")] += row.enrolled
        collected.counts[(row.area_code, "estimated_eligible")] += row.estimated_eligible
    return {figure.cycle.decided_on.year: collected}


def _outreach_counts(pack: Pack, *, today: dt.date) -> dict[int, _Collected]:
    """The outreach app's figures by its deepest areas, as of today."""
    from govreach.outreach.selectors import outreach_figures

    root = Area.objects.filter(code=_country_root(pack)).first()
    if root is None:
        return {}
    collected = _Collected()
    for row in outreach_figures(pack=pack, area=root, on=today):
        if row.area is None:
            continue  # the total: the cube adds it up itself
        collected.area_codes.add(row.area.code)
        collected.counts[(row.area.code, "eligible")] += row.eligible
        collected.counts[(row.area.code, "registered")] += row.registered
        collected.counts[(row.area.code, "visits_done")] += row.visits_done
    return {today.year: collected}


def _programme_counts(pack: Pack) -> tuple[dict[int, _Collected], dict[int, int]]:
    """Per cohort year: enrolled, sat and passed by the cohort's area; and the places funded."""
    from govreach.programmes.models import Cohort
    from govreach.programmes.selectors import outcomes_report

    years: dict[int, _Collected] = defaultdict(_Collected)
    places: dict[int, int] = defaultdict(int)
    for cohort in Cohort.objects.filter(pack_id=pack.id).select_related("area"):
        report = outcomes_report(cohort)
        code = cohort.area.code if cohort.area else ""
        collected = years[cohort.year]
        collected.area_codes.add(code)
        collected.counts[(code, "students_enrolled")] += report.enrolled
        collected.counts[(code, "sat_exam")] += report.sat
        collected.counts[(code, "passed_exam")] += report.passed
        places[cohort.year] += cohort.places
    return years, places


def _feedback_module() -> ModuleType | None:
    """The feedback app's figures module when it is installed (it ships separately)."""
    try:
        return importlib.import_module("govreach.feedback.figures")
    except ImportError:
        return None


def _feedback_counts(pack: Pack, *, today: dt.date) -> dict[int, _Collected] | None:
    """Ratings by the year they were given; grievances as of today (current year). None: not measured."""
    module = _feedback_module()
    if module is None:
        return None
    years: dict[int, _Collected] = defaultdict(_Collected)
    for row in module.satisfaction_rows(pack.id):
        year = int(str(row["month"])[:4] or today.year)
        code = str(row["area_code"] or "")
        n = int(row["count"])
        years[year].area_codes.add(code)
        years[year].counts[(code, "ratings")] += n
        satisfied = int(row["rating"]) >= SATISFIED_FROM_RATING
        years[year].counts[(code, "satisfied" if satisfied else "not_satisfied")] += n
    for row in module.grievance_rows():
        if row["service"] != pack.id:
            continue
        code = str(row["area_code"] or "")
        years[today.year].area_codes.add(code)
        years[today.year].counts[(code, "grievances")] += int(row["count"])
        if row["overdue"]:
            years[today.year].counts[(code, "grievances_overdue")] += int(row["count"])
    return years


# --- publication --------------------------------------------------------------------------------------


def _publish(
    pack: Pack,
    *,
    year: int,
    cube: Cube,
    durations: Mapping[str, list[float]],
    national: dict[str, Any],
    now: dt.datetime,
    threshold: int,
) -> Published:
    published = cube.published(threshold=threshold)
    counts: dict[str, dict[str, int | None]] = defaultdict(dict)
    for (code, variable), value in published.items():
        counts[code][variable] = value
    measures: dict[str, dict[str, float | None]] = defaultdict(dict)
    gathered = cube.gather(dict(durations))
    for code in cube.areas:
        row = counts[code]
        for rate, (numerator, denominator) in RATES.items():
            if numerator in row and denominator in row:
                top, bottom = row[numerator], row[denominator]
                ok = top is not None and bottom is not None and bottom > 0
                measures[code][rate] = round(100 * top / bottom, 1) if ok else None  # type: ignore[operator]
        if "decided" in row:
            days = gathered.get(code, [])
            ok = row["decided"] is not None and len(days) >= threshold
            measures[code]["median_days"] = round(_percentile(days, 50), 1) if ok else None
            measures[code]["p90_days"] = round(_percentile(days, 90), 1) if ok else None
    areas = sorted(cube.areas.values(), key=lambda a: (a.depth, a.code))
    return Published(
        pack_id=pack.id,
        kind=str(pack.service.kind),
        year=year,
        computed_at=now.isoformat(),
        threshold=threshold,
        variables=list(cube.variables),
        areas=[asdict(a) for a in areas],
        counts=dict(counts),
        measures=dict(measures),
        national=national,
    )


def _deadline_days(pack: Pack) -> int | None:
    workflow = pack.workflow
    days = getattr(workflow, "deadline_days", None) if workflow is not None else None
    return int(days) if days else None


def _fees_collected(pack: Pack, *, year: int, threshold: int) -> dict[str, Any] | None:
    """Fees paid in ``year``, nationally; only from ``threshold`` payments on (a fixed fee times a few
    payments would tell how few people paid)."""
    rows = (
        Payment.objects.filter(application__pack_id=pack.id, status=Payment.Status.PAID, paid_at__year=year)
        .values("currency")
        .annotate(total=Sum("amount"), n=Count("pk"))
        .order_by("currency")
    )
    found = [r for r in rows if r["n"] >= threshold]
    if not found:
        return None
    return {"amount": str(found[0]["total"]), "currency": found[0]["currency"], "payments": found[0]["n"]}


def pack_figures(
    pack: Pack, *, now: dt.datetime | None = None, threshold: int | None = None
) -> list[Published]:
    """Every year's published figures of one service (not stored: ``snapshot_refresh`` stores them)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    threshold = threshold or conf.min_count()
    kind = str(pack.service.kind)
    variables: list[str] = []
    relations: list[Relation] = []
    by_year: dict[int, list[_Collected]] = defaultdict(list)
    places: dict[int, int] = {}
    if Application.objects.filter(pack_id=pack.id).exists() or kind == "application":
        variables += APPLICATION_VARIABLES
        relations += APPLICATION_RELATIONS
        for year, c in _application_counts(pack, now=now).items():
            by_year[year].append(c)
    if kind == "proactive":
        variables += TAKE_UP_VARIABLES
        for year, c in _take_up_counts(pack).items():
            by_year[year].append(c)
    if kind == "outreach":
        variables += OUTREACH_VARIABLES
        for year, c in _outreach_counts(pack, today=today).items():
            by_year[year].append(c)
    if kind == "programme":
        variables += PROGRAMME_VARIABLES
        programme_years, places = _programme_counts(pack)
        for year, c in programme_years.items():
            by_year[year].append(c)
    feedback = _feedback_counts(pack, today=today)
    if feedback is not None:
        variables += FEEDBACK_VARIABLES
        relations += FEEDBACK_RELATIONS
        for year, c in feedback.items():
            by_year[year].append(c)
    results = []
    for year in sorted(by_year):
        counts: dict[tuple[str, str], int] = defaultdict(int)
        durations: dict[str, list[float]] = defaultdict(list)
        codes = {code for c in by_year[year] for code in c.area_codes}
        nodes = _nodes_with_root(codes, pack)
        for collected in by_year[year]:
            for (code, variable), n in collected.counts.items():
                counts[(_locate(code, nodes, pack), variable)] += n
            for code, days in collected.durations.items():
                durations[_locate(code, nodes, pack)].extend(days)
        cube = cube_build(variables=variables, relations=relations, counts_at=counts, areas=nodes)
        national: dict[str, Any] = {
            "deadline_days": _deadline_days(pack),
            "is_feedback_measured": feedback is not None,
            "transaction": TRANSACTIONS.get(kind, ""),
        }
        if year in places:
            national["places_funded"] = places[year]
        if kind == "application" or "received" in variables:
            national["fees_collected"] = _fees_collected(pack, year=year, threshold=threshold)
        results.append(
            _publish(
                pack,
                year=year,
                cube=cube,
                durations=durations,
                national=national,
                now=now,
                threshold=threshold,
            )
        )
    return results


def service_packs() -> list[Pack]:
    """Every active service whose pack loads."""
    packs = []
    for row in service_pack_list():
        try:
            packs.append(pack_for(row))
        except ServicePackUnavailable:
            continue
    return packs


@transaction.atomic
def snapshot_refresh(*, pack: Pack | None = None, now: dt.datetime | None = None) -> list[Snapshot]:
    """Recompute and store the published figures of ``pack`` (or of every service), replacing the old."""
    now = now or timezone.now()
    stored = []
    for one in [pack] if pack is not None else service_packs():
        figures = pack_figures(one, now=now)
        Snapshot.objects.filter(pack_id=one.id).exclude(year__in=[f.year for f in figures]).delete()
        for published in figures:
            snapshot, _created = Snapshot.objects.update_or_create(
                pack_id=one.id, year=published.year, defaults={"computed_at": now, "data": asdict(published)}
            )
            stored.append(snapshot)
    return stored


def published_for(pack: Pack, *, now: dt.datetime | None = None) -> list[Published]:
    """The service's published figures, newest year first: the stored snapshot, recomputed first when
    there is none or it is older than the configured age."""
    now = now or timezone.now()
    snapshots = list(Snapshot.objects.filter(pack_id=pack.id).order_by("-year"))
    oldest = min((s.computed_at for s in snapshots), default=None)
    if oldest is None or (now - oldest).total_seconds() > conf.snapshot_max_age_seconds():
        snapshots = sorted(snapshot_refresh(pack=pack, now=now), key=lambda s: -s.year)
    return [Published.from_data(s.data) for s in snapshots]
