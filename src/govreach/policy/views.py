"""Staff pages for policy officers: versions and their approval, the dry run of a change, pilots.

Only staff signed in with both factors who hold the ``policy-officer`` role for the pack get in; the
four-eyes rule itself is enforced by the services, whatever page calls them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from govreach.accounts.access import staff_login_required
from govreach.catalogue.models import PackPilot, ServicePack
from govreach.catalogue.selectors import ServicePackNotFound, pack_for, service_pack_get
from govreach.catalogue.services import (
    PackVersionRefused,
    pack_version_activate,
    pack_version_approve,
    pack_version_review,
    pack_version_roll_back,
)
from govreach.entitlements.services import CycleError
from govreach.policy import conf
from govreach.policy.dryrun import DryRunError, dry_run, published_summary
from govreach.policy.evaluation import pilot_evaluate
from govreach.policy.report import bars_svg
from govreach.policy.selectors import pack_versions_for, pilots_for, policy_packs_for, version_history
from govreach.policy.services import pilot_roll_back, pilot_start
from govreach.registry.models import Area


def _require_officer(request: HttpRequest, pack_id: str) -> None:
    if pack_id not in policy_packs_for(request.user):
        raise PermissionDenied(_("Only a policy officer of this service may see this page."))


@require_GET
@staff_login_required
def index(request: HttpRequest) -> HttpResponse:
    """The services this officer holds: their versions, states and pilots."""
    packs = [
        {
            "pack_id": pack_id,
            "versions": list(pack_versions_for(pack_id)),
            "pilots": list(pilots_for(pack_id)),
        }
        for pack_id in policy_packs_for(request.user)
    ]
    if not packs:
        raise PermissionDenied(_("Only a policy officer may see this page."))
    return render(request, "policy/index.html", {"packs": packs})


_ACTIONS = {
    "review": pack_version_review,
    "approve": pack_version_approve,
}


@require_http_methods(["GET", "POST"])
@staff_login_required
def version(request: HttpRequest, pack_id: str, version: str) -> HttpResponse:
    """One version: what it says, who proposed, reviewed and approved it, and the next step."""
    _require_officer(request, pack_id)
    row = get_object_or_404(ServicePack, pack_id=pack_id, version=version)
    error = ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action in _ACTIONS:
                _ACTIONS[action](service_pack=row, by=request.user, note=request.POST.get("note", "")[:500])
            elif action == "activate":
                pack_version_activate(service_pack=row, by=request.user)
            elif action == "roll_back":
                pack_version_roll_back(pack_id=pack_id, by=request.user)
            else:
                raise PackVersionRefused(_("Unknown action."))
        except PackVersionRefused as exc:
            error = str(exc)
        else:
            return HttpResponseRedirect(request.path)
    language = request.LANGUAGE_CODE or "en"
    summary = row.change_summaries.get(language) or row.change_summaries.get("en", "")
    parameters = sorted(pack_for(row).ruleset.parameters.items())
    on = timezone.localdate()
    context = {
        "row": row,
        "summary": summary,
        "history": version_history(row),
        "error": error,
        "parameters": [(name, p.value_on(on)) for name, p in parameters],
        "areas": Area.objects.filter(level__in=["region", "district"]).order_by("path")[:200],
        "today": on,
    }
    return render(request, "policy/version.html", context, status=400 if error else 200)


def _parse_date(raw: str | None, default: dt.date | None = None) -> dt.date | None:
    if not raw:
        return default
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        return None


@require_GET
@staff_login_required
def diff(request: HttpRequest, pack_id: str) -> HttpResponse:
    """Dry run of a change from the staff web: the published summary as tables and SVG bars."""
    _require_officer(request, pack_id)
    versions = list(pack_versions_for(pack_id).order_by("version"))
    if not versions:
        raise Http404(_("No such service."))
    try:
        in_force = service_pack_get(pack_id)
    except ServicePackNotFound:
        raise Http404(_("No such service.")) from None
    errors: list[tuple[str, str]] = []
    from_version = request.GET.get("from", in_force.version)
    to_version = request.GET.get("to", "")
    on = _parse_date(request.GET.get("on"), timezone.localdate())
    if on is None:
        errors.append(("on", _("Enter the date as YYYY-MM-DD.")))
    by_version = {v.version: v for v in versions}
    summary: dict[str, Any] | None = None
    charts: dict[str, str] = {}
    if to_version and not errors:
        if from_version not in by_version or to_version not in by_version:
            errors.append(("to", _("Choose two versions of this service.")))
        else:
            assert on is not None
            key = f"policy-diff:{pack_id}:{from_version}:{to_version}:{on}:{by_version[to_version].digest}"
            summary = cache.get(key)
            if summary is None:
                try:
                    run = dry_run(
                        before=pack_for(by_version[from_version]),
                        after=pack_for(by_version[to_version]),
                        registries=conf.registries_dir(),
                        on=on,
                    )
                except (DryRunError, CycleError) as exc:
                    errors.append(("to", str(exc)))
                else:
                    summary = published_summary(run)
                    cache.set(key, summary, 600)
    if summary is not None:
        gain, loss = _("would gain"), _("would lose")
        charts = {
            "area": bars_svg(
                summary["by_area"], "area", title=_("By area"), gain_label=gain, loss_label=loss
            ),
            "criterion": bars_svg(
                summary["by_criterion"],
                "criterion",
                title=_("By criterion"),
                gain_label=gain,
                loss_label=loss,
            ),
        }
    context = {
        "pack_id": pack_id,
        "versions": versions,
        "from_version": from_version,
        "to_version": to_version,
        "on": request.GET.get("on", (on or timezone.localdate()).isoformat()),
        "errors": errors,
        "summary": summary,
        "charts": charts,
    }
    return render(request, "policy/diff.html", context, status=400 if errors else 200)


@require_http_methods(["POST"])
@staff_login_required
def pilot_new(request: HttpRequest, pack_id: str, version: str) -> HttpResponse:
    """Start a pilot of an approved version in one area (and everything below it)."""
    _require_officer(request, pack_id)
    row = get_object_or_404(ServicePack, pack_id=pack_id, version=version)
    area = Area.objects.filter(code=request.POST.get("area", "")).first()
    starts_on = _parse_date(request.POST.get("starts_on"))
    ends_on = _parse_date(request.POST.get("ends_on"))
    try:
        if area is None or starts_on is None:
            raise PackVersionRefused(_("Choose an area and a start date (YYYY-MM-DD)."))
        pilot = pilot_start(
            service_pack=row, areas=[area], starts_on=starts_on, ends_on=ends_on, by=request.user
        )
    except PackVersionRefused as exc:
        history = version_history(row)
        context = {
            "row": row,
            "history": history,
            "error": str(exc),
            "parameters": [],
            "areas": Area.objects.none(),
        }
        return render(request, "policy/version.html", context, status=400)
    return HttpResponseRedirect(reverse("policy:pilot", kwargs={"pk": pilot.pk}))


@require_http_methods(["GET", "POST"])
@staff_login_required
def pilot(request: HttpRequest, pk: int) -> HttpResponse:
    """A pilot's evaluation (pilot against comparison areas, before and after) and its roll-back."""
    found = get_object_or_404(PackPilot.objects.select_related("service_pack"), pk=pk)
    _require_officer(request, found.service_pack.pack_id)
    error = ""
    if request.method == "POST":
        try:
            pilot_roll_back(pilot=found, by=request.user)
        except PackVersionRefused as exc:
            error = str(exc)
        else:
            return HttpResponseRedirect(request.path)
    evaluation = pilot_evaluate(found)
    names = {
        "granted": _("Take-up: households granted among those decided"),
        "approved": _("Approval rate: applications approved among those decided"),
        "on_time": _("Processing time: applications decided by their deadline"),
    }
    rows = [{"indicator": i, "name": names[i.key]} for i in evaluation.indicators]
    context = {"pilot": found, "evaluation": evaluation, "rows": rows, "error": error}
    return render(request, "policy/pilot.html", context, status=400 if error else 200)
