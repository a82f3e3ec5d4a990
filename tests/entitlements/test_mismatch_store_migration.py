"""Migration 0004 moves the link mismatches of earlier cycles to their cycle's store: nothing is lost."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from govreach.entitlements.models import Cycle
from govreach.entitlements.selectors import cycle_mismatches

BEFORE = [("entitlements", "0003_entitlement_pack_version")]
AFTER = [("entitlements", "0004_mismatches_in_the_cycle_store")]


def _migrate(targets: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_mismatches_of_earlier_cycles_are_written_to_their_store_before_the_table_goes(
    settings: Any, tmp_path: Path
) -> None:
    settings.GOVREACH_CYCLES_DIR = str(tmp_path / "cycles")
    apps = _migrate(BEFORE)
    old_cycle = apps.get_model("entitlements", "Cycle")
    old_mismatch = apps.get_model("entitlements", "LinkMismatch")
    cycle = old_cycle.objects.create(
        pack_id="pt-social-energy-tariff",
        pack_version="1.0.0",
        decided_on=dt.date(2025, 1, 1),
        status="completed",
        registries_dir=str(tmp_path),
        workdir=str(tmp_path / "work"),
    )
    old_mismatch.objects.create(
        cycle=cycle,
        customer_record_id="R-2",
        supply_point_code="PT0002",
        supplier_id="",
        kind="duplicate_supply_point",
        details={"linked_by": None, "tax_household": None, "carried_from_previous_cycle": False},
    )
    old_mismatch.objects.create(
        cycle=cycle,
        customer_record_id="R-1",
        supply_point_code="PT0001",
        supplier_id="edp_comercial",
        kind="no_tax_number",
        details={
            "linked_by": "address_and_name",
            "tax_household": "AF-1",
            "carried_from_previous_cycle": True,
        },
    )

    _migrate(AFTER)

    assert "entitlements_linkmismatch" not in connection.introspection.table_names()
    moved = cycle_mismatches(Cycle.objects.get(pk=cycle.pk))
    assert moved == [
        {
            "record_id": "R-1",
            "cpe": "PT0001",
            "supplier_id": "edp_comercial",
            "kind": "no_tax_number",
            "link_method": "address_and_name",
            "tax_household_id": "AF-1",
            "is_carried": True,
        },
        {
            "record_id": "R-2",
            "cpe": "PT0002",
            "supplier_id": None,
            "kind": "duplicate_supply_point",
            "link_method": None,
            "tax_household_id": None,
            "is_carried": False,
        },
    ]
    assert (
        cycle_mismatches(Cycle.objects.get(pk=cycle.pk), supply_point_code="PT0002")[0]["record_id"] == "R-2"
    )
