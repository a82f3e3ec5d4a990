"""Simulated citizens against a production-like GovReach (see loadtest/README.md), plus two probes.

- ``Citizen``: signs in with the SMS code, applies for e-Mutation (every page, five uploads, the two fees,
  submit), tracks an application, asks the eligibility API. Every reference the server accepted is
  appended to ``$LOADTEST_REFERENCES`` (JSON lines) for ``loadtest/check.py``.
- ``HealthProbe`` and ``EligibilityProbe``: no think time, one endpoint each. They run with the citizens,
  then ``loadtest/run.sh`` runs each alone (``LOADTEST_PHASE``) against the same server: alone, they
  measure the capacity of a trivial Django view and of the eligibility API. Together with the citizens
  both would wait in the same queue and their ratio would say nothing.

The SMS code is read from the outbox table (``LOADTEST_DATABASE_URL``): the load test runs on the server's
machine, so no code path of GovReach exists only for load tests. Each citizen connects from its own
loopback address (127.x.y.z), as citizens come from their own addresses: the per-address limits on
sign-in codes apply to each as they would in production.

Production sets Secure cookies and a TLS front end sends them to Django over HTTP; here the client talks
HTTP to gunicorn directly, so it keeps sending the cookies it got (``_cookies_for_plain_http``).
"""

from __future__ import annotations

import io
import itertools
import json
import os
import random
import re
import threading
import time
from typing import Any

import gevent
import psycopg
from locust import HttpUser, between, constant, task
from locust.exception import RescheduleTask
from PIL import Image
from requests.adapters import HTTPAdapter

from govreach.api.bench import PT_HOUSEHOLD

PACK = "bd-land-mutation"
APPLY = f"/services/{PACK}/apply/"
ELIGIBILITY = "/api/v1/services/pt-social-energy-tariff/eligibility"
ELIGIBILITY_BODY = PT_HOUSEHOLD  # the same household `govreach bench api` asks about
PAGES: dict[str, dict[str, str]] = {
    "applicant": {
        "q-applicant_name": "Rahima Begum",
        "q-applicant_guardian_name": "Abdul Karim",
        "q-applicant_nid": "1234567890",
        "q-applicant_phone": "01712345678",
        "q-applicant_address": "House 4, Road 2, Ashulia",
    },
    "land": {
        "q-land_union": os.environ.get("LOADTEST_UNION", "BD-30260101"),
        "q-mouza": "Baipail",
        "q-jl_number": "12",
        "q-khatian_number": "512",
        "q-plot_numbers": "1021, 1022",
        "q-land_area_decimal": "8.25",
    },
    "transfer": {
        "q-transfer_kind": "purchase",
        "q-deed_number": "4471",
        "q-deed_date-day": "2",
        "q-deed_date-month": "11",
        "q-deed_date-year": "2025",
        "q-persons_to_notify": "2",
    },
    "fees": {"q-payment_channel": "mobile_wallet"},
}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
_jpeg = io.BytesIO()
Image.new("RGB", (40, 50), "#c0b090").save(_jpeg, format="JPEG")
JPEG = _jpeg.getvalue()

_numbers = itertools.count(1)
_numbers_lock = threading.Lock()
_references_lock = threading.Lock()
_HIDDEN = re.compile(r'name="(?P<name>[\w-]+)" value="(?P<value>[^"]*)"')


def _hidden(html: str, name: str) -> str:
    for match in _HIDDEN.finditer(html):
        if match.group("name") == name:
            return match.group("value")
    raise RescheduleTask(f"no hidden field {name} on the page")


class _SourceAddress(HTTPAdapter):
    """Connections from one loopback address (Linux routes all of 127.0.0.0/8 to this machine)."""

    def __init__(self, source: str) -> None:
        self.source = source
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


class Citizen(HttpUser):
    wait_time = between(0.5, 2.0)
    weight = 10

    def on_start(self) -> None:
        with _numbers_lock:
            self.number = next(_numbers)
        # Synthetic numbers of a range no operator assigns to people.
        self.phone = f"+88019{int(os.environ.get('LOADTEST_PHONE_BLOCK', '0')):02d}{self.number:06d}"
        self.client.mount(
            "http://",
            _SourceAddress(
                f"127.{1 + self.number // 62500}.{self.number // 250 % 250}.{1 + self.number % 250}"
            ),
        )
        self.tracked: list[tuple[str, str]] = []
        self.is_signed_in = False

    def ensure_signed_in(self) -> None:
        if not self.is_signed_in:
            self.sign_in()
            self.is_signed_in = True

    # --- plumbing ---------------------------------------------------------------------------------

    def _cookies_for_plain_http(self) -> None:
        for cookie in self.client.cookies:
            cookie.secure = False

    def call(self, method: str, path: str, name: str, expect: tuple[int, ...] = (200,), **kwargs: Any) -> Any:
        """One request; a status not in ``expect`` is a failure that ends the task (the next one starts)."""
        self._cookies_for_plain_http()
        headers = kwargs.pop("headers", {})
        if method == "POST":
            headers["X-CSRFToken"] = self.client.cookies.get("csrftoken", "")
        with self.client.request(
            method, path, name=name, headers=headers, allow_redirects=False, catch_response=True, **kwargs
        ) as response:
            if response.status_code not in expect:
                response.failure(f"HTTP {response.status_code} (expected {expect})")
                raise RescheduleTask()
            response.success()
        return response

    # --- journeys ---------------------------------------------------------------------------------

    def sign_in(self) -> None:
        self.call("GET", "/login/?lang=en", "sign in: page")
        self.call("POST", "/login/", "sign in: phone", expect=(302,), data={"phone": self.phone})
        code = _login_code(self.phone)
        self.call("GET", "/login/code/", "sign in: code page")
        self.call("POST", "/login/code/", "sign in: code", expect=(302,), data={"code": code})

    @task(3)
    def apply(self) -> None:
        self.ensure_signed_in()
        self.call("GET", f"{APPLY}?lang=en", "apply: start")
        for page in ("applicant", "land", "transfer"):
            self.call("GET", f"{APPLY}{page}/", "apply: page")
            self.call("POST", f"{APPLY}{page}/", "apply: page (save)", expect=(302,), data=PAGES[page])
        self.call("GET", f"{APPLY}documents/", "apply: page")
        files = {
            "q-deed_copy": ("deed.pdf", PDF, "application/pdf"),
            "q-khatian_copy": ("khatian.pdf", PDF, "application/pdf"),
            "q-land_tax_receipt": ("receipt.pdf", PDF, "application/pdf"),
            "q-national_id_copy": ("nid.pdf", PDF, "application/pdf"),
            "q-photo": ("photo.jpg", JPEG, "image/jpeg"),
        }
        self.call("POST", f"{APPLY}documents/", "apply: documents (5 uploads)", expect=(302,), files=files)
        self.call("GET", f"{APPLY}fees/", "apply: page")
        self.call("POST", f"{APPLY}fees/", "apply: page (save)", expect=(302,), data=PAGES["fees"])
        for _ in range(2):  # the court fee, then the notice fee, through the demo provider
            page = self.call("GET", f"{APPLY}pay-fees/", "apply: fees").text
            gateway = self.call(
                "POST", f"{APPLY}pay-fees/", "apply: pay", data={"purpose": _hidden(page, "purpose")}
            )
            self.call(
                "POST", f"{APPLY}confirm-payment/", "apply: payment confirmed", expect=(302,),
                data={"payment": _hidden(gateway.text, "payment")},
            )  # fmt: skip
        check = self.call("GET", f"{APPLY}check-answers/", "apply: check answers").text
        form = {"draft": _hidden(check, "draft"), "idempotency_key": _hidden(check, "idempotency_key")}
        sent = self.call("POST", f"{APPLY}submit-application/", "apply: submit", expect=(302,), data=form)
        match = re.search(r"/application-sent/([^/]+)/", sent.headers.get("Location", ""))
        if not match:
            raise RescheduleTask("the submission did not lead to its confirmation page")
        reference = match.group(1)
        _record(reference)
        done = self.call("GET", sent.headers["Location"], "apply: confirmation").text
        secret = re.search(r'<p class="secret" id="secret">([A-Z0-9]+)</p>', done)
        if secret:
            self.tracked.append((reference, secret.group(1)))

    @task(2)
    def track(self) -> None:
        self.ensure_signed_in()
        if not self.tracked:
            return self.apply()
        reference, secret = random.choice(self.tracked)
        self.call("GET", "/track/?lang=en", "track: page")
        page = self.call("POST", "/track/", "track: status", data={"reference": reference, "secret": secret})
        if reference not in page.text:
            page.failure("the tracking page did not find the application")
        return None

    @task(1)
    def eligibility(self) -> None:
        self.call("POST", ELIGIBILITY, "api: eligibility", json=ELIGIBILITY_BODY)


# Set by loadtest/run.sh when a probe runs alone, to measure its capacity: "health" or "eligibility".
_phase = {"name": os.environ.get("LOADTEST_PHASE", "mixed")}


class HealthProbe(HttpUser):
    wait_time = constant(0)
    weight = 1

    @task
    def healthz(self) -> None:
        name = "capacity: healthz alone" if _phase["name"] == "health" else "healthz (trivial view)"
        with self.client.get("/healthz/", name=name, catch_response=True) as r:
            if r.status_code != 200 or r.text != "ok":
                r.failure(f"HTTP {r.status_code}")


class EligibilityProbe(HttpUser):
    wait_time = constant(0)
    weight = 1

    @task
    def eligibility(self) -> None:
        name = (
            "capacity: eligibility API alone"
            if _phase["name"] == "eligibility"
            else "api: eligibility (probe)"
        )
        with self.client.post(ELIGIBILITY, json=ELIGIBILITY_BODY, name=name, catch_response=True) as r:
            if r.status_code != 200 or r.json().get("outcome") is not True:
                r.failure(f"HTTP {r.status_code}: not the expected decision")


def _login_code(phone: str) -> str:
    """The sign-in code the SMS carries, read from the outbox as the tests read it (see module docstring)."""
    url = os.environ["LOADTEST_DATABASE_URL"]
    for _ in range(50):
        with psycopg.connect(url, autocommit=True) as db:
            row = db.execute(
                "SELECT context->>'code' FROM notify_outboxmessage WHERE recipient = %s AND message_id = "
                "'login_code' ORDER BY id DESC LIMIT 1",
                (phone,),
            ).fetchone()
        if row:
            return str(row[0])
        time.sleep(0.1)
    raise RescheduleTask("no sign-in code in the outbox")


def _record(reference: str) -> None:
    path = os.environ.get("LOADTEST_REFERENCES")
    if not path:
        return
    with _references_lock, open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps({"reference": reference, "at": time.time()}) + "\n")
        out.flush()


# gevent's loop caches "now" until it first runs; importing this file takes seconds on a busy machine,
# and locust's --run-time timer, armed right after, would fire that much early. Refresh the clock.
gevent.get_hub().loop.update_now()
