"""The open data export: CSV and Parquet per table, a data package Frictionless validates, suppressed
cells marked and never written as numbers, and the download page serving only the package's files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from django.core.management import call_command
from django.test import Client
from frictionless import Package, validate
from tests.transparency.conftest import MakeApplications

from govreach.packs.loader import Pack
from govreach.transparency.opendata import opendata_export
from govreach.transparency.services import budget_load_pack

pytestmark = pytest.mark.django_db

ASHULIA, KULLA = "BD-30260101", "BD-30260201"


@pytest.fixture
def exported(
    bd_pack: Pack, bd_service_pack: object, make_applications: MakeApplications, tmp_path: Path
) -> Path:
    make_applications(ASHULIA, 30, days=10)
    make_applications(ASHULIA, 12, outcome="rejected", days=40)
    make_applications(KULLA, 4, days=12)
    budget_load_pack(pack=bd_pack)
    return opendata_export(out=tmp_path / "out", refresh=True)


def test_the_data_package_is_valid_frictionless(exported: Path) -> None:
    descriptor = json.loads((exported / "datapackage.json").read_text())
    assert descriptor["licenses"][0]["name"] == "CC-BY-4.0"
    assert descriptor["suppression"]["marker"] == "[c]"
    # The whole descriptor (CSV and Parquet resources) against the Data Package standard...
    report = Package.validate_descriptor(descriptor)
    assert report.valid, report.flatten(["type", "note"])
    # ...and every CSV row against its schema (Frictionless reads Parquet only through pandas, which
    # GovReach does not install: the Parquet files are checked against the CSV below instead).
    csv_only = {**descriptor, "resources": [r for r in descriptor["resources"] if r["format"] == "csv"]}
    (exported / "csv-only.json").write_text(json.dumps(csv_only))
    report = validate(str(exported / "csv-only.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    for resource in descriptor["resources"]:
        for spec in resource["schema"]["fields"]:
            assert spec["description"], spec["name"]
        assert (exported / resource["path"]).is_file()
        if resource["format"] == "parquet":
            names = [f["name"] for f in resource["schema"]["fields"]]
            assert pq.read_schema(exported / resource["path"]).names == names


def test_suppressed_cells_are_marked_in_csv_and_null_in_parquet(exported: Path) -> None:
    with (exported / "service_counts.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    kulla = {r["measure"]: r for r in rows if r["area_code"] == KULLA}
    assert kulla["received"]["value"] == "[c]" and kulla["received"]["status"] == "suppressed"
    for row in rows:
        if row["value"] not in ("[c]", ""):
            assert int(row["value"]) == 0 or int(row["value"]) >= 10, row
    table = pq.read_table(exported / "service_counts.parquet").to_pylist()
    assert len(table) == len(rows)
    parquet_kulla = [r for r in table if r["area_code"] == KULLA and r["measure"] == "received"]
    assert parquet_kulla[0]["value"] is None


def test_no_personal_data_in_the_files(exported: Path) -> None:
    text = "".join(p.read_text(encoding="utf-8") for p in exported.glob("*.csv"))
    assert "BD-2026-" not in text and "applicant" not in text and "udc-operator" not in text


def test_export_command_and_download_page(
    bd_pack: Pack,
    bd_service_pack: object,
    make_applications: MakeApplications,
    opendata_dir: Path,
    tmp_path: Path,
) -> None:
    make_applications(ASHULIA, 12, days=10)
    call_command("opendata", "export", "--out", str(tmp_path / "cli"))
    assert (tmp_path / "cli" / "service_counts.parquet").is_file()
    assert Client().get("/transparency/open-data/").status_code == 200
    call_command("opendata", "refresh")
    page = Client().get("/transparency/open-data/").content.decode()
    assert "service_counts.csv" in page and "CC-BY-4.0" in page
    download = Client().get("/transparency/open-data/files/service_counts.csv")
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    assert Client().get("/transparency/open-data/files/..%2Fsecret").status_code == 404
    assert Client().get("/transparency/open-data/files/csv-only.json").status_code == 404


def test_fees_collected_are_published_nationally_from_ten_payments_on(
    bd_pack: Pack, bd_service_pack: object, make_applications: MakeApplications, tmp_path: Path
) -> None:
    from decimal import Decimal

    from tests.transparency.conftest import NOW

    from govreach.cases.models import Payment

    apps = make_applications(ASHULIA, 12, days=10)
    for app in apps[:9]:
        Payment.objects.create(
            application=app, purpose="court_fee", amount=Decimal(20), currency="BDT", provider="demo",
            status=Payment.Status.PAID, paid_at=NOW,
        )  # fmt: skip

    def fees() -> dict[str, str]:
        out = opendata_export(out=tmp_path / "out", refresh=True)
        with (out / "spending.csv").open(encoding="utf-8") as handle:
            return next(r for r in csv.DictReader(handle) if r["item"] == "fees_collected")

    assert fees()["amount"] == "[c]"  # nine payments of Tk 20 would say how many paid
    Payment.objects.create(
        application=apps[9], purpose="court_fee", amount=Decimal(20), currency="BDT", provider="demo",
        status=Payment.Status.PAID, paid_at=NOW,
    )  # fmt: skip
    row = fees()
    assert row["amount"] == "200.0" and row["currency"] == "BDT" and row["quantity"] == "10"
