"""Schemathesis over GovReach's whole OpenAPI document: generated requests (valid and not) to every
operation, as an anonymous caller and with each kind of credential the API accepts. No answer may be a
server error, and every answer must match what the document says of it (status, content type, body).

Examples are derandomised and bounded, so the run is the same on every machine and stays short.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.handlers.wsgi import WSGIHandler
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from tests.entitlements.helpers import make_partner
from tests.registry.test_api import login

from govreach.api.api import api

SCHEMA = schemathesis.openapi.from_dict(api.get_openapi_schema())
SCHEMA.app = WSGIHandler()
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def world(settings: Any, transactional_db: None, pt_service_pack: Any) -> dict[str, str]:
    """The tariff pack in the catalogue, a supplier with an API token; answers come from a real state."""
    settings.ALLOWED_HOSTS = ["*"]
    _partner, raw = make_partner("edp")
    reviewer = Client()
    login(reviewer, staff=True, permitted=True)
    reviewer.get("/api/registry/review-queue")  # sets the CSRF cookie the POSTs must echo
    csrf = reviewer.cookies["csrftoken"].value if "csrftoken" in reviewer.cookies else "x" * 32
    session = reviewer.cookies[django_settings.SESSION_COOKIE_NAME].value
    return {
        "partner": f"Bearer {raw}",
        "session": session,
        "csrf": csrf,
    }


@SCHEMA.parametrize()
@settings(
    max_examples=12,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_fails_or_breaks_its_schema_anonymously(case: Any, world: dict[str, str]) -> None:
    case.call_and_validate(checks=CHECKS)


@SCHEMA.include(path_regex="registry").parametrize()
@settings(
    max_examples=12, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)
def test_registry_review_operations_as_a_reviewer(case: Any, world: dict[str, str]) -> None:
    cookies = {django_settings.SESSION_COOKIE_NAME: world["session"], "csrftoken": world["csrf"]}
    response = case.call_and_validate(headers={"X-CSRFToken": world["csrf"]}, cookies=cookies, checks=CHECKS)
    assert response.status_code not in (401, 403), "a reviewer's session is let through"


@SCHEMA.include(path_regex="partners").parametrize()
@settings(
    max_examples=12, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)
def test_partner_operations_with_a_partner_token(case: Any, world: dict[str, str]) -> None:
    case.call_and_validate(headers={"Authorization": world["partner"]}, checks=CHECKS)
