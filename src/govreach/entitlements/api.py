"""Partner API: ``POST /api/v1/partners/customer-lists`` and ``GET /api/v1/partners/answers?cycle=ID``.

Each supplier authenticates with its own token (``Authorization: Bearer grp_...``) and sees only its own
customers' answers: supply point, yes/no, start date. Nothing else leaves.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import File, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile
from ninja.security import HttpBearer

from govreach.api.errors import Problem, ProblemsError
from govreach.entitlements.models import CustomerListUpload, PartnerToken
from govreach.entitlements.partners import (
    CustomerListInvalid,
    PartnerError,
    _max_bytes,
    customer_list_upload,
    partner_answers,
    partner_cycle_get,
    partner_token_authenticate,
)


class PartnerTokenAuth(HttpBearer):
    """The supplier's API token; ``request.auth`` is the PartnerToken."""

    def authenticate(self, request: HttpRequest, token: str) -> PartnerToken | None:
        return partner_token_authenticate(token)


router = Router(tags=["partners"], auth=PartnerTokenAuth())


class UploadOut(Schema):
    upload: int
    supplier_id: str
    rows: int
    received_at: dt.datetime
    used_from: str


class AnswerOut(Schema):
    supply_point: str
    eligible: bool
    start_date: dt.date | None


class AnswersOut(Schema):
    cycle: int
    decided_on: dt.date
    supplier_id: str
    count: int
    offset: int
    next_offset: int | None
    answers: list[AnswerOut]


def _token(request: HttpRequest) -> PartnerToken:
    token = request.auth  # type: ignore[attr-defined]
    assert isinstance(token, PartnerToken)
    return token


@router.post("/customer-lists", response={201: UploadOut}, summary="Send the supplier's customer list (CSV)")
def customer_list_post(request: HttpRequest, file: File[UploadedFile]) -> Status[UploadOut]:
    """Replace this supplier's customers for the next cycle with a CSV of the documented columns.

    Columns: cpe, national_id, given_name, family_name, address, postcode, area_code, power_kva, voltage,
    is_domestic_use, is_own_name, is_permanent_home, contract_start_on (customer_ref optional). A list
    with any bad row changes nothing; each problem names its row (the header is row 1) and column.
    """
    token = _token(request)
    if file.size is not None and file.size > _max_bytes():
        raise ProblemsError(
            413, "The file is too large.", [Problem(field="file", message=f"at most {_max_bytes():,} bytes")]
        )
    try:
        upload: CustomerListUpload = customer_list_upload(
            partner=token.partner, content=file.read(), channel=CustomerListUpload.Channel.API, token=token
        )
    except CustomerListInvalid as exc:
        problems = [
            Problem(field=f"row {p.row}: {p.column}" if p.row else p.column, message=p.message)
            for p in exc.problems
        ]
        raise ProblemsError(422, exc.detail, problems) from None
    return Status(
        201,
        UploadOut(
            upload=upload.pk,
            supplier_id=token.partner.supplier_id,
            rows=upload.rows,
            received_at=upload.created_at,
            used_from="the next cycle",
        ),
    )


@router.get("/answers", response=AnswersOut, summary="Yes/no per supply point of this supplier in a cycle")
def answers_get(
    request: HttpRequest, cycle: int | None = None, offset: int = 0, limit: int = 50_000
) -> AnswersOut:
    """For this supplier's own customers only: supply point (CPE), eligible yes/no and the start date.

    ``cycle`` is a cycle id (default: the latest); pages of at most 100,000 rows (``offset``, ``limit``).
    """
    token = _token(request)
    found = partner_cycle_get(cycle)
    if found is None:
        raise HttpError(404, "No completed cycle with this id.")
    if offset < 0 or not 0 < limit <= 100_000:
        raise ProblemsError(
            422, "The request is not valid.", [Problem(field="limit", message="1 to 100000; offset >= 0")]
        )
    try:
        answers = partner_answers(partner=token.partner, cycle=found)
    except PartnerError as exc:
        raise HttpError(409, str(exc)) from None
    page = answers[offset : offset + limit]
    more = offset + limit < len(answers)
    return AnswersOut(
        cycle=found.pk,
        decided_on=found.decided_on,
        supplier_id=token.partner.supplier_id,
        count=len(answers),
        offset=offset,
        next_offset=offset + limit if more else None,
        answers=[
            AnswerOut(supply_point=a.supply_point, eligible=a.eligible, start_date=a.start_date) for a in page
        ],
    )
