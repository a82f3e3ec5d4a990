"""Clerical review queue API: list links waiting for review, accept or reject one.

Only an authenticated staff user holding ``registry.review_link`` may see or decide links: the
records shown carry personal data.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from ninja.errors import HttpError
from ninja.security import SessionAuth

from govreach.registry.models import RecordLink, SourceRecord
from govreach.registry.selectors import record_link_list_for_review
from govreach.registry.services import LinkPersistError, record_link_accept, record_link_reject

REVIEW_PERMISSION = "registry.review_link"


class ReviewerAuth(SessionAuth):
    """Session auth (with CSRF) that also demands staff status and ``registry.review_link``.

    Anonymous: 401. Signed in without both: 403, decided before the request body is even read.
    """

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is None:
            return None
        if not (user.is_staff and user.has_perm(REVIEW_PERMISSION)):
            raise HttpError(
                403, "Reviewing record links needs a staff account with the review_link permission."
            )
        return user


router = Router(tags=["registry"], auth=ReviewerAuth())


class RecordOut(Schema):
    id: int
    source: str
    source_key: str
    data: dict[str, Any]


class LinkOut(Schema):
    id: int
    match_probability: float
    match_weight: float | None
    method: str
    status: str
    evidence: dict[str, Any]
    left: RecordOut
    right: RecordOut | None
    decided_at: dt.datetime | None


class DecisionIn(Schema):
    note: str = ""


def _record_out(record: SourceRecord | None) -> RecordOut | None:
    if record is None:
        return None
    return RecordOut(id=record.pk, source=record.source.name, source_key=record.source_key, data=record.data)


def _link_out(link: RecordLink) -> LinkOut:
    left = _record_out(link.left_record)
    assert left is not None
    return LinkOut(
        id=link.pk,
        match_probability=link.match_probability,
        match_weight=link.match_weight,
        method=link.method,
        status=link.status,
        evidence=link.evidence,
        left=left,
        right=_record_out(link.right_record),
        decided_at=link.decided_at,
    )


@router.get("/review-queue", response=list[LinkOut], summary="Links waiting for clerical review")
def review_queue(request: HttpRequest, limit: int = 50, offset: int = 0) -> list[LinkOut]:
    if not 1 <= limit <= 500 or offset < 0:
        raise HttpError(422, "limit must be between 1 and 500 and offset at least 0")
    return [_link_out(link) for link in record_link_list_for_review(limit=limit, offset=offset)]


def _decide(request: HttpRequest, link_id: int, payload: DecisionIn, *, accept: bool) -> LinkOut:
    get_object_or_404(RecordLink, pk=link_id)
    decide = record_link_accept if accept else record_link_reject
    try:
        link = decide(link_id=link_id, acting_user=request.user, note=payload.note)  # type: ignore[arg-type]
    except LinkPersistError as exc:
        raise HttpError(409, str(exc)) from None
    return _link_out(
        RecordLink.objects.select_related("left_record__source", "right_record__source").get(pk=link.pk)
    )


@router.post("/links/{link_id}/accept", response=LinkOut, summary="Accept a link: the records are one person")
def link_accept(request: HttpRequest, link_id: int, payload: DecisionIn) -> LinkOut:
    return _decide(request, link_id, payload, accept=True)


@router.post("/links/{link_id}/reject", response=LinkOut, summary="Reject a link: the records are two people")
def link_reject(request: HttpRequest, link_id: int, payload: DecisionIn) -> LinkOut:
    return _decide(request, link_id, payload, accept=False)
