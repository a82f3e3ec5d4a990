"""Schemathesis over all four GovStack documents against the Django WSGI application: for every
operation, a few derandomized generated requests, each answered without a server error and with a body
that matches the operation's response schema in the document (jsonschema, through schemathesis)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import schemathesis
from django.contrib.auth.models import User
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from tests.govstack.conftest import Caller, make_caller
from tests.govstack.test_registration import apply

from govreach.govstack import specs
from govreach.govstack.models import (
    APPLY,
    DATA_USAGE,
    DELETE,
    OPERATE,
    READ,
    REGISTRIES_MANAGE,
    STATISTICS,
    WRITE,
)
from govreach.registry.models import Person

pytestmark = pytest.mark.django_db
EXAMPLES = 5
BASES = {
    specs.REGISTRATION: "/govstack/registration",
    specs.STATISTICS: "/govstack/registration",
    specs.REGISTRIES_DATA: "/govstack/digital-registries",
    specs.REGISTRIES_DATABASE: "/govstack/digital-registries",
}
APP = WSGIHandler()


def _schema(name: str) -> Any:
    return schemathesis.openapi.from_dict(specs.served_document(name, "http://testserver" + BASES[name]))


@pytest.fixture
def everything(ac_land: User) -> Caller:
    """A client system allowed everything, so that each operation does its work rather than refuse."""
    return make_caller(
        "eGovStack/GOV/90000009/everything",
        [APPLY, OPERATE, STATISTICS, REGISTRIES_MANAGE, DATA_USAGE],
        {"*": [READ, WRITE, DELETE]},
        operator=ac_land,
    )


@pytest.fixture(autouse=True)
def wsgi_host(settings: Any) -> None:
    # Schemathesis's WSGI transport sends Host: localhost.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]


@contextmanager
def _keeping_connection() -> Iterator[None]:
    """As Django's test client does around a request: the request must not close the connection that
    holds the test's transaction (PostgreSQL would lose it; SQLite in memory never closes)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _runner(strategy: Any, codes: list[int]) -> Any:
    """A hypothesis test of ``strategy``'s cases that records each status code in ``codes``."""

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        with _keeping_connection():
            response = case.call(app=APP)
        codes.append(response.status_code)
        case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])

    return run


def _conformance_failures(
    schema: Any,
    caller: Caller,
    statuses: dict[str, list[int]] | None = None,
    fixed: dict[str, Any] | None = None,
) -> list[str]:
    """Run every operation of ``schema``; the failures, each with its operation and the check's message.

    ``statuses`` receives every status code answered, so a caller can tell real work from refusals.
    """
    failures: list[str] = []
    seen = statuses if statuses is not None else {}
    for result in schema.get_all_operations():
        operation = result.ok()
        name = f"{operation.method.upper()} {operation.path}"
        names = {p["name"] for p in operation.definition.raw.get("parameters", []) if "name" in p}
        names |= set(re.findall(r"{([^}]+)}", operation.path))
        path_parameters = {k: v for k, v in (fixed or {}).items() if k in names}
        strategy = operation.as_strategy(headers=caller.headers(), path_parameters=path_parameters or None)
        codes = seen.setdefault(name, [])
        run = _runner(strategy, codes)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # every operation runs; all failures are reported
            details = [str(e) for e in getattr(exc, "exceptions", ())]
            failures.append(f"{name}: {exc}\n" + "\n".join(details))
    return failures


@pytest.mark.parametrize("document", specs.DOCUMENTS)
def test_every_operation_conforms(
    document: str, everything: Caller, portal: Caller, mcts: str, people: list[Person]
) -> None:
    # A submitted application, so that applications, tasks and statistics have something to show, and
    # its ids (and the demo registry's) in the paths, so that the operations find what they look for.
    created = apply(Client(), portal)
    service = created["serviceId"]
    eform = Client().get(f"/govstack/registration/services/{service}/eForms").json()[0]["eFormId"]
    fixed = {
        "serviceId": service,
        "eFormId": eform,
        "fileId": created["fileId"],
        "taskId": f"{created['fileId']}.submitted",
        "registryName": "mcts",
        "versionNumber": "1.0",
    }
    schema = _schema(document)
    assert len(list(schema.get_all_operations())) >= 1
    statuses: dict[str, list[int]] = {}
    failures = _conformance_failures(schema, everything, statuses, fixed)
    assert not failures, "\n\n".join(failures)
    # Not only refusals: most operations did their work for some of the generated requests.
    working = [name for name, codes in statuses.items() if any(200 <= c < 300 for c in codes)]
    assert len(working) * 2 >= len(statuses), statuses


def test_a_response_that_breaks_its_schema_is_caught(
    everything: Caller, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check can fail: a service whose ``type`` is outside the document's enum is reported."""
    from govreach.govstack import registration

    real = registration.service_json
    monkeypatch.setattr(registration, "service_json", lambda s: {**real(s), "type": "Secret"})
    schema = _schema(specs.REGISTRATION).include(path="/services", method="GET")
    failures = _conformance_failures(schema, everything)
    assert failures and "Secret" in failures[0]
