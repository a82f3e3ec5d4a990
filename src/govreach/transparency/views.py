"""Public dashboards per service and area, the open data download page, and the finance officers' budget
page. Dashboards and open data need no sign-in and show only disclosure-controlled figures; budget lines
are entered by staff holding the finance role for the service.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from govreach.accounts.access import request_user, staff_login_required
from govreach.catalogue.selectors import ServicePackNotFound, ServicePackUnavailable, active_pack
from govreach.packs.loader import Pack
from govreach.transparency import conf, formatting, selectors, services
from govreach.transparency.charts import Bar, bar_chart
from govreach.transparency.figures import Published, published_for, service_packs
from govreach.transparency.labels import COUNT_LABELS, MEASURE_LABELS, SECTIONS, SPENDING_LABELS
from govreach.web.language import choose_language
from govreach.web.texts import ui_language, ui_texts

MAX_BARS = 40  # more areas than this are cut from the chart and its table (the open data has them all)


def _render(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    language = get_language() or settings.LANGUAGE_CODE
    page = {"ui": ui_texts(language), "page_lang": ui_language(language), "language": language}
    return render(request, f"transparency/{template}", {**page, **context}, status=status)


def _pack(pack_id: str) -> Pack:
    try:
        return active_pack(pack_id)
    except (ServicePackNotFound, ServicePackUnavailable):
        raise Http404("no such service") from None


def _shown_count(value: int | None) -> str:
    return conf.SUPPRESSED_MARKER if value is None else formatting.number(value)


def _shown_measure(measure: str, value: float | None) -> str:
    if value is None:
        return conf.SUPPRESSED_MARKER
    if measure.endswith("_days"):
        return formatting.number(value, decimals=1)
    return formatting.percent(value)


def _section_context(published: Published, area_code: str, language: str) -> list[dict[str, Any]]:
    counts = published.counts.get(area_code, {})
    measures = published.measures.get(area_code, {})
    children = published.children(area_code)
    sections = []
    for section_id, title, count_ids, measure_ids, charted in SECTIONS:
        if section_id == "feedback" and not published.national.get("is_feedback_measured"):
            sections.append({"id": section_id, "title": title, "is_not_measured": True})
            continue
        if charted not in published.variables:
            continue
        figures = [
            {
                "label": str(COUNT_LABELS[v]),
                "shown": _shown_count(counts.get(v)),
                "is_suppressed": counts.get(v) is None,
            }
            for v in count_ids
            if v in published.variables
        ]
        figures += [
            {
                "label": str(MEASURE_LABELS[m]),
                "shown": _shown_measure(m, measures.get(m)),
                "is_suppressed": measures.get(m) is None,
            }
            for m in measure_ids
            if m in measures
        ]
        rows: list[dict[str, Any]] = []
        for child in children[:MAX_BARS]:
            value = published.counts.get(child["code"], {}).get(charted)
            rows.append(
                {
                    "area": child,
                    "is_link": not child["code"].endswith("~"),
                    "value": value,
                    "shown": _shown_count(value),
                    "measures": [
                        _shown_measure(m, published.measures.get(child["code"], {}).get(m))
                        for m in measure_ids
                        if m in measures
                    ],
                }
            )
        chart_title = _("%(figure)s by area, %(year)s") % {
            "figure": COUNT_LABELS[charted],
            "year": published.year,
        }
        chart = (
            bar_chart(
                chart_id=f"chart-{section_id}",
                title=chart_title,
                bars=[Bar(r["area"]["name"], r["value"], r["shown"]) for r in rows],
            )
            if rows
            else None
        )
        sections.append(
            {
                "id": section_id,
                "title": title,
                "figures": figures,
                "charted": COUNT_LABELS[charted],
                "chart_title": chart_title,
                "chart": chart,
                "rows": rows,
                "measure_titles": [MEASURE_LABELS[m] for m in measure_ids if m in measures],
                "is_not_measured": False,
            }
        )
    return sections


def _budget_context(pack: Pack, published: Published, area_code: str) -> dict[str, Any]:
    spec = services.budget_file_read(pack)
    summary = selectors.budget_summary(
        published=published, area_code=area_code, forgone=spec.forgone if spec else None
    )
    lines = [
        {"line": b, "amount": formatting.money(b.amount, b.currency), "area": b.area.name}
        for b in summary.lines
    ]
    spending = []
    for item in summary.spending:
        if item.amount is not None:
            shown = (
                formatting.money(item.amount, item.currency)
                if item.currency
                else formatting.number(item.amount)
            )
        elif item.quantity is not None and item.id in ("places_funded", "visits_made"):
            shown = formatting.number(item.quantity)
        else:
            shown = conf.SUPPRESSED_MARKER
        spending.append({"label": SPENDING_LABELS[item.id], "shown": shown, "item": item})
    totals = [formatting.money(amount, currency) for currency, amount in sorted(summary.totals.items())]
    # No transactions: there is no cost per transaction ("-"); a suppressed count: not published ([c]).
    unknown = conf.SUPPRESSED_MARKER if summary.transactions is None else "–"
    costs = [
        formatting.money(cost, currency) if cost is not None else unknown
        for currency, cost in sorted(summary.cost_per_transaction.items())
    ]
    return {
        "budget_lines": lines,
        "budget_totals": totals,
        "spending": spending,
        "cost_per_transaction": costs,
        "transaction_label": COUNT_LABELS.get(summary.transaction_kind, ""),
        "transactions_shown": _shown_count(summary.transactions) if summary.transaction_kind else "",
        "is_budget_known": summary.is_known,
    }


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """Every service with a link to its figures, and the open data."""
    language = get_language() or settings.LANGUAGE_CODE
    packs = []
    for pack in service_packs():
        pack_language = choose_language(request, pack.languages)[0]
        packs.append({"id": pack.id, "title": pack.title(pack_language), "lang": pack_language})
    return _render(request, "index.html", {"services": packs, "language": language})


@require_GET
def dashboard(request: HttpRequest, pack_id: str, area_code: str | None = None) -> HttpResponse:
    """A service's figures for one area (the country by default) and year (the latest by default)."""
    pack = _pack(pack_id)
    language = get_language() or settings.LANGUAGE_CODE
    pack_language = choose_language(request, pack.languages)[0]
    years = published_for(pack)
    context: dict[str, Any] = {
        "pack": pack,
        "pack_title": pack.title(pack_language),
        "pack_language": pack_language,
    }
    if not years:
        return _render(request, "dashboard_empty.html", context)
    wanted = request.GET.get("year", "")
    published = next((p for p in years if str(p.year) == wanted), years[0])
    root = published.root
    code = area_code or (root["code"] if root else "")
    area = published.area(code)
    if area is None:
        raise Http404("no published figures for this area")
    lineage: list[dict[str, Any]] = []
    current: dict[str, Any] | None = area
    while current is not None:
        lineage.insert(0, current)
        current = published.area(current["parent_code"]) if current["parent_code"] else None
    context.update(
        {
            "published": published,
            "years": [p.year for p in years],
            "area": area,
            "lineage": lineage[:-1],
            "sections": _section_context(published, code, language),
            "threshold": published.threshold,
            "marker": conf.SUPPRESSED_MARKER,
            "deadline_days": published.national.get("deadline_days")
            if "received" in published.variables
            else None,
            "computed_on": formatting.date_long(dt.datetime.fromisoformat(published.computed_at)),
            **_budget_context(pack, published, code),
        }
    )
    return _render(request, "dashboard.html", context)


def _opendata_files() -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The published data package (its descriptor) and its files, from the open data folder."""
    folder = conf.opendata_dir()
    descriptor_path = folder / "datapackage.json"
    if not descriptor_path.is_file():
        return None, []
    descriptor = json.loads(descriptor_path.read_text(encoding="utf-8"))
    files = [
        {
            "name": "datapackage.json",
            "title": _("Data package descriptor (Frictionless, JSON)"),
            "size": descriptor_path.stat().st_size,
        }
    ]
    for resource in descriptor.get("resources", []):
        path = folder / resource["path"]
        if path.is_file():
            files.append(
                {
                    "name": resource["path"],
                    "title": resource.get("title", ""),
                    "size": path.stat().st_size,
                    "format": resource.get("format", ""),
                }
            )
    return descriptor, files


@require_GET
def opendata(request: HttpRequest) -> HttpResponse:
    """The open data: what it holds, its licence, the suppression marker, and the files."""
    descriptor, files = _opendata_files()
    for f in files:
        f["size_shown"] = formatting.number(max(1, round(f["size"] / 1024)))
    return _render(
        request,
        "opendata.html",
        {
            "descriptor": descriptor,
            "files": files,
            "marker": conf.SUPPRESSED_MARKER,
            "threshold": conf.min_count(),
            "licence_url": conf.LICENCE_URL,
        },
    )


@require_GET
def opendata_file(request: HttpRequest, name: str) -> FileResponse:
    """One file of the published data package: only the files its descriptor lists."""
    _descriptor, files = _opendata_files()
    if name not in {f["name"] for f in files}:
        raise Http404("no such file")
    content_type = {"csv": "text/csv", "json": "application/json"}.get(
        name.rsplit(".", 1)[-1], "application/octet-stream"
    )
    response = FileResponse(
        (conf.opendata_dir() / name).open("rb"), as_attachment=True, filename=name, content_type=content_type
    )
    return response


@never_cache
@staff_login_required
@require_http_methods(["GET", "POST"])
def budget(request: HttpRequest, pack_id: str) -> HttpResponse:
    """Finance officers of the service see its budget lines and add or correct one."""
    pack = _pack(pack_id)
    user = request_user(request)
    areas = list(selectors.budget_areas_for(user, pack_id=pack.id).order_by("path"))
    if not areas:
        raise PermissionDenied("You hold no finance role for this service.")
    errors: dict[str, str] = {}
    values = {
        k: request.POST.get(k, "").strip()
        for k in ("year", "area", "line", "amount", "currency", "source", "note")
    }
    if request.method == "POST":
        area = next((a for a in areas if a.code == values["area"]), None)
        if area is None:
            errors["area"] = _("Choose an area you are responsible for.")
        if not (values["year"].isdigit() and 1900 <= int(values["year"]) <= 2200):
            errors["year"] = _("Enter a year, like 2026.")
        if not values["line"]:
            errors["line"] = _("Enter what the money pays for.")
        amount: Decimal | None = None
        with contextlib.suppress(InvalidOperation):
            amount = Decimal(values["amount"].replace(",", ""))
        if amount is None or amount < 0 or not amount.is_finite():
            errors["amount"] = _("Enter an amount of 0 or more, like 125000.50.")
        if not (len(values["currency"]) == 3 and values["currency"].isalpha()):
            errors["currency"] = _("Enter a three-letter currency code, like EUR.")
        if not values["source"]:
            errors["source"] = _("Say where the figure comes from.")
        if not errors and area is not None and amount is not None:
            services.budget_line_create(
                pack_id=pack.id,
                year=int(values["year"]),
                area=area,
                line=values["line"][:200],
                amount=amount,
                currency=values["currency"],
                source=values["source"][:500],
                note=values["note"],
                acting_user=user,
            )
            messages.success(request, _("The budget line is saved."))
            return redirect("transparency:budget", pack_id=pack.id)
    lines = selectors.budget_line_list(pack_id=pack.id)
    pack_language = choose_language(request, pack.languages)[0]
    return _render(
        request,
        "budget.html",
        {
            "pack": pack,
            "pack_title": pack.title(pack_language),
            "pack_language": pack_language,
            "areas": areas,
            "lines": [{"line": b, "amount": formatting.money(b.amount, b.currency)} for b in lines],
            "errors": errors,
            "values": values,
        },
        status=400 if errors else 200,
    )
