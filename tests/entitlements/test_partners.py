"""Partners get only what they need: customer lists in (CSV, API or page), yes/no and a start date out."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from govreach.accounts.access import SESSION_STAFF_VERIFIED
from govreach.entitlements.models import CustomerListUpload, Entitlement
from govreach.entitlements.partners import REQUIRED_COLUMNS, partner_member_add, partner_token_revoke

from .helpers import SECOND_ON, customers, first_cycle, make_partner, setup_pack_and_areas

pytestmark = pytest.mark.django_db

ANSWER_KEYS = {"supply_point", "eligible", "start_date"}
TOP_KEYS = {"cycle", "decided_on", "supplier_id", "count", "offset", "next_offset", "answers"}


@pytest.fixture
def ready(registries: Path) -> Path:
    setup_pack_and_areas(registries)
    first_cycle(registries)
    return registries


def _bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def _csv(rows: list[dict[str, object]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(REQUIRED_COLUMNS), extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {k: ("" if v is None else str(v).lower() if isinstance(v, bool) else v) for k, v in row.items()}
        )
    return out.getvalue().encode()


def _partner_client(username: str, partner: object) -> Client:
    user = User.objects.create_user(username=username, password="x")
    partner_member_add(partner=partner, user=user)  # type: ignore[arg-type]
    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_STAFF_VERIFIED] = True
    session.save()
    return client


def test_answers_carry_exactly_supply_point_eligible_and_start_date_for_own_customers(ready: Path) -> None:
    _partner, raw = make_partner("edp_comercial")
    response = Client().get("/api/v1/partners/answers", **_bearer(raw))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == TOP_KEYS
    own = {r["cpe"] for r in customers(ready, "supplier_id = 'edp_comercial'")}
    assert {a["supply_point"] for a in body["answers"]} <= own
    assert len(body["answers"]) >= len(own) - 5  # points also listed by another supplier are withheld
    for answer in body["answers"]:
        assert set(answer) == ANSWER_KEYS
    granted = {
        e.unit_key: e.valid_from.isoformat()
        for e in Entitlement.objects.filter(status="active", unit_key__in=own)
    }
    assert any(a["eligible"] for a in body["answers"])
    for answer in body["answers"]:
        assert answer["eligible"] is (answer["supply_point"] in granted)
        assert answer["start_date"] == granted.get(answer["supply_point"])
    text = response.content.decode()
    for row in customers(ready, "supplier_id = 'edp_comercial'")[:20]:
        for personal in ("national_id", "given_name", "family_name", "address", "postcode"):
            if row[personal]:
                assert str(row[personal]) not in text
    for word in ("income", "benefit", "household", "national_id", "name", "tax"):
        assert word not in text


def test_one_supplier_never_reads_another_suppliers_answers(ready: Path) -> None:
    _edp, edp_raw = make_partner("edp_comercial")
    _galp, galp_raw = make_partner("galp")
    edp = Client().get("/api/v1/partners/answers", **_bearer(edp_raw)).json()["answers"]
    galp = Client().get("/api/v1/partners/answers", **_bearer(galp_raw)).json()["answers"]
    galp_points = {r["cpe"] for r in customers(ready, "supplier_id = 'galp'")}

    assert edp and galp
    assert not {a["supply_point"] for a in edp} & galp_points
    assert Client().get("/api/v1/partners/answers").status_code == 401
    assert Client().get("/api/v1/partners/answers", **_bearer("grp_forged")).status_code == 401


def test_a_revoked_token_authenticates_nothing(ready: Path) -> None:
    partner, raw = make_partner("galp")
    token = partner.tokens.get()
    partner_token_revoke(token=token)

    assert Client().get("/api/v1/partners/answers", **_bearer(raw)).status_code == 401


def test_partner_page_csv_has_exactly_three_columns_and_only_own_supply_points(ready: Path) -> None:
    edp, _ = make_partner("edp_comercial")
    galp, _ = make_partner("galp")
    client = _partner_client("edp-user", edp)
    cycle_id = Entitlement.objects.first().granted_in_id  # type: ignore[union-attr]

    response = client.get(f"/partners/answers/{cycle_id}.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))

    assert response.status_code == 200
    assert rows[0] == ["supply_point", "eligible", "start_date"]
    galp_points = {r["cpe"] for r in customers(ready, "supplier_id = 'galp'")}
    assert rows[1:] and all(len(r) == 3 and r[1] in ("yes", "no") for r in rows[1:])
    assert not {r[0] for r in rows[1:]} & galp_points
    # A user of no partner, and an anonymous visitor, get nothing.
    outsider = _partner_client("galp-user", galp)
    outsider_rows = list(
        csv.reader(io.StringIO(outsider.get(f"/partners/answers/{cycle_id}.csv").content.decode()))
    )
    assert not {r[0] for r in outsider_rows[1:]} & {r[0] for r in rows[1:]}
    nobody = Client()
    nobody.force_login(User.objects.create_user(username="nobody"))
    session = nobody.session
    session[SESSION_STAFF_VERIFIED] = True
    session.save()
    assert nobody.get(f"/partners/answers/{cycle_id}.csv").status_code == 403
    assert Client().get(f"/partners/answers/{cycle_id}.csv").status_code == 302
    assert client.get("/partners/answers/999999.csv").status_code == 404


def test_bad_rows_are_reported_by_row_number_and_nothing_changes(ready: Path) -> None:
    _partner, raw = make_partner("galp")
    rows = customers(ready, "supplier_id = 'galp'")
    rows[1] = {**rows[1], "cpe": "XX123"}
    rows[2] = {**rows[2], "power_kva": "lots", "postcode": "12345"}
    before = (ready / "registries" / "electricity_customers.parquet").read_bytes()

    response = Client().post(
        "/api/v1/partners/customer-lists",
        {"file": SimpleUploadedFile("list.csv", _csv(rows), content_type="text/csv")},
        **_bearer(raw),
    )

    assert response.status_code == 422
    fields = {p["field"] for p in response.json()["problems"]}
    assert fields == {"row 3: cpe", "row 4: power_kva", "row 4: postcode"}
    assert (ready / "registries" / "electricity_customers.parquet").read_bytes() == before
    assert not CustomerListUpload.objects.exists()


def test_a_wrong_header_and_an_oversized_file_are_refused(ready: Path, settings: object) -> None:
    _partner, raw = make_partner("galp")
    response = Client().post(
        "/api/v1/partners/customer-lists",
        {"file": SimpleUploadedFile("list.csv", b"cpe,nif\nPT1,2\n", content_type="text/csv")},
        **_bearer(raw),
    )
    assert response.status_code == 422
    assert {"row 1: nif", "row 1: power_kva"} <= {p["field"] for p in response.json()["problems"]}
    settings.GOVREACH_CUSTOMER_LIST_MAX_BYTES = 100  # type: ignore[attr-defined]
    big = _csv(customers(ready, "supplier_id = 'galp'"))
    response = Client().post(
        "/api/v1/partners/customer-lists",
        {"file": SimpleUploadedFile("list.csv", big, content_type="text/csv")},
        **_bearer(raw),
    )
    assert response.status_code == 413


def test_an_uploaded_list_is_the_suppliers_input_to_the_next_cycle(ready: Path) -> None:
    partner, raw = make_partner("galp")
    rows = customers(ready, "supplier_id = 'galp'")
    dropped = rows[0]["cpe"]
    others_before = len(customers(ready, "supplier_id <> 'galp'"))

    response = Client().post(
        "/api/v1/partners/customer-lists",
        {"file": SimpleUploadedFile("list.csv", _csv(rows[1:]), content_type="text/csv")},
        **_bearer(raw),
    )

    assert response.status_code == 201, response.content
    assert response.json()["rows"] == len(rows) - 1
    assert len(customers(ready, "supplier_id <> 'galp'")) == others_before
    assert dropped not in {r["cpe"] for r in customers(ready, "supplier_id = 'galp'")}
    second = first_cycle(ready, SECOND_ON)
    assert second.status == "completed"
    answers = Client().get(f"/api/v1/partners/answers?cycle={second.pk}", **_bearer(raw)).json()["answers"]
    assert dropped not in {a["supply_point"] for a in answers}
    # The first cycle's answers are still about the customers it decided (kept before the upload).
    first = Client().get(f"/api/v1/partners/answers?cycle={second.pk - 1}", **_bearer(raw)).json()["answers"]
    assert dropped in {a["supply_point"] for a in first}
    assert partner.uploads.count() == 1


def test_partner_page_upload_reports_bad_rows(ready: Path) -> None:
    partner, _ = make_partner("galp")
    client = _partner_client("galp-user", partner)
    rows = customers(ready, "supplier_id = 'galp'")
    rows[0] = {**rows[0], "voltage": "HIGH"}

    response = client.post(
        "/partners/", {"file": SimpleUploadedFile("l.csv", _csv(rows), content_type="text/csv")}
    )

    assert response.status_code == 422
    assert "voltage" in response.content.decode() and "<td>2</td>" in response.content.decode()
    ok = client.post(
        "/partners/", {"file": SimpleUploadedFile("l.csv", _csv(rows[1:]), content_type="text/csv")}
    )
    assert ok.status_code == 200 and CustomerListUpload.objects.get().channel == "web"
