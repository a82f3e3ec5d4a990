"""Prepare the load test's empty instance in one process (each start of Django costs seconds):
migrate, load the packs, add the Bangladeshi areas the e-Mutation form offers, run the deployment checks.

Run with the load test's environment (``loadtest/run.sh`` does): ``python loadtest/prepare.py OUT_DIR``.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
from pathlib import Path

import django

AREAS = [
    ("BD", "Bangladesh", "country", ""),
    ("BD-30", "Dhaka", "division", "BD"),
    ("BD-3026", "Dhaka district", "district", "BD-30"),
    ("BD-302601", "Savar", "upazila", "BD-3026"),
    ("BD-30260101", "Ashulia", "union", "BD-302601"),
    ("BD-30260102", "Dhamsona", "union", "BD-302601"),
]


def main(out: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govreach.config.settings")
    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    from govreach.registry.services import area_import_csv

    call_command("migrate", interactive=False, verbosity=0)
    call_command("packs", "load", str(settings.PACKS_DIR), stdout=io.StringIO())
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "areas.csv"
        path.write_text("\n".join(["code,name,level,parent_code", *(",".join(r) for r in AREAS)]) + "\n")
        area_import_csv(csv_path=path)
    report = io.StringIO()
    try:
        call_command("check", deploy=True, stdout=report, stderr=report)
    except SystemCheckError as exc:
        report.write(str(exc))
    (out / "check-deploy.txt").write_text(report.getvalue(), encoding="utf-8")
    print(
        f"prepared: packs loaded, {len(AREAS)} areas; "
        f"check --deploy: {report.getvalue().strip().splitlines()[-1:]}"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
