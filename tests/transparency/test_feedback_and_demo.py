"""Satisfaction and grievances from the feedback app's raw rows (suppressed like every count), and the
demo step: budgets, snapshots and open data, twice without change."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from tests.transparency.conftest import NOW, PACK_ID, MakeApplications

from govreach.catalogue.management.commands.demo import DemoContext
from govreach.packs.loader import Pack
from govreach.transparency import figures
from govreach.transparency.demo import step_transparency
from govreach.transparency.figures import pack_figures
from govreach.transparency.models import BudgetLine, Snapshot

pytestmark = pytest.mark.django_db

ASHULIA, KULLA = "BD-30260101", "BD-30260201"


def _feedback(ratings: list[dict[str, Any]], grievances: list[dict[str, Any]]) -> SimpleNamespace:
    return SimpleNamespace(
        satisfaction_rows=lambda service=None: [r for r in ratings if service in (None, r["service"])],
        grievance_rows=lambda now=None: grievances,
    )


def test_ratings_and_grievances_are_counted_and_small_cells_suppressed(
    bd_pack: Pack,
    bd_service_pack: object,
    make_applications: MakeApplications,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_applications(ASHULIA, 20, days=10)
    ratings = [
        {"service": PACK_ID, "area_code": ASHULIA, "month": "2026-05", "channel": "digital", "rating": 5, "count": 14},
        {"service": PACK_ID, "area_code": ASHULIA, "month": "2026-05", "channel": "digital", "rating": 2, "count": 11},
        {"service": PACK_ID, "area_code": KULLA, "month": "2026-05", "channel": "assisted", "rating": 1, "count": 3},
        # Dhamsona, Ashulia's neighbour: the complement that hides Kulla's 3 from Savar's and Dhaka's totals.
        {"service": PACK_ID, "area_code": "BD-30260102", "month": "2026-06", "channel": "digital", "rating": 4, "count": 12},
        {"service": "other", "area_code": ASHULIA, "month": "2026-05", "channel": "digital", "rating": 5, "count": 50},
    ]  # fmt: skip
    grievances = [
        {"service": PACK_ID, "area_code": ASHULIA, "category": "delay", "level": "local", "status": "open",
         "overdue": True, "count": 12, "median_days": None},
    ]  # fmt: skip
    monkeypatch.setattr(figures, "_feedback_module", lambda: _feedback(ratings, grievances))
    (published,) = pack_figures(bd_pack, now=NOW)
    assert published.national["is_feedback_measured"] is True
    assert published.counts[ASHULIA]["ratings"] == 25
    # Satisfied is hidden at Ashulia by the chain Kulla > Dhamrai > Savar (not satisfied 11 + 0), so the
    # rate is not published either; nationally both are.
    assert published.counts[ASHULIA]["satisfied"] is None
    assert published.measures[ASHULIA]["satisfaction_pct"] is None
    assert published.counts["BD"]["satisfied"] == 26
    assert published.measures["BD"]["satisfaction_pct"] == 65.0
    assert published.counts[KULLA]["ratings"] is None
    assert published.counts["BD-30260102"]["ratings"] is None  # the complement
    assert published.counts["BD"]["ratings"] == 40
    assert published.counts[ASHULIA]["grievances_overdue"] == 12


def test_without_the_feedback_app_the_dashboard_says_not_measured(
    bd_pack: Pack,
    bd_service_pack: object,
    make_applications: MakeApplications,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.test import Client

    make_applications(ASHULIA, 20, days=10)
    monkeypatch.setattr(figures, "_feedback_module", lambda: None)
    html = Client().get(f"/transparency/services/{PACK_ID}/").content.decode()
    assert "User satisfaction and grievances" in html and "Not measured yet." in html


def test_demo_step_is_idempotent(
    bd_service_pack: object, make_applications: MakeApplications, settings: Any, opendata_dir: Path
) -> None:
    make_applications(ASHULIA, 20, days=10)
    settings.DEBUG = True
    ctx = DemoContext(base_url="http://127.0.0.1:8000")
    first = step_transparency(ctx)
    state = (
        BudgetLine.objects.count(),
        Snapshot.objects.count(),
        sorted(p.name for p in opendata_dir.iterdir()),
    )
    second = step_transparency(ctx)
    assert not first.problems and not second.problems
    assert (
        BudgetLine.objects.count(),
        Snapshot.objects.count(),
        sorted(p.name for p in opendata_dir.iterdir()),
    ) == state
    assert state[0] == 2 and state[1] == 1 and "datapackage.json" in state[2]
