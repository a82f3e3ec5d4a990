"""The dry run of the two shipped rule changes agrees with a direct count over the same snapshot.

The direct count reads the registries with pyarrow and applies the tariff's rule by hand, with the
law's figures written here (not read from the pack), so it checks the versions' files as well as the
batch SQL. The snapshot has no record defects, so the tax number links every supply point the same way
the cycle would; linkage itself is tested in tests/entitlements.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.management import call_command

from govreach.packs.loader import load_pack
from govreach.policy.dryrun import DryRun, area_rollup, dry_run, published_summary
from govreach.population import generate_population
from govreach.population.defects import DefectRates
from govreach.rules.diff import DiffCounts

PACK_DIR = Path(__file__).resolve().parents[2] / "packs" / "pt-social-energy-tariff"
BEFORE_2020 = [
    "csi",
    "rsi",
    "unemployment",
    "abono_familia",
    "social_invalidity_pension",
    "social_old_age_pension",
]
WIDENED = [*BEFORE_2020, "psi_complement"]  # Decreto-Lei 100/2020


PSI_HOLDERS = 12


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1,500 households; the PSI complement (rare in the generator) is given to the holders of a dozen
    households well above the income limit, so that the 2020 widening reaches someone."""
    out = tmp_path_factory.mktemp("pt-snapshot")
    no_defects = DefectRates(0, 0, 0, 0, 0, 0, 0)
    generate_population(country="pt", households=1500, seed=21, out_dir=out, defects=no_defects)
    path = out / "registries" / "ss_benefits.parquet"
    benefits = pq.read_table(path)
    holders = [
        r for r in _rows(out, "at_household_income") if r["is_holder"] and r["household_income_eur"] > 12000
    ]
    added: dict[str, list[Any]] = {name: [] for name in benefits.schema.names}
    for i, person in enumerate(holders[:PSI_HOLDERS]):
        for name in added:
            added[name].append(person.get(name))
        added["record_id"][-1] = f"SS-PSI{i:05d}"
        added["niss"][-1] = f"9{i:010d}"
        added["benefit_code"][-1] = "psi_complement"
        added["monthly_amount_eur"][-1] = 120.0
        added["start_on"][-1] = dt.date(2021, 1, 15)
        added["end_on"][-1] = None
    pq.write_table(pa.concat_tables([benefits, pa.table(added, schema=benefits.schema)]), path)
    return out


def _rows(snapshot: Path, name: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = pq.read_table(snapshot / "registries" / f"{name}.parquet").to_pylist()
    return rows


def direct_grants(snapshot: Path, *, on: dt.date, limit_eur: float, benefits: list[str]) -> set[str]:
    """Supply points granted the electricity tariff on ``on``, counted straight from the registries."""
    household_of: dict[str, str] = {}
    household_income: dict[str, float] = {}
    member_income: dict[str, dict[str, float]] = {}
    for r in _rows(snapshot, "at_household_income"):
        hh = r["tax_household_id"]
        household_of.setdefault(r["national_id"], hh)
        household_income[hh] = max(household_income.get(hh, 0.0), r["household_income_eur"])
        member_income.setdefault(hh, {})[r["national_id"]] = r["income_eur"]
    receiving: set[str] = set()
    for r in _rows(snapshot, "ss_benefits"):
        if (
            r["start_on"] <= on
            and (r["end_on"] is None or r["end_on"] >= on)
            and r["benefit_code"] in benefits
        ):
            receiving.add(r["national_id"])
    granted: set[str] = set()
    for c in _rows(snapshot, "electricity_customers"):
        hh = household_of.get(c["national_id"])
        if hh is None:
            continue
        small_home = (
            c["is_own_name"] and c["is_domestic_use"] and c["is_permanent_home"]
            and c["voltage"] == "BTN" and c["power_kva"] <= 6.9
        )  # fmt: skip
        members = member_income[hh]
        without_income = sum(1 for income in members.values() if income == 0)
        household_limit = limit_eur * (1 + 0.5 * min(without_income, 10))
        has_benefit = any(nif in receiving for nif in members)
        if small_home and (has_benefit or household_income[hh] <= household_limit):
            granted.add(c["cpe"])
    return granted


def _area_of(snapshot: Path) -> dict[str, str]:
    return {c["cpe"]: c["area_code"] for c in _rows(snapshot, "electricity_customers")}


@pytest.mark.parametrize(
    ("from_version", "to_version", "on", "before", "after", "criterion"),
    [
        # The income limit raised from EUR 5,808 to EUR 6,272.64.
        ("0.9.0", "1.0.0", dt.date(2024, 7, 1), (5808, WIDENED), (6272.64, WIDENED), "low_household_income"),
        # Decreto-Lei 100/2020 widens the qualifying benefits.
        (
            "0.8.0",
            "0.9.0",
            dt.date(2021, 6, 1),
            (5808, BEFORE_2020),
            (5808, WIDENED),
            "receives_qualifying_benefit",
        ),
    ],
)
def test_gain_loss_report_matches_a_direct_count(
    snapshot: Path,
    from_version: str,
    to_version: str,
    on: dt.date,
    before: tuple[float, list[str]],
    after: tuple[float, list[str]],
    criterion: str,
) -> None:
    run = dry_run(
        before=load_pack(PACK_DIR, version=from_version),
        after=load_pack(PACK_DIR, version=to_version),
        registries=snapshot,
        on=on,
        level="district",
    )
    granted_before = direct_grants(snapshot, on=on, limit_eur=before[0], benefits=before[1])
    granted_after = direct_grants(snapshot, on=on, limit_eur=after[0], benefits=after[1])
    gains, losses = granted_after - granted_before, granted_before - granted_after
    assert gains, "the snapshot must hold someone the change reaches, or the test proves nothing"
    assert run.counts.granted_before == len(granted_before)
    assert run.counts.granted_after == len(granted_after)
    assert {c.unit_id for c in run.changes if c.change == "gain"} == gains
    assert {c.unit_id for c in run.changes if c.change == "loss"} == losses
    district = area_rollup(snapshot, "district")
    area_of = _area_of(snapshot)
    assert run.counts.gains_by_area == Counter(district[area_of[u]] for u in gains)
    assert run.counts.gains_by_criterion == Counter({criterion: len(gains)})
    value = 202.80  # the pack's valuation of one grant, EUR a year
    assert run.counts.cost_change_eur == pytest.approx((len(granted_after) - len(granted_before)) * value)


def test_published_summary_hides_small_cells_and_what_would_reveal_them() -> None:
    counts = DiffCounts(units=900, granted_before=200, granted_after=207)
    counts.gains_by_area.update({"PT-11": 4, "PT-13": 3})
    counts.gains_by_criterion.update({"low_household_income": 7})
    counts.value_before_eur = counts.value_after_eur = 202.8
    run = DryRun("pt-social-energy-tariff", "0.9.0", "1.0.0", dt.date(2024, 7, 1), "district", [], counts)
    summary = published_summary(run)
    assert summary["gains"] is None and summary["losses"] == 0
    # before + gains = after: publishing both totals, or the cost, would give the hidden count away.
    assert summary["granted_before"] == 200
    assert summary["granted_after"] is None and summary["cost_change_eur"] is None
    assert [row["gains"] for row in summary["by_area"]] == [None, None]
    assert summary["by_criterion"] == [{"criterion": "low_household_income", "gains": None, "losses": 0}]


def test_published_summary_shows_totals_of_ten_or_more() -> None:
    counts = DiffCounts(units=900, granted_before=200, granted_after=230)
    counts.gains_by_area.update({"PT-11": 25, "PT-13": 5})
    counts.gains_by_criterion.update({"low_household_income": 30})
    counts.value_before_eur = counts.value_after_eur = 200.0
    summary = published_summary(
        DryRun("pt-social-energy-tariff", "0.9.0", "1.0.0", dt.date(2024, 7, 1), "district", [], counts)
    )
    # PT-13 (5) is hidden; PT-11 is hidden too, or 30 - 25 would give PT-13 away; with two hidden
    # the total of 30 reveals neither.
    assert [row["gains"] for row in summary["by_area"]] == [None, None]
    assert summary["gains"] == 30 and summary["by_criterion"][0]["gains"] == 30
    assert summary["granted_after"] == 230 and summary["cost_change_eur"] == 6000.0


def test_rules_diff_command_writes_affected_units_for_review_and_prints_only_the_summary(
    snapshot: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "review"
    call_command(
        "rules", "diff", str(PACK_DIR), "--from", "0.9.0", "--to", "1.0.0",
        "--registries", str(snapshot), "--on", "2024-07-01", "--out", str(out),
    )  # fmt: skip
    printed = capsys.readouterr().out
    affected = (out / "affected_units.csv").read_text(encoding="utf-8").splitlines()
    assert affected[0].startswith("unit_id,area_code,change,criterion")
    assert len(affected) > 1
    unit_ids = [line.split(",")[0] for line in affected[1:]]
    assert not any(unit_id in printed for unit_id in unit_ids)
    assert "low_household_income" in printed and "0.9.0 -> 1.0.0" in printed
    assert (out / "summary.json").exists()
