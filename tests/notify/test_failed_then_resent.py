"""A gateway that keeps failing, end to end: retries, a clear failed state, the staff page, a resend."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.contrib.auth.models import User
from django.utils import timezone
from tests.notify.conftest import PHONE, Gateway, Reply
from tests.ops.conftest import AREAS, signed_in

from govreach.accounts.models import StaffAssignment
from govreach.notify.models import OutboxMessage
from govreach.notify.services import outbox_enqueue, outbox_send_due
from govreach.registry.models import Area
from govreach.registry.services import area_import_csv


def _areas(tmp_path: Path) -> dict[str, Area]:
    path = tmp_path / "areas.csv"
    path.write_text("\n".join(["code,name,level,parent_code", *(",".join(r) for r in AREAS)]) + "\n")
    area_import_csv(csv_path=path)
    return {a.code: a for a in Area.objects.all()}


def test_a_slow_answer_within_the_timeout_is_a_success(db: None, sms_via_gateway: Gateway) -> None:
    sms_via_gateway.script(Reply(200, {"id": "gw-slow"}, delay_seconds=0.2))
    message = outbox_enqueue(channel="sms", to=PHONE, message_id="login_code", language="en",
                             context={"code": "123456", "minutes": 10}, dedupe_key="slow")  # fmt: skip
    assert outbox_send_due().sent == 1
    [attempt] = OutboxMessage.objects.get(pk=message.pk).delivery_attempts.all()
    assert attempt.outcome == "sent" and attempt.duration_ms >= 200


def test_a_failing_gateway_ends_in_failed_then_staff_see_the_reason_and_resend(
    db: None, sms_via_gateway: Gateway, tmp_path: Path
) -> None:
    areas = _areas(tmp_path)
    sms_via_gateway.script(
        Reply(503, "maintenance"), Reply(500, "down"), Reply(200, {"id": "gw-late"}, delay_seconds=2)
    )
    message = outbox_enqueue(channel="sms", to=PHONE, message_id="login_code", language="en",
                             context={"code": "1", "minutes": 10}, dedupe_key="failing")  # fmt: skip
    # As a message of the land office's pack and union (the pack itself need not be loaded to send it).
    OutboxMessage.objects.filter(pk=message.pk).update(pack_id="bd-land-mutation", area=areas["BD-30260101"])
    now = timezone.now()
    for _ in range(3):  # max_attempts is 3 in this configuration; the third try times out
        assert outbox_send_due(now=now).claimed == 1
        now += dt.timedelta(days=1)
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", 3)
    assert "did not answer within 0.5 s" in message.last_error
    assert outbox_send_due(now=now).claimed == 0  # failed is final: no fourth try on its own

    officer = User.objects.create_user(username="ulao", password="x")
    StaffAssignment.objects.create(user=officer, pack_id="bd-land-mutation", role="officer",
                                   area=areas["BD-30260101"])  # fmt: skip
    client = signed_in(officer)
    page = client.get("/staff/messages/failed/").content.decode()
    assert "did not answer within 0.5 s" in page and PHONE not in page
    client.post(f"/staff/messages/failed/{message.pk}/resend/")

    sms_via_gateway.script(Reply(200, {"id": "gw-ok"}))
    assert outbox_send_due().sent == 1
    message.refresh_from_db()
    assert (message.status, message.provider_message_id) == ("sent", "gw-ok")
    assert [r["by_user_id"] for r in message.resend_log] == [officer.pk]
    assert len(sms_via_gateway.requests) == 4
