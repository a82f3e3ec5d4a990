"""A cycle's link mismatches move from the database to the cycle's Parquet store (mismatches.parquet).

At national scale a cycle records millions of mismatches that nobody edits: inserting them row by row
was a third of the cycle's write step. The mismatches of cycles run before this migration are written
to their cycle's store first (nothing is lost), then the table is dropped. Two indexes that only slowed
the cycle's inserts go too: the outcome table's on the cycle alone (its unique constraint (cycle, unit)
starts with the cycle and serves the same lookups) and the entitlements' on the household (no query
uses it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import django.db.models.deletion
import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings
from django.db import migrations, models

# The store's columns, as the report step writes them (services._EXPORTS["mismatches"]).
STORE_SCHEMA = pa.schema(
    [
        ("record_id", pa.string()),
        ("cpe", pa.string()),
        ("supplier_id", pa.string()),
        ("kind", pa.string()),
        ("link_method", pa.string()),
        ("tax_household_id", pa.string()),
        ("is_carried", pa.bool_()),
    ]
)


def _cycles_dir() -> Path:
    configured = getattr(settings, "GOVREACH_CYCLES_DIR", None)
    return Path(configured) if configured else Path(settings.VAR_DIR) / "cycles"


def mismatches_to_the_cycle_store(apps: Any, schema_editor: Any) -> None:
    link_mismatch = apps.get_model("entitlements", "LinkMismatch")
    cycle_ids = link_mismatch.objects.values_list("cycle_id", flat=True).distinct().order_by("cycle_id")
    for cycle_id in list(cycle_ids):
        path = _cycles_dir() / str(cycle_id) / "mismatches.parquet"
        if path.exists():
            continue
        rows = link_mismatch.objects.filter(cycle_id=cycle_id).order_by(
            "supply_point_code", "customer_record_id", "kind"
        )
        columns: dict[str, list[Any]] = {name: [] for name in STORE_SCHEMA.names}
        for record_id, cpe, supplier_id, kind, details in rows.values_list(
            "customer_record_id", "supply_point_code", "supplier_id", "kind", "details"
        ).iterator():
            details = details or {}
            columns["record_id"].append(record_id)
            columns["cpe"].append(cpe)
            columns["supplier_id"].append(supplier_id or None)
            columns["kind"].append(kind)
            columns["link_method"].append(details.get("linked_by"))
            columns["tax_household_id"].append(details.get("tax_household"))
            columns["is_carried"].append(bool(details.get("carried_from_previous_cycle")))
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial.parquet")
        pq.write_table(pa.table(columns, schema=STORE_SCHEMA), partial)
        partial.replace(path)


class Migration(migrations.Migration):
    dependencies = [
        ("entitlements", "0003_entitlement_pack_version"),
    ]

    operations = [
        migrations.RunPython(mismatches_to_the_cycle_store, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="cycleoutcome",
            name="cycle",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="outcomes",
                to="entitlements.cycle",
            ),
        ),
        migrations.DeleteModel(
            name="LinkMismatch",
        ),
        migrations.RemoveIndex(
            model_name="entitlement",
            name="entitlements_household",
        ),
    ]
