"""Programme pages: registration (by a school, or by the student's guardian), the coordinator's cohort page,
the public allocation list, a class's attendance on a phone, scores and outcomes.

Views parse, check the pack's permissions, call one service or selector and render. URLs carry only
row ids: never a name, a national id or a phone number. Teachers see only the classes they teach.
"""

from __future__ import annotations

import csv
import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from govreach.accounts.access import is_staff_verified, request_user, staff_login_required
from govreach.accounts.selectors import citizen_account_for
from govreach.catalogue.selectors import ServicePackNotFound, ServicePackUnavailable, active_pack
from govreach.packs.loader import Pack, text_in
from govreach.packs.programme import Programme
from govreach.programmes import selectors, services
from govreach.programmes.forms import (
    IDENTITY_COLUMNS,
    FreePlaceForm,
    OutcomesForm,
    RegistrationForm,
    SchoolListForm,
    SeedForm,
)
from govreach.programmes.lottery import PROCEDURE
from govreach.programmes.models import Allocation, ClassGroup, Cohort, MockExam, Registration, Session
from govreach.web.language import choose_language
from govreach.web.texts import ui_language, ui_texts

YES = {"yes", "true", "1", "sim", "s", "y"}


def _render(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    language = get_language() or settings.LANGUAGE_CODE
    page = {"ui": ui_texts(language), "page_lang": ui_language(language), "language": language}
    response = render(request, f"programmes/{template}", {**page, **context}, status=status)
    response["X-Robots-Tag"] = "noindex"
    return response


def _programme_pack(pack_id: str) -> tuple[Pack, Programme]:
    try:
        pack = active_pack(pack_id)
    except (ServicePackNotFound, ServicePackUnavailable):
        raise Http404("no such programme") from None
    try:
        return pack, services.programme_of(pack)
    except services.ProgrammeError:
        raise Http404("this service is not a programme") from None


def _pack_language(request: HttpRequest, pack: Pack) -> str:
    return choose_language(request, pack.languages)[0]


def _require(request: HttpRequest, cohort: Cohort, capability: str) -> None:
    if not selectors.staff_can(request.user, cohort=cohort, capability=capability):
        raise PermissionDenied("You have no role in this programme that allows this.")


def _cohort_context(request: HttpRequest, cohort: Cohort) -> dict[str, Any]:
    pack, programme = _programme_pack(cohort.pack_id)
    language = _pack_language(request, pack)
    return {
        "cohort": cohort,
        "pack": pack,
        "programme": programme,
        "pack_language": language,
        "pack_title": pack.title(language),
    }


# --- registration ----------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest, pack_id: str) -> HttpResponse:
    """A school registers its students (one, or its whole list); a signed-in guardian registers a child."""
    pack, programme = _programme_pack(pack_id)
    language = _pack_language(request, pack)
    cohort = selectors.cohort_open_for(pack_id, on=timezone.localdate())
    context: dict[str, Any] = {
        "pack": pack,
        "pack_title": pack.title(language),
        "pack_language": language,
        "cohort": cohort,
    }
    if cohort is None:
        return _render(request, "register_closed.html", context)
    is_school = is_staff_verified(request) and selectors.staff_can(
        request.user, cohort=cohort, capability="register"
    )
    citizen = citizen_account_for(request.user)
    if not is_school and citizen is None:
        context["next"] = request.get_full_path()
        return _render(request, "register_sign_in.html", context)
    form = RegistrationForm(
        request.POST or None,
        ruleset=pack.ruleset,
        programme=programme,
        language=language,
        ask_phone=is_school,
    )
    context.update(
        {
            "form": form,
            "is_school": is_school,
            "list_form": SchoolListForm(),
            "facts": pack.ruleset.inputs.unit_fields,
        }
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            registration = services.registration_create(
                cohort=cohort,
                identity=services.StudentIdentity(
                    data["given_name"].strip(),
                    data["family_name"].strip(),
                    data["birth_date"],
                    data["national_id"].strip(),
                ),
                facts=form.facts(),
                channel=Registration.Channel.SCHOOL if is_school else Registration.Channel.SELF,
                registered_by=request_user(request),
                guardian_phone=data.get("guardian_phone")
                or (citizen.phone if citizen and not is_school else ""),
                school_code=data["school_code"],
                school_name=data["school_name"],
                hub_code=data["hub"],
                language=language,
            )
        except services.RegistrationRefused as exc:
            context["page_errors"] = [str(exc), *(f"{k}: {v}" for k, v in exc.problems.items())]
            return _render(request, "register.html", context, status=400)
        return redirect("programmes:registration", registration_id=registration.pk)
    return _render(request, "register.html", context, status=400 if request.method == "POST" else 200)


@never_cache
@staff_login_required
@require_POST
def register_list(request: HttpRequest, pack_id: str) -> HttpResponse:
    """A school's whole list at once (CSV): decided together by the compiled rules."""
    pack, _programme = _programme_pack(pack_id)
    language = _pack_language(request, pack)
    cohort = selectors.cohort_open_for(pack_id, on=timezone.localdate())
    if cohort is None:
        raise Http404("registration is closed")
    _require(request, cohort, "register")
    form = SchoolListForm(request.POST, request.FILES)
    context: dict[str, Any] = {
        "pack": pack,
        "pack_title": pack.title(language),
        "pack_language": language,
        "cohort": cohort,
    }
    rows: list[dict[str, str]] = []
    if form.is_valid():
        try:
            rows = form.rows()
        except ValidationError as exc:
            form.add_error("file", exc)
    if not form.is_valid() or not rows:
        if form.is_valid():
            form.add_error("file", _("The list has no students."))
        context.update({"list_form": form, "form": None, "is_school": True})
        return _render(request, "register.html", context, status=400)
    facts = pack.ruleset.inputs.unit_fields
    student_rows: list[services.StudentRow] = []
    refused: dict[int, str] = {}
    for i, row in enumerate(rows, start=1):
        try:
            birth = dt.date.fromisoformat(row["birth_date"]) if row.get("birth_date") else None
        except ValueError:
            refused[i] = _("birth_date: expected a date as YYYY-MM-DD")
            birth = None
        student_rows.append(
            services.StudentRow(
                identity=services.StudentIdentity(
                    row.get("given_name", "").strip(),
                    row.get("family_name", "").strip(),
                    birth,
                    row.get("national_id", "").strip(),
                ),
                facts={name: row[name] for name in facts if row.get(name, "") != ""},
                guardian_phone=row.get("guardian_phone", "").strip(),
                school_code=row.get("school_code", "").strip(),
                school_name=row.get("school_name", "").strip(),
                hub_code=row.get("hub", "").strip(),
            )
        )
    unknown = [
        c
        for c in rows[0]
        if c not in facts
        and c not in (*IDENTITY_COLUMNS, "guardian_phone", "school_code", "school_name", "hub")
    ]
    good = [(i, r) for i, r in enumerate(student_rows, start=1) if i not in refused]
    try:
        result = services.registration_create_batch(
            cohort=cohort, rows=[r for _i, r in good], registered_by=request_user(request), language=language
        )
    except services.RegistrationRefused as exc:
        raise PermissionDenied(str(exc)) from None
    for line, reason in result.refused.items():
        refused[good[line - 1][0]] = reason
    context.update(
        {"created": result.created, "refused": sorted(refused.items()), "unknown_columns": unknown}
    )
    return _render(request, "register_list_done.html", context)


def _may_see_registration(request: HttpRequest, registration: Registration) -> bool:
    if registration.registered_by_id is not None and registration.registered_by_id == request.user.pk:
        return True
    return is_staff_verified(request) and selectors.staff_can_whole_cohort(
        request.user, cohort=registration.cohort, capability="view_cohort"
    )


@never_cache
@require_GET
def registration_detail(request: HttpRequest, registration_id: int) -> HttpResponse:
    """The registration's result: eligibility with every reason, the priority score and how it is made."""
    registration = get_object_or_404(
        Registration.objects.select_related("cohort", "student"), pk=registration_id
    )
    if not _may_see_registration(request, registration):
        raise PermissionDenied(
            "Only whoever registered the student, or the programme's coordinators, see this."
        )
    context = _cohort_context(request, registration.cohort)
    result = selectors.registration_explanation(registration, language=context["pack_language"])
    programme: Programme = context["programme"]
    context.update(
        {
            "registration": registration,
            "eligibility": [c for c in result.criteria if c.decision == programme.eligibility_decision],
            "priority": [c for c in result.criteria if c.decision != programme.eligibility_decision],
            "allocation": Allocation.objects.filter(registration=registration)
            .select_related("hub", "class_group")
            .first(),
            "parameters": result.parameters,
        }
    )
    return _render(request, "registration.html", context)


# --- the coordinator's cohort page -----------------------------------------------------------------


@staff_login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The programme cohorts and classes the signed-in staff user works on."""
    rows = selectors.cohort_list_for_user(request.user)
    return _render(request, "home.html", {"rows": rows})


@never_cache
@staff_login_required
@require_GET
def cohort_detail(request: HttpRequest, cohort_id: int) -> HttpResponse:
    """Places, registrations, the allocation and waiting list, classes, sessions and absence alerts."""
    cohort = get_object_or_404(Cohort.objects.select_related("area"), pk=cohort_id)
    if not selectors.staff_can_whole_cohort(request.user, cohort=cohort, capability="view_cohort"):
        raise PermissionDenied("Only the programme's coordinators see the whole cohort.")
    context = _cohort_context(request, cohort)
    allocations = list(selectors.allocation_list(cohort))
    registrations = Registration.objects.filter(cohort=cohort)
    teachers = (
        User.objects.filter(
            staff_assignments__pack_id=cohort.pack_id,
            staff_assignments__role__in=[
                r.id for r in context["programme"].roles.values() if r.is_own_classes_only
            ],
        )
        .distinct()
        .order_by("username")
    )
    context.update(
        {
            "registered": registrations.count(),
            "eligible": registrations.filter(is_eligible=True).count(),
            "effective_places": services.effective_places(cohort),
            "allocated": [a for a in allocations if a.status == Allocation.Status.ALLOCATED],
            "waiting": sorted(
                (a for a in allocations if a.status == Allocation.Status.WAITING),
                key=lambda a: a.waiting_rank or 0,
            ),
            "given_up": [
                a
                for a in allocations
                if a.status in (Allocation.Status.DECLINED, Allocation.Status.WITHDRAWN)
            ],
            "class_groups": list(cohort.class_groups.select_related("hub", "teacher").order_by("name")),
            "teachers": teachers,
            "sessions_count": cohort.sessions.count(),
            "alerts": list(selectors.absence_alert_list(cohort)[:50]),
            "can_allocate": selectors.staff_can(request.user, cohort=cohort, capability="allocate"),
            "can_manage": selectors.staff_can(request.user, cohort=cohort, capability="manage_classes"),
            "seed_form": SeedForm(),
            "free_form": FreePlaceForm(),
        }
    )
    return _render(request, "cohort.html", context)


@staff_login_required
@require_POST
def cohort_allocate(request: HttpRequest, cohort_id: int) -> HttpResponse:
    cohort = get_object_or_404(Cohort, pk=cohort_id)
    _require(request, cohort, "allocate")
    form = SeedForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the lottery seed."))
        return redirect("programmes:cohort", cohort_id=cohort.pk)
    try:
        ranked = services.programme_allocate(
            cohort=cohort, seed=form.cleaned_data["seed"], by=request_user(request)
        )
    except services.ProgrammeError as exc:
        messages.error(request, str(exc))
        return redirect("programmes:cohort", cohort_id=cohort.pk)
    messages.success(
        request,
        _("Places allocated for %(count)d eligible students; the list is public.") % {"count": len(ranked)},
    )
    return redirect("programmes:cohort", cohort_id=cohort.pk)


@staff_login_required
@require_POST
def allocation_free(request: HttpRequest, allocation_id: int) -> HttpResponse:
    allocation = get_object_or_404(Allocation.objects.select_related("cohort"), pk=allocation_id)
    _require(request, allocation.cohort, "allocate")
    form = FreePlaceForm(request.POST)
    if not form.is_valid():
        # the buttons of the cohort page always send a status: a request without one is malformed
        return HttpResponseBadRequest(
            "Say whether the place was declined or withdrawn.", content_type="text/plain"
        )
    try:
        moved = services.allocation_free(
            allocation=allocation, status=form.cleaned_data["status"], by=request_user(request)
        )
    except services.ProgrammeError as exc:
        messages.error(request, str(exc))
    else:
        if moved is not None:
            messages.success(
                request,
                _("The place went to %(key)s, first on the waiting list.") % {"key": moved.registration.key},
            )
        else:
            messages.success(request, _("The place was given up; nobody moved up."))
    return redirect("programmes:cohort", cohort_id=allocation.cohort_id)


@staff_login_required
@require_POST
def class_teacher(request: HttpRequest, class_id: int) -> HttpResponse:
    group = get_object_or_404(ClassGroup.objects.select_related("cohort"), pk=class_id)
    _require(request, group.cohort, "manage_classes")
    teacher_id = request.POST.get("teacher", "")
    teacher = User.objects.filter(pk=int(teacher_id)).first() if teacher_id.isdigit() else None
    services.class_group_assign_teacher(class_group=group, teacher=teacher)
    messages.success(request, _("Teacher of %(name)s saved.") % {"name": group.name})
    return redirect("programmes:cohort", cohort_id=group.cohort_id)


@staff_login_required
@require_POST
def cohort_sessions_plan(request: HttpRequest, cohort_id: int) -> HttpResponse:
    cohort = get_object_or_404(Cohort, pk=cohort_id)
    _require(request, cohort, "manage_classes")
    created = services.session_plan(cohort=cohort)
    messages.success(request, _("%(count)d sessions added from the calendar.") % {"count": created})
    return redirect("programmes:cohort", cohort_id=cohort.pk)


# --- public allocation -----------------------------------------------------------------------------


@require_GET
def allocation_public(request: HttpRequest, cohort_id: int) -> HttpResponse:
    """The published allocation: seed, procedure and the keys in order; no names."""
    cohort = get_object_or_404(Cohort, pk=cohort_id)
    context = _cohort_context(request, cohort)
    context.update(
        {
            "entries": selectors.allocation_public(cohort) if cohort.is_allocated else [],
            "effective_places": services.effective_places(cohort),
            "procedure": PROCEDURE,
        }
    )
    return _render(request, "allocation_public.html", context)


@require_GET
def allocation_public_csv(request: HttpRequest, cohort_id: int) -> HttpResponse:
    """The same list as CSV, for anyone to recompute: position, key, priority, lottery number, result."""
    cohort = get_object_or_404(Cohort, pk=cohort_id)
    if not cohort.is_allocated:
        raise Http404("not allocated yet")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{cohort.pack_id}-{cohort.year}-allocation.csv"'
    writer = csv.writer(response)
    writer.writerow(["position", "key", "priority", "lottery_number", "result", "waiting_rank"])
    for e in selectors.allocation_public(cohort):
        writer.writerow(
            [e.position, e.key, f"{e.priority:g}", e.lottery_number, e.result, e.waiting_rank or ""]
        )
    return response


# --- classes: attendance and scores ----------------------------------------------------------------


def _class_for(request: HttpRequest, class_group: ClassGroup, capability: str) -> None:
    if not selectors.class_group_visible(request.user, class_group=class_group, capability=capability):
        raise PermissionDenied("You do not teach this class.")


@staff_login_required
@require_GET
def class_detail(request: HttpRequest, class_id: int) -> HttpResponse:
    """A class: its students with absences and mock-exam progress, its sessions and its exams."""
    group = get_object_or_404(ClassGroup.objects.select_related("cohort", "hub", "teacher"), pk=class_id)
    _class_for(request, group, "record_attendance")
    context = _cohort_context(request, group.cohort)
    exams, progress = selectors.class_progress(group)
    context.update(
        {
            "group": group,
            "exams": [(e, text_in(e.titles, context["pack_language"])) for e in exams],
            "progress": progress,
            "sessions": list(group.sessions.order_by("held_on")),
            "hub_title": text_in(group.hub.titles, context["pack_language"]),
        }
    )
    return _render(request, "class.html", context)


@never_cache
@staff_login_required
@require_http_methods(["GET", "POST"])
def session_attendance(request: HttpRequest, session_id: int) -> HttpResponse:
    """The whole class on one phone screen: one checkbox per student, one button."""
    session = get_object_or_404(Session.objects.select_related("cohort", "class_group", "hub"), pk=session_id)
    _class_for(request, session.class_group, "record_attendance")
    context = _cohort_context(request, session.cohort)
    roster = selectors.class_roster(session.class_group)
    if request.method == "POST":
        present = {int(v) for v in request.POST.getlist("present") if v.isdigit()}
        try:
            result = services.attendance_record_class(
                session=session, present=present, recorded_by=request_user(request)
            )
        except services.ProgrammeError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("Attendance saved: %(present)d present, %(absent)d absent.")
                % {"present": result.present, "absent": result.absent},
            )
            if result.alerts:
                messages.warning(
                    request,
                    _("The guardians of %(count)d students are being told of repeated absences.")
                    % {"count": len(result.alerts)},
                )
        return redirect("programmes:session_attendance", session_id=session.pk)
    recorded = selectors.session_attendance(session)
    context.update(
        {
            "session": session,
            "students": [(r, recorded.get(r.pk)) for r in roster],
            "is_recorded": bool(recorded),
            "hub_title": text_in(session.hub.titles, context["pack_language"]),
        }
    )
    return _render(request, "attendance.html", context)


@never_cache
@staff_login_required
@require_http_methods(["GET", "POST"])
def class_scores(request: HttpRequest, class_id: int, exam_id: int) -> HttpResponse:
    """Enter a class's scores in one mock exam; each student's progress shows on the class page."""
    group = get_object_or_404(ClassGroup.objects.select_related("cohort"), pk=class_id)
    exam = get_object_or_404(MockExam, pk=exam_id, cohort_id=group.cohort_id)
    _class_for(request, group, "record_scores")
    context = _cohort_context(request, group.cohort)
    roster = selectors.class_roster(group)
    status = 200
    if request.method == "POST":
        points = {r.pk: request.POST.get(f"score_{r.pk}", "") for r in roster}
        try:
            count = services.score_record_class(
                mock_exam=exam, class_group=group, points=points, recorded_by=request_user(request)
            )
        except services.RegistrationRefused as exc:
            names = {str(r.pk): f"{r.student.given_name} {r.student.family_name}" for r in roster}
            context["page_errors"] = [f"{names.get(k, k)}: {v}" for k, v in exc.problems.items()]
            status = 400
        else:
            messages.success(request, _("%(count)d scores saved.") % {"count": count})
            return redirect("programmes:class", class_id=group.pk)
    current = {s.registration_id: s.points for s in exam.scores.filter(registration__in=roster)}
    context.update(
        {
            "group": group,
            "exam": exam,
            "exam_title": text_in(exam.titles, context["pack_language"]),
            "students": [
                (r, request.POST.get(f"score_{r.pk}") if status == 400 else current.get(r.pk)) for r in roster
            ],
        }
    )
    return _render(request, "scores.html", context, status=status)


# --- outcomes --------------------------------------------------------------------------------------


@never_cache
@staff_login_required
@require_http_methods(["GET", "POST"])
def cohort_outcomes(request: HttpRequest, cohort_id: int) -> HttpResponse:
    """Sat and passed against both denominators; the coordinator uploads the results by key."""
    cohort = get_object_or_404(Cohort, pk=cohort_id)
    if not selectors.staff_can_whole_cohort(request.user, cohort=cohort, capability="view_cohort"):
        raise PermissionDenied("Only the programme's coordinators see the outcomes.")
    context = _cohort_context(request, cohort)
    form = OutcomesForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        _require(request, cohort, "record_outcomes")
        rows: list[dict[str, str]] = []
        if form.is_valid():
            try:
                rows = form.rows()
            except ValidationError as exc:
                form.add_error("file", exc)
        if form.is_valid():
            parsed = [
                services.OutcomeRow(
                    key=r.get("key", "").strip(),
                    has_sat_exam=r.get("sat_exam", "").strip().lower() in YES,
                    has_passed=r.get("passed", "").strip().lower() in YES,
                    institution=r.get("institution", "").strip(),
                )
                for r in rows
            ]
            try:
                count = services.outcome_record_many(
                    cohort=cohort, rows=parsed, recorded_by=request_user(request)
                )
            except services.RegistrationRefused as exc:
                context["page_errors"] = [f"{k}: {v}" for k, v in list(exc.problems.items())[:20]]
                status = 400
            else:
                messages.success(request, _("%(count)d results saved.") % {"count": count})
                return redirect("programmes:outcomes", cohort_id=cohort.pk)
        else:
            status = 400
    report = selectors.outcomes_report(cohort)
    institutions = context["programme"].institutions
    context.update(
        {
            "form": form,
            "report": report,
            "by_institution": [
                (text_in(institutions[k], context["pack_language"]), n)
                for k, n in report.by_institution.items()
            ],
            "can_record": selectors.staff_can(request.user, cohort=cohort, capability="record_outcomes"),
        }
    )
    return _render(request, "outcomes.html", context, status=status)
