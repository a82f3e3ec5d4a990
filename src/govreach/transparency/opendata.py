"""The open data: every published figure as tidy CSV and Parquet tables, with a Frictionless data package
(``datapackage.json``) describing each field, its unit, the suppression marker, the licence and sources.

Only what the dashboards show is written: counts after disclosure control (suppressed cells carry the
marker ``[c]`` in CSV and are null in Parquet, with ``status`` saying why), rates from published counts,
and budget lines (public money, not people). Files are written to a temporary folder and moved into place,
so the download page never serves a half-written package.
"""

from __future__ import annotations

import csv
import json
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from django.utils import timezone

from govreach.packs.loader import Pack
from govreach.transparency import conf
from govreach.transparency.figures import RATES, Published, published_for, service_packs
from govreach.transparency.models import BudgetLine
from govreach.transparency.selectors import budget_summary
from govreach.transparency.services import budget_file_read

PUBLISHED = "published"
SUPPRESSED = "suppressed"

COUNT_DESCRIPTIONS = {
    "started": "Applications started (drafts included)",
    "not_submitted": "Applications started and not submitted",
    "received": "Applications submitted",
    "decided": "Applications decided",
    "pending": "Applications submitted and not decided yet",
    "approved": "Applications whose latest decision approves them",
    "rejected": "Applications decided and not approved",
    "decided_on_time": "Applications decided within the service's deadline",
    "decided_late": "Applications decided after the service's deadline",
    "pending_in_time": "Applications waiting within their deadline",
    "overdue": "Applications waiting past their deadline (overall or of their current step)",
    "digital": "Applications the applicant filed online themselves",
    "assisted": "Applications filed for the applicant by an intermediary or at a counter",
    "enrolled": "Households with the entitlement in force after the latest completed cycle",
    "estimated_eligible": "Households the latest cycle found eligible or could not decide for lack of data",
    "eligible": "People the latest targeting run found eligible",
    "registered": "People registered for the home visits",
    "visits_done": "Home visits made",
    "students_enrolled": "Students enrolled in the cohort",
    "sat_exam": "Enrolled students who sat the entrance exam",
    "passed_exam": "Enrolled students who passed the entrance exam",
    "ratings": "Satisfaction ratings given after a completed service",
    "satisfied": "Ratings of 4 or 5 out of 5",
    "not_satisfied": "Ratings of 1 to 3 out of 5",
    "grievances": "Grievances filed about the service",
    "grievances_overdue": "Open grievances past their deadline",
}
COUNT_UNITS = {
    "enrolled": "households",
    "estimated_eligible": "households",
    "visits_done": "visits",
    "ratings": "ratings",
    "satisfied": "ratings",
    "not_satisfied": "ratings",
    "grievances": "grievances",
    "grievances_overdue": "grievances",
}
MEASURE_DESCRIPTIONS = {
    "approval_rate_pct": "Approved of decided, in percent",
    "on_time_rate_pct": "Decided within the deadline of decided, in percent",
    "completion_rate_pct": "Submitted of started, in percent",
    "digital_share_pct": "Filed online by the applicant of submitted, in percent",
    "take_up_pct": "Households enrolled of households estimated eligible, in percent",
    "coverage_pct": "People registered of people eligible, in percent",
    "sat_of_enrolled_pct": "Sat the exam of enrolled, in percent",
    "passed_of_sat_pct": "Passed of those who sat, in percent",
    "passed_of_enrolled_pct": "Passed of enrolled, in percent",
    "satisfaction_pct": "Ratings of 4 or 5 of all ratings, in percent",
    "median_days": "Median days from submission to decision",
    "p90_days": "90th percentile of days from submission to decision",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # Frictionless type
    description: str
    unit: str = ""
    arrow: Any = None


def _columns_counts() -> list[Column]:
    return [
        Column("service", "string", "The service (its pack id)", arrow=pa.string()),
        Column("year", "integer", "The calendar year the figure is about", "year", pa.int32()),
        Column(
            "area_code", "string", "The area's code (ISO 3166-2 and national codes below)", arrow=pa.string()
        ),
        Column("area_name", "string", "The area's name", arrow=pa.string()),
        Column(
            "area_level",
            "string",
            "The area's level (country, region, district, local...)",
            arrow=pa.string(),
        ),
        Column(
            "parent_code", "string", "The code of the area above (empty for the country)", arrow=pa.string()
        ),
        Column(
            "measure",
            "string",
            "What is counted: see the list in this field's constraints",
            arrow=pa.string(),
        ),
        Column(
            "value",
            "integer",
            f"The count; {conf.SUPPRESSED_MARKER} in CSV (null in Parquet) where suppressed",
            "see the unit column",
            pa.int64(),
        ),
        Column(
            "unit",
            "string",
            "What one unit of the value is: people, households, visits...",
            arrow=pa.string(),
        ),
        Column("status", "string", "published, or suppressed (disclosure control)", arrow=pa.string()),
    ]


def _columns_measures() -> list[Column]:
    cols = _columns_counts()
    value = Column(
        "value",
        "number",
        f"The rate or number of days; {conf.SUPPRESSED_MARKER} in CSV (null in Parquet) where not published",
        "percent or days (see unit)",
        pa.float64(),
    )
    return [value if c.name == "value" else c for c in cols]


def _columns_budget() -> list[Column]:
    return [
        Column("service", "string", "The service (its pack id)", arrow=pa.string()),
        Column("year", "integer", "The budget year", "year", pa.int32()),
        Column("area_code", "string", "The area the budget line is for", arrow=pa.string()),
        Column("area_name", "string", "The area's name", arrow=pa.string()),
        Column("line", "string", "What the money pays for", arrow=pa.string()),
        Column("amount", "number", "The amount budgeted", "see currency", pa.float64()),
        Column("currency", "string", "ISO 4217 currency code", arrow=pa.string()),
        Column(
            "is_illustrative",
            "boolean",
            "True: a figure made up for a demonstration, not real",
            arrow=pa.bool_(),
        ),
        Column("source", "string", "Where the figure comes from", arrow=pa.string()),
        Column("note", "string", "A note on the figure", arrow=pa.string()),
    ]


def _columns_spending() -> list[Column]:
    return [
        Column("service", "string", "The service (its pack id)", arrow=pa.string()),
        Column("year", "integer", "The calendar year", "year", pa.int32()),
        Column(
            "area_code",
            "string",
            "The area (the country: spending is published nationally)",
            arrow=pa.string(),
        ),
        Column(
            "item",
            "string",
            "discounts_forgone (households enrolled times the yearly discount), fees_collected, "
            "places_funded or visits_made",
            arrow=pa.string(),
        ),
        Column(
            "amount",
            "number",
            f"Money spent or forgone; {conf.SUPPRESSED_MARKER} in CSV (null in Parquet) where not published",
            "see currency",
            pa.float64(),
        ),
        Column("currency", "string", "ISO 4217 currency code (empty for quantities)", arrow=pa.string()),
        Column(
            "quantity",
            "integer",
            "Households, payments, places or visits behind the figure",
            arrow=pa.int64(),
        ),
        Column(
            "is_illustrative",
            "boolean",
            "True: the unit value is made up for a demonstration",
            arrow=pa.bool_(),
        ),
        Column("source", "string", "Where the unit value comes from", arrow=pa.string()),
    ]


def spending_rows(published: Published, pack: Pack) -> list[dict[str, Any]]:
    """What was spent or forgone, nationally (the same items as the dashboard's national page)."""
    root = published.root
    if root is None:
        return []
    spec = budget_file_read(pack)
    summary = budget_summary(
        published=published, area_code=root["code"], forgone=spec.forgone if spec else None
    )
    return [
        {
            "service": published.pack_id,
            "year": published.year,
            "area_code": root["code"],
            "item": item.id,
            "amount": float(item.amount) if item.amount is not None else None,
            "currency": item.currency,
            "quantity": item.quantity,
            "is_illustrative": item.is_illustrative,
            "source": item.source,
        }
        for item in summary.spending
    ]


def count_rows(published: Published) -> list[dict[str, Any]]:
    """One row per area and counted measure, suppressed cells as None."""
    rows = []
    for area in published.areas:
        for variable in published.variables:
            value = published.counts.get(area["code"], {}).get(variable)
            rows.append(
                {
                    "service": published.pack_id,
                    "year": published.year,
                    "area_code": area["code"],
                    "area_name": area["name"],
                    "area_level": area["level"],
                    "parent_code": area["parent_code"] or "",
                    "measure": variable,
                    "value": value,
                    "unit": COUNT_UNITS.get(variable, "people"),
                    "status": PUBLISHED if value is not None else SUPPRESSED,
                }
            )
    return rows


def measure_rows(published: Published) -> list[dict[str, Any]]:
    """One row per area and rate or processing time, unpublished ones as None."""
    rows = []
    for area in published.areas:
        for measure, value in published.measures.get(area["code"], {}).items():
            rows.append(
                {
                    "service": published.pack_id,
                    "year": published.year,
                    "area_code": area["code"],
                    "area_name": area["name"],
                    "area_level": area["level"],
                    "parent_code": area["parent_code"] or "",
                    "measure": measure,
                    "value": value,
                    "unit": "days" if measure.endswith("_days") else "percent",
                    "status": PUBLISHED if value is not None else SUPPRESSED,
                }
            )
    return rows


def budget_rows() -> list[dict[str, Any]]:
    return [
        {
            "service": b.pack_id,
            "year": b.year,
            "area_code": b.area.code,
            "area_name": b.area.name,
            "line": b.line,
            "amount": float(b.amount),
            "currency": b.currency,
            "is_illustrative": b.is_illustrative,
            "source": b.source,
            "note": b.note,
        }
        for b in BudgetLine.objects.select_related("area").order_by("pack_id", "year", "area__path", "line")
    ]


def _write(folder: Path, name: str, columns: Sequence[Column], rows: list[dict[str, Any]]) -> None:
    with (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow([c.name for c in columns])
        for row in rows:
            writer.writerow(
                [
                    conf.SUPPRESSED_MARKER
                    if row[c.name] is None and c.name in ("value", "amount")
                    else ("true" if row[c.name] is True else "false" if row[c.name] is False else row[c.name])
                    for c in columns
                ]
            )
    schema = pa.schema([(c.name, c.arrow) for c in columns])
    table = pa.Table.from_pylist(rows, schema=schema)
    pq.write_table(table, folder / f"{name}.parquet")


def _schema(columns: Sequence[Column], measures: Sequence[str] | None) -> dict[str, Any]:
    fields = []
    for c in columns:
        spec: dict[str, Any] = {"name": c.name, "type": c.type, "description": c.description}
        if c.unit:
            spec["unit"] = c.unit
        if c.name == "measure" and measures:
            spec["constraints"] = {"enum": list(measures)}
        if c.name == "status":
            spec["constraints"] = {"enum": [PUBLISHED, SUPPRESSED]}
        fields.append(spec)
    return {"fields": fields, "missingValues": ["", conf.SUPPRESSED_MARKER]}


def _resources(
    name: str, title: str, description: str, columns: Sequence[Column], measures: Sequence[str] | None
) -> list[dict[str, Any]]:
    schema = _schema(columns, measures)
    return [
        {
            "name": name,
            "path": f"{name}.csv",
            "title": f"{title} (CSV)",
            "description": description,
            "profile": "tabular-data-resource",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "schema": schema,
        },
        {
            "name": f"{name}-parquet",
            "path": f"{name}.parquet",
            "title": f"{title} (Parquet)",
            "description": f"{description} The same table as {name}.csv; suppressed values are null.",
            "format": "parquet",
            "mediatype": "application/vnd.apache.parquet",
            "schema": schema,
        },
    ]


def opendata_export(*, out: Path, refresh: bool = False) -> Path:
    """Write the data package to ``out`` (replacing it); with ``refresh``, recompute the figures first."""
    from govreach.transparency.figures import snapshot_refresh

    if refresh:
        snapshot_refresh()
    packs = {pack.id: pack for pack in service_packs()}
    publications = [p for pack in packs.values() for p in published_for(pack)]
    publications.sort(key=lambda p: (p.pack_id, p.year))
    spending = [r for p in publications for r in spending_rows(p, packs[p.pack_id])]
    counts = [r for p in publications for r in count_rows(p)]
    measures = [r for p in publications for r in measure_rows(p)]
    budgets = budget_rows()
    years = sorted({p.year for p in publications} | {int(b["year"]) for b in budgets})
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".opendata-", dir=out.parent))
    try:
        _write(staging, "service_counts", _columns_counts(), counts)
        _write(staging, "service_rates", _columns_measures(), measures)
        _write(staging, "budget_lines", _columns_budget(), budgets)
        _write(staging, "spending", _columns_spending(), spending)
        threshold = conf.min_count()
        count_measures = list(COUNT_DESCRIPTIONS)
        descriptor = {
            "profile": "data-package",
            "name": "govreach-public-figures",
            "title": "GovReach public figures: service performance, take-up, outcomes and budgets",
            "description": (
                "Figures per service, year and area (national down to local). Statistical disclosure "
                f"control: no published count is below {threshold}; counts from 1 to {threshold - 1} are "
                f"suppressed and shown as {conf.SUPPRESSED_MARKER}, and further cells are suppressed "
                "(secondary suppression) so that none of them can be recovered from the totals of an "
                "area's measures (received = decided + pending, ...), from a parent area's total over its "
                "children, or from both together. Zeros are published. Rates and processing times are "
                "published only where the counts they come from are. Measures: "
                + "; ".join(f"{k}: {v}" for k, v in {**COUNT_DESCRIPTIONS, **MEASURE_DESCRIPTIONS}.items())
            ),
            "created": timezone.now().replace(microsecond=0).isoformat(),
            "licenses": [
                {"name": conf.LICENCE, "path": conf.LICENCE_URL, "title": "Creative Commons Attribution 4.0"}
            ],
            "sources": [
                {"title": "GovReach case records (applications, decisions, payments)"},
                {"title": "GovReach entitlement cycles (take-up)"},
                {"title": "GovReach outreach registrations and visits"},
                {"title": "GovReach programme cohorts and outcomes"},
                {"title": "Budget lines entered by finance officers or loaded from the service packs"},
            ],
            "temporalCoverage": {"start": str(years[0]), "end": str(years[-1])} if years else {},
            "suppression": {
                "marker": conf.SUPPRESSED_MARKER,
                "meaning": (
                    f"Not published: fewer than {threshold} people, or hidden so that such a count cannot be "
                    "worked out from published totals"
                ),
                "threshold": threshold,
            },
            "resources": [
                *_resources(
                    "service_counts",
                    "Counts per service, year and area",
                    "Counts after disclosure control, in long form: one row per area and measure.",
                    _columns_counts(),
                    count_measures,
                ),
                *_resources(
                    "service_rates",
                    "Rates and processing times per service, year and area",
                    "Rates in percent and days to decide, published only from published counts.",
                    _columns_measures(),
                    [*RATES, "median_days", "p90_days"],
                ),
                *_resources(
                    "budget_lines",
                    "Budget lines per service, year and area",
                    "Budgets from finance staff or from the packs; illustrative lines are marked.",
                    _columns_budget(),
                    None,
                ),
                *_resources(
                    "spending",
                    "Spent or forgone per service and year",
                    "Fees collected, discounts forgone, places funded and visits made, nationally.",
                    _columns_spending(),
                    None,
                ),
            ],
        }
        (staging / "datapackage.json").write_text(json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n")
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out
