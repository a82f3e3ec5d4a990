"""The auditor's page and download: auditors only (anonymous, citizens and other staff are refused), filters
by period, and a download that verifies on its own; reading the log is itself recorded."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.test import Client, override_settings
from tests.web.conftest import PHONE, citizen_sign_in, make_staff_user, staff_client

from govreach.audit.chain import verify_export_rows
from govreach.audit.demo import DEMO_AUDITOR, demo_auditor_ensure, step_audit
from govreach.audit.log import audit_record
from govreach.audit.models import AuditEntry
from govreach.catalogue.management.commands.demo import DemoContext

pytestmark = pytest.mark.usefixtures("emutation")


@pytest.fixture
def auditor() -> Client:
    user = make_staff_user("auditor-1")
    user.groups.add(Group.objects.get_or_create(name="auditor")[0])
    return staff_client(user)


def test_anonymous_citizens_and_other_staff_are_refused(officers: dict[str, User]) -> None:
    citizen = Client()
    citizen_sign_in(citizen, PHONE)
    other_staff = staff_client(officers["adc"])
    for url in ("/audit/", "/audit/export/?format=csv"):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/staff/login/")
        response = citizen.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/staff/login/")
        assert other_staff.get(url).status_code == 403
    assert not AuditEntry.objects.filter(action__startswith="audit.").exists()


def test_an_auditor_lists_a_period_with_filters_and_the_viewing_is_recorded(auditor: Client) -> None:
    audit_record(action="case.view", detail={"case_id": 11})
    audit_record(action="cycle.run", detail={"cycle_id": 3})
    html = auditor.get("/audit/").content.decode()
    assert "case.view" in html and "cycle.run" in html and "case_id=11" in html
    html = auditor.get("/audit/", {"action": "cycle"}).content.decode()
    assert "cycle.run" in html and "case.view" not in html
    tomorrow = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)).isoformat()
    html = auditor.get("/audit/", {"date_from": tomorrow, "date_to": tomorrow}).content.decode()
    assert "No entries match." in html
    response = auditor.get("/audit/", {"date_from": tomorrow, "date_to": "2020-01-01"})
    assert response.status_code == 400 and "There is a problem" in response.content.decode()
    views = AuditEntry.objects.filter(action="audit.view").order_by("seq")
    assert views.count() == 3 and views.last().actor_username == "auditor-1"  # type: ignore[union-attr]
    assert views.first().detail["has_action_filter"] is False  # type: ignore[union-attr]


def test_the_download_holds_the_hashes_and_verifies(auditor: Client) -> None:
    for n in range(3):
        audit_record(action="case.view", detail={"case_id": n})
    today = dt.datetime.now(dt.UTC).date().isoformat()
    response = auditor.get("/audit/export/", {"date_from": today, "date_to": today, "format": "jsonl"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="audit-{today}-{today}.jsonl"'
    rows = [json.loads(line) for line in b"".join(response.streaming_content).decode().splitlines()]  # type: ignore[attr-defined]
    assert [r["action"] for r in rows].count("case.view") == 3
    result = verify_export_rows(rows)
    assert result.is_ok and result.checked == len(rows)
    rows[1]["detail"] = {"case_id": 99}
    assert verify_export_rows(rows).problem is not None
    assert AuditEntry.objects.filter(action="audit.export", detail__format="jsonl").exists()
    csv_response = auditor.get("/audit/export/", {"date_from": today, "date_to": today})
    text = b"".join(csv_response.streaming_content).decode()  # type: ignore[attr-defined]
    assert text.startswith("v,seq,created_at,")


@override_settings(DEBUG=True)
def test_the_demo_step_makes_an_auditor_who_can_read_the_log_and_runs_twice() -> None:
    first = step_audit(DemoContext("http://localhost:8000"))
    second = step_audit(DemoContext("http://localhost:8000"))
    assert not first.problems and not second.problems
    assert any("/audit/" in line for line in second.lines)
    user = User.objects.get(username=DEMO_AUDITOR)
    assert demo_auditor_ensure() == user and user.groups.filter(name="auditor").count() == 1
    out = StringIO()
    call_command("demo_totp", DEMO_AUDITOR, stdout=out, stderr=StringIO())
    assert len(out.getvalue().strip()) == 6
