"""Outreach pages for staff on a phone: the nurse's day, the visit record, the referral form, the figures.

Views parse, check the permission, call one service or selector and render. Pages name visits and
referrals by their ids, never by a national id or a name.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from govreach.accounts.access import staff_login_required
from govreach.accounts.models import StaffAssignment
from govreach.accounts.selectors import staff_assignment_list_for_user
from govreach.catalogue.selectors import ServicePackNotFound, ServicePackUnavailable, active_pack
from govreach.outreach import selectors, services
from govreach.outreach.models import Referral
from govreach.packs.loader import Pack, text_in
from govreach.packs.outreach import Outreach
from govreach.registry.models import Area, Person
from govreach.web.language import choose_language
from govreach.web.texts import ui_texts

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "visits_title": "Today's visits",
        "overdue": "Overdue",
        "no_visits": "No visits planned for this day.",
        "planned_for": "Planned for",
        "tier": "Tier",
        "area": "Neighbourhood",
        "age": "Age",
        "open_record": "Record this visit",
        "recorded": "Recorded",
        "why": "Why this person is visited",
        "record_title": "Visit record",
        "consent": "Consent",
        "notes": "Notes",
        "onward": "Refer onwards",
        "onward_hint": "Tick each service to refer the person to; the follow-up date is set for you.",
        "follow_up_in": "follow up within {days} days",
        "save": "Save the visit record",
        "fix": "Some answers need correcting:",
        "saved": "The visit record is saved.",
        "yes": "Yes",
        "no": "No",
        "not_asked": "Not checked",
        "referral_title": "Refer a person",
        "referral_intro": "The district decides at once whether the person joins the home visits.",
        "kind": "Referral",
        "given_name": "Given name",
        "family_name": "Family name",
        "national_id": "Resident registration number (if known)",
        "birth_date": "Date of birth (YYYY-MM-DD)",
        "phone": "Phone",
        "address": "Address",
        "hospital": "Hospital",
        "discharged_on": "Date of discharge (YYYY-MM-DD)",
        "reason": "Reason for the referral",
        "send": "Send the referral",
        "my_referrals": "Your referrals",
        "no_referrals": "You have not referred anyone yet.",
        "status": "Outcome",
        "targeted": "Will be visited",
        "not_targeted": "Not in the target group",
        "referral_saved": "The referral is recorded.",
        "figures_title": "Outreach figures by neighbourhood",
        "eligible": "Eligible",
        "registered": "Registered",
        "coverage": "Coverage",
        "intensive": "Intensive group",
        "visits_done": "Visits done",
        "visits_per_person": "Visits per registered person",
        "referrals_in": "Referrals in",
        "onward_referrals": "Onward referrals",
        "onward_overdue": "Follow-ups overdue",
        "total": "Whole area",
        "indicators": "Outcomes: first against latest visit",
        "first": "First visit",
        "latest": "Latest visit",
        "persons": "People",
        "lower_better": "lower is better",
        "higher_better": "higher is better",
        "new_referral": "Refer someone",
    },
    "ko": {
        "visits_title": "오늘의 방문",
        "overdue": "지연",
        "no_visits": "이 날 계획된 방문이 없습니다.",
        "planned_for": "방문 예정일",
        "tier": "관리 단계",
        "area": "동",
        "age": "나이",
        "open_record": "방문 기록하기",
        "recorded": "기록됨",
        "why": "방문 대상인 이유",
        "record_title": "방문 기록",
        "consent": "동의",
        "notes": "메모",
        "onward": "연계 의뢰",
        "onward_hint": "연계할 서비스를 고르세요. 확인 기한은 자동으로 정해집니다.",
        "follow_up_in": "{days}일 안에 확인",
        "save": "방문 기록 저장",
        "fix": "고쳐야 할 답이 있습니다:",
        "saved": "방문 기록을 저장했습니다.",
        "yes": "예",
        "no": "아니요",
        "not_asked": "확인 안 함",
        "referral_title": "방문 의뢰",
        "referral_intro": "구에서 바로 방문 대상인지 판단합니다.",
        "kind": "의뢰 종류",
        "given_name": "이름",
        "family_name": "성",
        "national_id": "주민등록번호 (아는 경우)",
        "birth_date": "생년월일 (YYYY-MM-DD)",
        "phone": "전화번호",
        "address": "주소",
        "hospital": "병원",
        "discharged_on": "퇴원일 (YYYY-MM-DD)",
        "reason": "의뢰 사유",
        "send": "의뢰 보내기",
        "my_referrals": "보낸 의뢰",
        "no_referrals": "아직 보낸 의뢰가 없습니다.",
        "status": "결과",
        "targeted": "방문 대상",
        "not_targeted": "대상 아님",
        "referral_saved": "의뢰를 기록했습니다.",
        "figures_title": "동별 방문 사업 현황",
        "eligible": "대상자",
        "registered": "등록",
        "coverage": "등록률",
        "intensive": "집중관리군",
        "visits_done": "방문 횟수",
        "visits_per_person": "등록자 1인당 방문",
        "referrals_in": "받은 의뢰",
        "onward_referrals": "연계 의뢰",
        "onward_overdue": "기한 지난 확인",
        "total": "전체",
        "indicators": "성과: 첫 방문 대비 최근 방문",
        "first": "첫 방문",
        "latest": "최근 방문",
        "persons": "인원",
        "lower_better": "낮을수록 좋음",
        "higher_better": "높을수록 좋음",
        "new_referral": "방문 의뢰하기",
    },
}


def _pack_for(request: HttpRequest, capability: str) -> tuple[Pack, Outreach, list[StaffAssignment]]:
    """The outreach pack in which the signed-in user may do ``capability``, and those assignments."""
    today = timezone.localdate()
    seen: set[str] = set()
    for assignment in staff_assignment_list_for_user(request.user):
        if assignment.pack_id in seen:
            continue
        seen.add(assignment.pack_id)
        try:
            pack = active_pack(assignment.pack_id)
            outreach = services.outreach_of(pack)
        except (ServicePackNotFound, ServicePackUnavailable, services.NotAnOutreachPack):
            continue  # a pack that is gone, stale or not an outreach pack gives no outreach role
        held = selectors.outreach_assignments_for(request.user, pack=pack, capability=capability, on=today)
        if held:
            return pack, outreach, held
    raise PermissionDenied("Your account has no outreach role for this page.")


def _context(request: HttpRequest, pack: Pack) -> dict[str, Any]:
    language, is_explicit = choose_language(request, pack.languages)
    words = WORDS.get(language.split("-")[0], WORDS["en"])
    return {
        "language": language,
        "page_lang": language,
        "ui": ui_texts(language),
        "w": words,
        "lang_query": f"?lang={language}" if is_explicit else "",
        "pack_title": pack.title(language),
    }


def _t(texts: dict[str, str], language: str) -> str:
    return text_in(texts, language)


def _age(birth: dt.date | None, on: dt.date) -> int | None:
    if birth is None:
        return None
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@never_cache
@staff_login_required
@require_http_methods(["GET"])
def visit_list(request: HttpRequest) -> HttpResponse:
    """The nurse's day: overdue visits first, then today's in route order."""
    pack, outreach, _held = _pack_for(request, "visit")
    ctx = _context(request, pack)
    today = timezone.localdate()
    lang = ctx["language"]
    rows = []
    for visit in selectors.visit_list_for_nurse(request.user, pack=pack, day=today):
        reg = visit.registration
        tier = outreach.tiers.get(reg.tier)
        rows.append(
            {
                "visit": visit,
                "is_overdue": visit.is_late_on(today),
                "name": f"{reg.person.family_name}{reg.person.given_name}"
                if lang.startswith("ko")
                else f"{reg.person.given_name} {reg.person.family_name}",
                "age": _age(reg.person.birth_date, today),
                "address": reg.person.address,
                "area": reg.area.name,
                "tier": _t(tier.title, lang) if tier else reg.tier,
                "is_intensive": reg.is_intensive,
            }
        )
    ctx.update({"rows": rows, "today": today, "can_refer": "refer" in _capabilities(request, pack)})
    return render(request, "outreach/visit_list.html", ctx)


def _capabilities(request: HttpRequest, pack: Pack) -> set[str]:
    outreach = services.outreach_of(pack)
    roles = {
        a.role
        for a in selectors.outreach_assignments_for(
            request.user, pack=pack, capability="visit", on=timezone.localdate()
        )
    }
    roles |= {a.role for a in staff_assignment_list_for_user(request.user) if a.pack_id == pack.id}
    return {c for r in roles if r in outreach.roles for c in outreach.roles[r].can}


@never_cache
@staff_login_required
@require_http_methods(["GET", "POST"])
def visit_detail(request: HttpRequest, visit_id: int) -> HttpResponse:
    """The visit record: the pack's assessment areas, consent, notes and onward referrals."""
    pack, outreach, _held = _pack_for(request, "visit")
    visit = selectors.visit_get_for_staff(request.user, visit_id=visit_id, pack=pack)
    if visit is None:
        raise Http404("No such visit for you.")
    ctx = _context(request, pack)
    lang = ctx["language"]
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    if request.method == "POST":
        values = {qid: str(request.POST.get(qid, "")) for qid in outreach.questions}
        onward = [
            (kind, str(request.POST.get(f"onward_note_{kind}", "")))
            for kind in outreach.onward_kinds
            if request.POST.get(f"onward_{kind}")
        ]
        try:
            services.visit_record_save(
                visit=visit,
                answers=values,
                has_consent=request.POST.get("consent") == "yes",
                notes=str(request.POST.get("notes", ""))[:4000],
                acting_user=_user(request),
                onward=onward,
            )
        except services.OutreachInputError as exc:
            errors = exc.errors
        else:
            return redirect("outreach:visit_list")
    reg = visit.registration
    sections = []
    for section in outreach.sections:
        questions = []
        for qid in section.question_ids:
            q = outreach.questions[qid]
            recorded = getattr(visit, "record", None)
            value = values.get(qid, "")
            if not value and recorded is not None and qid in recorded.answers:
                raw = recorded.answers[qid]
                value = ("yes" if raw else "no") if isinstance(raw, bool) else str(raw)
            questions.append(
                {
                    "id": qid,
                    "type": q.type,
                    "label": _t(q.label, lang),
                    "hint": _t(q.hint, lang),
                    "required": q.required,
                    "min": q.min,
                    "max": q.max,
                    "choices": [(c.value, _t(c.label, lang)) for c in q.choices],
                    "value": value,
                    "error": errors.get(qid, ""),
                }
            )
        sections.append(
            {
                "id": section.id,
                "title": _t(section.title, lang),
                "intro": _t(section.intro, lang),
                "questions": questions,
            }
        )
    tier = outreach.tiers.get(reg.tier)
    ctx.update(
        {
            "visit": visit,
            "is_done": visit.status == visit.Status.DONE,
            "name": f"{reg.person.given_name} {reg.person.family_name}",
            "age": _age(reg.person.birth_date, timezone.localdate()),
            "address": reg.person.address,
            "tier": _t(tier.title, lang) if tier else reg.tier,
            "explanation": selectors.registration_explanation(pack, reg, language=lang),
            "sections": sections,
            "errors": errors,
            "consent_label": _t(outreach.consent_label, lang),
            "notes_label": _t(outreach.notes_label, lang),
            "onward_kinds": [
                (kind, _t(spec.title, lang), ctx["w"]["follow_up_in"].format(days=spec.follow_up_days))
                for kind, spec in outreach.onward_kinds.items()
            ],
            "onward_done": list(visit.record.onward_referrals.all()) if hasattr(visit, "record") else [],
        }
    )
    return render(request, "outreach/visit_detail.html", ctx, status=400 if errors else 200)


def _neighbourhoods(pack: Pack, outreach: Outreach, held: list[StaffAssignment]) -> list[Area]:
    """The areas a referral may name: the visiting roles' level, under the referrer's areas."""
    levels = pack.service.area_levels or []
    visit_levels = [outreach.roles[r].area_level for r in outreach.roles_that("visit")]
    depth = levels.index(visit_levels[0]) if visit_levels and visit_levels[0] in levels else None
    out: dict[int, Area] = {}
    for a in held:
        qs = Area.objects.filter(path__startswith=a.area.path)
        if depth is not None:
            qs = qs.filter(depth=depth)
        out.update({x.pk: x for x in qs})
    return sorted(out.values(), key=lambda x: x.path)


@never_cache
@staff_login_required
@require_http_methods(["GET", "POST"])
def referral_new(request: HttpRequest) -> HttpResponse:
    """The referral form of a hospital partner (on discharge) or a welfare official (walk-in)."""
    pack, outreach, held = _pack_for(request, "refer")
    ctx = _context(request, pack)
    lang = ctx["language"]
    my_roles = {a.role for a in held}
    kinds = [
        (k, _t(spec.title, lang)) for k, spec in outreach.intake_kinds.items() if my_roles & set(spec.by)
    ]
    if not kinds:
        raise PermissionDenied("Your role may not refer people into this programme.")
    areas = _neighbourhoods(pack, outreach, held)
    errors: dict[str, str] = {}
    form = {k: str(request.POST.get(k, "")).strip() for k in (
        "kind", "area", "given_name", "family_name", "national_id", "birth_date", "phone", "address",
        "hospital_id", "discharged_on", "reason")}  # fmt: skip
    if request.method == "POST":
        kind = form["kind"] or kinds[0][0]
        if kind not in dict(kinds):
            errors["kind"] = "choose a referral kind"
        area = next((a for a in areas if str(a.pk) == form["area"]), None)
        if area is None:
            errors["area"] = "choose the neighbourhood"
        birth = _date(form["birth_date"], "birth_date", errors)
        discharged = _date(form["discharged_on"], "discharged_on", errors)
        person = (
            Person.objects.filter(national_id=form["national_id"]).first() if form["national_id"] else None
        )
        if not errors and area is not None:
            try:
                services.referral_create(
                    pack=pack, acting_user=_user(request), kind=kind, area=area, person=person,
                    given_name=form["given_name"], family_name=form["family_name"], birth_date=birth,
                    address=form["address"], phone=form["phone"], hospital_id=form["hospital_id"],
                    discharged_on=discharged, reason=form["reason"][:2000],
                )  # fmt: skip
            except services.OutreachInputError as exc:
                errors.update(exc.errors)
            else:
                return redirect("outreach:referral_list")
    ctx.update(
        {
            "kinds": kinds,
            "areas": areas,
            "hospitals": [(h, _t(spec.name, lang)) for h, spec in outreach.hospitals.items()],
            "needs_hospital": any(outreach.intake_kinds[k].needs_hospital for k, _ in kinds),
            "form": form,
            "errors": errors,
        }
    )
    return render(request, "outreach/referral_new.html", ctx, status=400 if errors else 200)


def _date(text: str, name: str, errors: dict[str, str]) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        errors[name] = "give a date as YYYY-MM-DD"
        return None


@never_cache
@staff_login_required
@require_http_methods(["GET"])
def referral_list(request: HttpRequest) -> HttpResponse:
    """The referrals the signed-in referrer made, and what became of them."""
    pack, _outreach, _held = _pack_for(request, "refer")
    ctx = _context(request, pack)
    referrals = list(selectors.referral_list_for_referrer(request.user, pack_id=pack.id)[:100])
    ctx["referrals"] = [
        {
            "referral": r,
            "name": f"{r.person.given_name} {r.person.family_name}",
            "is_targeted": r.status == Referral.Status.TARGETED,
        }
        for r in referrals
    ]
    return render(request, "outreach/referral_list.html", ctx)


@never_cache
@staff_login_required
@require_http_methods(["GET"])
def figures(request: HttpRequest) -> HttpResponse:
    """The coordinator's figures by neighbourhood: coverage, visits, referrals, outcomes."""
    pack, outreach, held = _pack_for(request, "see_figures")
    ctx = _context(request, pack)
    lang = ctx["language"]
    levels = pack.service.area_levels or []
    visit_levels = [outreach.roles[r].area_level for r in outreach.roles_that("visit")]
    depth = levels.index(visit_levels[0]) if visit_levels and visit_levels[0] in levels else None
    tables = []
    for assignment in held:
        rows = selectors.outreach_figures(
            pack=pack, area=assignment.area, on=timezone.localdate(), level_depth=depth
        )
        tables.append({"area": assignment.area, "rows": rows})
    indicator_titles = {k: _t(v.title, lang) for k, v in outreach.indicators.items()}
    ctx.update({"tables": tables, "indicator_titles": indicator_titles})
    return render(request, "outreach/figures.html", ctx)
