"""The auditor's pages: entries of a period with filters, and the period's download with its hashes.

Only users in the Django group ``auditor``, signed in with both factors, get in: anyone else signed in
gets 403, anyone not signed in goes to the staff sign-in. Looking at the log is itself recorded
(``audit.view``, ``audit.export``).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from govreach.accounts.access import is_staff_verified
from govreach.audit.forms import AuditFilterForm
from govreach.audit.log import audit_record
from govreach.audit.models import AuditEntry
from govreach.audit.selectors import audit_entry_list_for_period, is_auditor, iter_export_chunks

PAGE_SIZE = 50
R = TypeVar("R", bound=HttpResponseBase)


def auditor_required(view: Callable[..., R]) -> Callable[..., HttpResponseBase]:
    """Staff sign-in with both factors (else to the staff sign-in) and the ``auditor`` group (else 403)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not is_staff_verified(request):
            return redirect_to_login(request.get_full_path(), reverse("accounts:staff_login"))
        if not is_auditor(request.user):
            raise PermissionDenied("Only auditors may read the audit log.")
        return view(request, *args, **kwargs)

    return wrapped


def _filtered(form: AuditFilterForm) -> Any:
    data = form.cleaned_data
    return audit_entry_list_for_period(
        date_from=data["date_from"],
        date_to=data["date_to"],
        action=data.get("action") or "",
        actor=data.get("actor") or "",
        person_id=data.get("person"),
    )


def _detail(form: AuditFilterForm) -> dict[str, str | int | bool | None]:
    data = form.cleaned_data
    return {
        "date_from": data["date_from"].isoformat(),
        "date_to": data["date_to"].isoformat(),
        "has_action_filter": bool(data.get("action")),
        "has_actor_filter": bool(data.get("actor")),
        "person_id": data.get("person"),
    }


@require_GET
@auditor_required
def entries(request: HttpRequest) -> HttpResponse:
    """Entries of a period, newest first, 50 at a time (``before`` pages back by sequence number)."""
    form = AuditFilterForm(request.GET)
    rows: list[AuditEntry] = []
    older_url = ""
    query = ""
    if form.is_valid():
        selected = _filtered(form)
        before = request.GET.get("before", "")
        if before.isdigit():
            selected = selected.filter(seq__lt=int(before))
        rows = list(selected[: PAGE_SIZE + 1])
        params: dict[str, str | int] = {k: str(v) for k, v in request.GET.items() if k in form.fields and v}
        params.update(
            date_from=form.cleaned_data["date_from"].isoformat(),
            date_to=form.cleaned_data["date_to"].isoformat(),
        )
        query = urlencode(params)
        if len(rows) > PAGE_SIZE:
            rows = rows[:PAGE_SIZE]
            older_url = "?" + urlencode({**params, "before": rows[-1].seq})
        audit_record(action="audit.view", request=request, detail=_detail(form))
    status = 200 if form.is_valid() else 400
    return render(
        request,
        "audit/entries.html",
        {"form": form, "rows": rows, "older_url": older_url, "query": query},
        status=status,
    )


@require_GET
@auditor_required
def export(request: HttpRequest) -> HttpResponseBase:
    """The period as CSV or JSON lines, every field and hash, so it can be verified away from GovReach."""
    form = AuditFilterForm(request.GET)
    fmt = "csv" if request.GET.get("format", "csv") == "csv" else "jsonl"
    if not form.is_valid():
        return render(request, "audit/entries.html", {"form": form, "rows": []}, status=400)
    selected = _filtered(form)
    audit_record(action="audit.export", request=request, detail={**_detail(form), "format": fmt})

    def stream() -> Iterator[str]:
        # One page of the export at a time: the whole period is never held in memory.
        buffer = io.StringIO()
        for _ in iter_export_chunks(selected, buffer, fmt=fmt):
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()

    data = form.cleaned_data
    filename = f"audit-{data['date_from'].isoformat()}-{data['date_to'].isoformat()}.{fmt}"
    content_type = "text/csv; charset=utf-8" if fmt == "csv" else "application/jsonl; charset=utf-8"
    response = StreamingHttpResponse(stream(), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
