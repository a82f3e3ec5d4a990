"""Pages: the citizen's entitlements (reasons, refuse, contest), the partner page (upload, answers,
tokens), the counter and the review queue for staff, and the public take-up figure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from govreach.accounts.access import citizen_login_required, staff_login_required
from govreach.accounts.models import CitizenAccount
from govreach.accounts.selectors import citizen_account_for, staff_assignments_for
from govreach.cases.selectors import case_roles
from govreach.catalogue.selectors import ServicePackNotFound, service_pack_get
from govreach.entitlements.contest import (
    ReviewError,
    link_correct,
    link_current,
    link_problems,
    review_open,
    review_queue_for_staff,
    review_transition,
    review_transitions_for,
)
from govreach.entitlements.figures import take_up_by_area
from govreach.entitlements.models import (
    ContactPreference,
    CustomerListUpload,
    Entitlement,
    EntitlementReview,
    Partner,
    PartnerToken,
)
from govreach.entitlements.notifications import entitlement_reasons
from govreach.entitlements.partners import (
    CustomerListInvalid,
    PartnerError,
    customer_list_upload,
    partner_answers,
    partner_answers_csv,
    partner_cycle_get,
    partner_cycle_list,
    partner_for_user,
    partner_token_create,
    partner_token_revoke,
)
from govreach.entitlements.refusals import (
    COUNTER_ROLES,
    RefusalNotAllowed,
    entitlement_list_for_citizen,
    entitlement_refuse_at_counter,
    entitlement_refuse_by_citizen,
    is_contract_holder,
    staff_may_refuse_at_counter,
)
from govreach.web.language import asked_language, language_tag, preferred_language
from govreach.web.texts import ui_language


def _account(request: HttpRequest) -> CitizenAccount:
    account = citizen_account_for(request.user)
    assert account is not None  # guarded by citizen_login_required
    return account


def _language(account: CitizenAccount) -> str:
    person = account.person
    return account.preferred_language or (person.preferred_language if person else "") or "pt"


def _page_language(request: HttpRequest, account: CitizenAccount) -> str:
    """The language of the citizen's pages: the one chosen for this page (``?lang=``, the switch), else the
    account's, as packs spell it (``pt-BR``); the page's own words, its reasons and its dates all in it."""
    chosen = asked_language(request) or preferred_language(request)
    language = language_tag(chosen) if chosen else _language(account)
    translation.activate(ui_language(language))
    return language


# -- citizen ----------------------------------------------------------------------------------------------
@require_GET
@citizen_login_required
def my_entitlements(request: HttpRequest) -> HttpResponse:
    """The citizen's entitlements, each with its reasons, and what they can do: refuse, contest."""
    account = _account(request)
    language = _page_language(request, account)
    items = [
        {
            "entitlement": e,
            "reasons": entitlement_reasons(e, language=language),
            "may_refuse": e.status == Entitlement.Status.ACTIVE and is_contract_holder(e, account.person),
            "may_contest": e.status == Entitlement.Status.ENDED,
            "reviews": list(e.reviews.select_related("application")),
        }
        for e in entitlement_list_for_citizen(account)
    ]
    preference = ContactPreference.objects.filter(person=account.person).first() if account.person else None
    return render(
        request,
        "entitlements/mine.html",
        {
            "items": items,
            "preference": preference,
            "has_person": account.person is not None,
            "page_lang": ui_language(language),
        },
    )


def _own_entitlement(request: HttpRequest, pk: int) -> tuple[CitizenAccount, Entitlement]:
    account = _account(request)
    entitlement = entitlement_list_for_citizen(account).filter(pk=pk).first()
    if entitlement is None:
        raise Http404("No such entitlement of yours.")
    return account, entitlement


@require_http_methods(["GET", "POST"])
@citizen_login_required
def refuse(request: HttpRequest, pk: int) -> HttpResponse:
    """Refuse, with a confirmation step: GET asks, POST (confirm=yes) refuses."""
    account, entitlement = _own_entitlement(request, pk)
    if not is_contract_holder(entitlement, account.person):
        raise PermissionDenied("Only the contract holder may refuse this tariff.")
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        try:
            entitlement_refuse_by_citizen(entitlement=entitlement, account=account)
        except RefusalNotAllowed as exc:
            raise PermissionDenied(str(exc)) from None
        return HttpResponseRedirect(reverse("entitlements:mine") + "?refused=1")
    language = _page_language(request, account)
    reasons = entitlement_reasons(entitlement, language=language)
    return render(
        request,
        "entitlements/refuse.html",
        {"entitlement": entitlement, "reasons": reasons, "page_lang": ui_language(language)},
    )


@require_http_methods(["GET", "POST"])
@citizen_login_required
def contest(request: HttpRequest) -> HttpResponse:
    """Contest an ended tariff or a refusal to grant it: opens a review case."""
    account = _account(request)
    code = (request.POST.get("supply_point") or request.GET.get("supply_point") or "").strip().upper()
    error = ""
    if request.method == "POST":
        try:
            review = review_open(
                account=account, supply_point_code=code, grounds=request.POST.get("grounds", "")
            )
        except ReviewError as exc:
            error = str(exc)
        else:
            return render(request, "entitlements/contest_done.html", {"review": review})
    return render(request, "entitlements/contest.html", {"supply_point": code, "error": error})


@require_POST
@citizen_login_required
def preference(request: HttpRequest) -> HttpResponse:
    """How the citizen wants to be told: SMS, email or letter."""
    account = _account(request)
    channel = request.POST.get("channel", "")
    if account.person is None or channel not in ContactPreference.Channel.values:
        raise Http404("Choose sms, email or letter.")
    ContactPreference.objects.update_or_create(
        person=account.person, defaults={"channel": channel, "email": request.POST.get("email", "")[:254]}
    )
    return HttpResponseRedirect(reverse("entitlements:mine"))


# -- partners ---------------------------------------------------------------------------------------------
def _partner(request: HttpRequest) -> Partner:
    partner = partner_for_user(request.user)
    if partner is None:
        raise PermissionDenied("This page is for the staff of an energy supplier.")
    return partner


@require_http_methods(["GET", "POST"])
@staff_login_required
def partner_home(request: HttpRequest) -> HttpResponse:
    """Upload the customer list; download the answers of each cycle; manage API tokens."""
    partner = _partner(request)
    context: dict[str, Any] = {
        "partner": partner,
        "problems": [],
        "detail": "",
        "uploaded": None,
        "new_token": "",
    }
    status = 200
    if request.method == "POST" and "file" in request.FILES:
        upload = request.FILES.get("file")
        try:
            context["uploaded"] = customer_list_upload(
                partner=partner,
                content=upload.read() if upload is not None else b"",
                channel=CustomerListUpload.Channel.WEB,
                by_user=request.user,  # type: ignore[arg-type]
            )
        except CustomerListInvalid as exc:
            context["detail"], context["problems"], status = exc.detail, exc.problems, 422
    elif request.method == "POST" and request.POST.get("token_name") is not None:
        _token, raw = partner_token_create(
            partner=partner,
            name=request.POST.get("token_name", ""),
            by_user=request.user,  # type: ignore[arg-type]
        )
        context["new_token"] = raw
    context["cycles"] = partner_cycle_list()
    context["uploads"] = list(partner.uploads.order_by("-created_at")[:10])
    context["tokens"] = list(partner.tokens.order_by("-created_at"))
    return render(request, "entitlements/partner.html", context, status=status)


@require_POST
@staff_login_required
def partner_token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    partner = _partner(request)
    token = get_object_or_404(PartnerToken, pk=pk, partner=partner)
    partner_token_revoke(token=token)
    return HttpResponseRedirect(reverse("entitlements:partner"))


@require_GET
@staff_login_required
def partner_answers_download(request: HttpRequest, cycle_id: int) -> HttpResponse:
    """The supplier's answers of one cycle as CSV: supply_point, eligible, start_date. Nothing else."""
    partner = _partner(request)
    cycle = partner_cycle_get(cycle_id)
    if cycle is None:
        raise Http404("No completed cycle with this id.")
    try:
        answers = partner_answers(partner=partner, cycle=cycle)
    except PartnerError as exc:
        return HttpResponse(str(exc), status=409, content_type="text/plain; charset=utf-8")
    response = HttpResponse(partner_answers_csv(answers), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="answers-{partner.supplier_id}-cycle-{cycle.pk}.csv"'
    )
    return response


# -- staff: counter and reviews ---------------------------------------------------------------------------
def _holds_a_role_for(request: HttpRequest, pack_id: str, roles: Collection[str]) -> None:
    """Only staff holding one of ``roles`` for this service see its counter or review pages."""
    if not any(a.role in roles for a in staff_assignments_for(request.user, pack_id=pack_id)):
        raise PermissionDenied("You hold no role for this on this service.")


@require_http_methods(["GET", "POST"])
@staff_login_required
def counter(request: HttpRequest, pack_id: str) -> HttpResponse:
    """At a counter: find a supply point's tariff and record the holder's refusal."""
    _holds_a_role_for(request, pack_id, COUNTER_ROLES)
    code = (request.POST.get("supply_point") or request.GET.get("supply_point") or "").strip().upper()
    entitlement = (
        Entitlement.objects.filter(pack_id=pack_id, unit_key=code, status__in=["active", "refused"]).first()
        if code
        else None
    )
    if entitlement is not None and not staff_may_refuse_at_counter(request.user, entitlement):
        raise PermissionDenied("You have no counter role for this supply point's area.")
    done = False
    if request.method == "POST" and entitlement is not None and request.POST.get("confirm") == "yes":
        try:
            entitlement = entitlement_refuse_at_counter(entitlement=entitlement, by_user=request.user)
        except RefusalNotAllowed as exc:
            raise PermissionDenied(str(exc)) from None
        done = True
    return render(
        request,
        "entitlements/counter.html",
        {"pack_id": pack_id, "supply_point": code, "entitlement": entitlement, "done": done},
    )


@require_GET
@staff_login_required
def review_queue(request: HttpRequest, pack_id: str) -> HttpResponse:
    _holds_a_role_for(request, pack_id, case_roles(pack_id))
    return render(
        request,
        "entitlements/reviews.html",
        {"pack_id": pack_id, "reviews": review_queue_for_staff(request.user, pack_id)},
    )


@require_http_methods(["GET", "POST"])
@staff_login_required
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A review: the contest, the current link, and the steps the reviewer may take."""
    review = get_object_or_404(EntitlementReview.objects.select_related("application", "entitlement"), pk=pk)
    if review not in review_queue_for_staff(request.user, review.pack_id):
        raise Http404("No such review in your areas.")
    error = ""
    if request.method == "POST":
        try:
            if request.POST.get("action") == "link":
                link_correct(
                    review=review,
                    household_key=request.POST.get("household_key", ""),
                    reason=request.POST.get("reason", ""),
                    by_user=request.user,
                )
            else:
                review_transition(
                    review=review,
                    transition_id=request.POST.get("action", ""),
                    by_user=request.user,
                    data={
                        "reason": request.POST.get("reason", ""),
                        "eligible_from": request.POST.get("eligible_from"),
                    },
                )
        except ReviewError as exc:
            error = str(exc)
        else:
            return HttpResponseRedirect(reverse("entitlements:review", kwargs={"pk": review.pk}))
        review.refresh_from_db()
    return render(
        request,
        "entitlements/review.html",
        {
            "review": review,
            "steps": review_transitions_for(review, request.user),
            "link": link_current(review),
            "link_problems": link_problems(review),
            "corrections": list(review.link_corrections.order_by("created_at")),
            "error": error,
            "today": dt.date.today(),
        },
        status=422 if error else 200,
    )


# -- public -----------------------------------------------------------------------------------------------
@require_GET
def take_up(request: HttpRequest, pack_id: str) -> HttpResponse:
    """Households enrolled against households estimated eligible, by municipality; small counts hidden."""
    try:
        service_pack_get(pack_id)
    except ServicePackNotFound:
        raise Http404("No such service.") from None
    return render(
        request,
        "entitlements/take_up.html",
        {"pack_id": pack_id, "figure": take_up_by_area(pack_id)},
    )
