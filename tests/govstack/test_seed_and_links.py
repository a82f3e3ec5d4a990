"""`govreach govstack seed --reset`, the demo step, the home page links and the served documents."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from tests.browser import site

from govreach.catalogue.management.commands.demo import SETUP_STEPS, DemoContext
from govreach.govstack.demo import step_govstack
from govreach.govstack.models import ClientSystem, Registry
from govreach.govstack.seed import DEMO_CLIENTS, MCTS_RECORDS

pytestmark = pytest.mark.django_db


def test_seed_reset_loads_the_documented_dataset_and_its_keys_work(
    settings: Any, tmp_path: Path, areas: Any
) -> None:
    settings.VAR_DIR = tmp_path
    call_command("govstack", "seed", "--reset")
    keys = json.loads((tmp_path / "govstack" / "demo-keys.json").read_text())
    assert set(keys) == {d.identifier for d in DEMO_CLIENTS}
    assert Registry.objects.get(name="mcts").records.count() == len(MCTS_RECORDS)
    # Again without --reset: nothing doubles, the keys are kept.
    call_command("govstack", "seed")
    assert ClientSystem.objects.count() == len(DEMO_CLIENTS)
    assert Registry.objects.get(name="mcts").records.count() == len(MCTS_RECORDS)
    portal = DEMO_CLIENTS[0].identifier
    listed = Client().get(
        "/govstack/digital-registries/data/mcts/1.0",
        HTTP_AUTHORIZATION=f"Bearer {keys[portal]}",
        HTTP_INFORMATION_MEDIATOR_CLIENT=portal,
    )
    assert listed.status_code == 200 and listed.json()["count"] == len(MCTS_RECORDS)
    services = Client().get("/govstack/registration/services").json()
    assert [s["name"] for s in services] == ["e-Mutation of land records"]
    # --reset gives new keys: the old ones no longer open anything.
    call_command("govstack", "seed", "--reset")
    again = Client().get(
        "/govstack/digital-registries/data/mcts/1.0",
        HTTP_AUTHORIZATION=f"Bearer {keys[portal]}",
        HTTP_INFORMATION_MEDIATOR_CLIENT=portal,
    )
    assert again.status_code == 401


def test_demo_step_is_in_setup_lists_both_apis_and_repeats_itself(
    settings: Any, tmp_path: Path, land_service: Any
) -> None:
    settings.VAR_DIR = tmp_path
    assert step_govstack in SETUP_STEPS
    first = step_govstack(DemoContext(base_url="http://demo.example"))
    assert first.warnings and "demo-ac-land" in first.warnings[0]  # the demo accounts are not made yet
    officer = User.objects.create_user(username="demo-ac-land", password=None)
    report = step_govstack(DemoContext(base_url="http://demo.example"))
    assert not report.problems and not report.warnings
    assert ClientSystem.objects.get(identifier=DEMO_CLIENTS[1].identifier).operator == officer
    again = step_govstack(DemoContext(base_url="http://demo.example"))
    assert again.lines == report.lines  # the demo runs twice with the same output (and the same keys)
    assert (tmp_path / "govstack" / "demo-keys.json").exists()
    text = "\n".join(report.lines)
    assert "http://demo.example/govstack/registration/openapi.json" in text
    assert "http://demo.example/govstack/digital-registries/openapi.json" in text


def test_home_page_links_both_openapi_documents(land_service: Any) -> None:
    page = Client().get("/").content.decode()
    assert 'href="/govstack/registration/openapi.json"' in page
    assert 'href="/govstack/digital-registries/openapi.json"' in page
    served = Client().get("/govstack/digital-registries/database-openapi.json").json()
    assert served["servers"] == [
        {"url": "http://testserver/govstack/digital-registries", "description": "GovReach"}
    ]
    assert served["components"]["schemas"]["DatabasesSchema"] == {
        "$ref": "#/components/schemas/databasesSchema"
    }
    assert Client().get("/govstack/registration/statistics-openapi.json").json()["info"]["version"] == "1.0.0"


def test_every_govstack_url_pattern_is_accounted_for_in_the_browser_checks() -> None:
    ours = [key for key in site.url_patterns() if key.startswith("govstack:")]
    assert len(ours) == 32
    assert [key for key in ours if not site.is_excluded(key)] == []
