"""The proactive cycle on DuckDB: linking, grants and ends across cycles, refusal, idempotence, report."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest

from govreach.entitlements.models import Cycle, CycleOutcome, Entitlement
from govreach.entitlements.selectors import (
    cycle_mismatches,
    cycle_outcome,
    cycle_outcomes_arrow,
    cycle_outcomes_query,
)
from govreach.entitlements.services import entitlement_refuse

from .conftest import FIRST_ON, SECOND_ON, edit_registry, query, snapshot

pytestmark = pytest.mark.django_db

RunCycle = Callable[..., Cycle]


def _outcome(unit: str, cycle: Cycle) -> SimpleNamespace:
    """A unit's outcome from the cycle's store, where every unit's is (the database has only changes)."""
    found = cycle_outcome(cycle, unit)
    assert found is not None, f"{unit} has no outcome in cycle {cycle.pk}"
    return SimpleNamespace(**found)


def test_customer_without_tax_number_links_by_address_and_every_mismatch_kind_is_recorded(
    registries: Path, run_cycle: RunCycle
) -> None:
    # A customer whose tax number is known: erase it, and give another an unknown tax number.
    (record, cpe, nif), (other_record, other_cpe, _) = query(
        registries,
        "SELECT c.record_id, c.cpe, c.national_id FROM '{r}/electricity_customers.parquet' c "
        "JOIN '{r}/at_household_income.parquet' t USING (national_id, given_name, family_name, address, postcode) "
        "WHERE (SELECT count(*) FROM '{r}/electricity_customers.parquet' d WHERE d.cpe = c.cpe) = 1 "
        "ORDER BY c.record_id LIMIT 2",
    )
    household = query(
        registries,
        f"SELECT tax_household_id FROM '{{r}}/at_household_income.parquet' WHERE national_id = '{nif}'",
    )
    edit_registry(
        registries,
        "electricity_customers",
        "SELECT * REPLACE (CASE WHEN record_id = '"
        + record
        + "' THEN NULL WHEN record_id = '"
        + other_record
        + "' THEN '999999990' ELSE national_id END AS national_id) FROM src",
    )
    cycle = run_cycle()

    [erased] = [m for m in cycle_mismatches(cycle, supply_point_code=cpe) if m["kind"] == "no_tax_number"]
    assert erased["record_id"] == record
    assert erased["link_method"] == "address_and_name"
    assert erased["tax_household_id"] == household[0][0]
    assert erased["is_carried"] is False
    assert _outcome(cpe, cycle).household_key == household[0][0]
    [unknown] = [
        m for m in cycle_mismatches(cycle, supply_point_code=other_cpe) if m["kind"] == "unknown_tax_number"
    ]
    assert unknown["record_id"] == other_record
    assert unknown["link_method"] in ("address_and_name", "address")
    assert _outcome(other_cpe, cycle).household_key
    everything = cycle_mismatches(cycle)
    assert {m["cpe"] for m in everything} > {cpe, other_cpe}
    assert [m["cpe"] for m in everything] == sorted(m["cpe"] for m in everything)
    kinds = {m["kind"] for m in everything}
    assert {
        "no_tax_number",
        "unknown_tax_number",
        "address_mismatch",
        "name_mismatch",
        "duplicate_supply_point",
    } <= kinds
    assert cycle.report["links"]["tax_number"] > 0.8 * cycle.report["units"]


def _income_only_grant(cycle: Cycle) -> Entitlement:
    """A granted household eligible by income alone (nobody receives a qualifying benefit)."""
    for entitlement in Entitlement.objects.filter(granted_in=cycle).order_by("unit_key"):
        criteria = entitlement.last_decision["criteria"]
        if criteria["low_household_income"] and criteria["receives_qualifying_benefit"] is False:
            return entitlement
    raise AssertionError("no household granted on income alone in this population")


def _raise_income(registries: Path, household: str, *, new_tax_year: bool) -> None:
    year = "2025" if new_tax_year else "tax_year"
    edit_registry(
        registries,
        "at_household_income",
        f"SELECT * REPLACE (CASE WHEN tax_household_id = '{household}' THEN 90000.0 ELSE income_eur END AS income_eur,"
        f" CASE WHEN tax_household_id = '{household}' THEN 90000.0 * members_count ELSE household_income_eur END"
        f" AS household_income_eur, CAST({year} AS SMALLINT) AS tax_year) FROM src",
    )


def test_household_whose_income_rises_is_ended_with_the_failing_criterion(
    registries: Path, run_cycle: RunCycle
) -> None:
    first = run_cycle(FIRST_ON)
    entitlement = _income_only_grant(first)
    granted = set(Entitlement.objects.filter(status="active").values_list("unit_key", flat=True))
    _raise_income(registries, entitlement.household_key, new_tax_year=True)

    second = run_cycle(SECOND_ON)

    entitlement.refresh_from_db()
    assert entitlement.status == "ended"
    assert entitlement.ended_in == second
    assert entitlement.valid_to == SECOND_ON - dt.timedelta(days=1)
    assert entitlement.end_reason == "economic_vulnerability"
    outcome = _outcome(entitlement.unit_key, second)
    assert outcome.outcome == "ended"
    assert "low_household_income" in outcome.failing_criteria.split(",")
    continuing = {
        r["unit_key"]
        for r in cycle_outcomes_query(second, "SELECT unit_key FROM outcomes WHERE outcome = 'continuing'")
    }
    assert continuing == granted - {entitlement.unit_key}
    assert second.report["tax_authority_rechecked"] == second.report["units"]


def test_unchanged_contracts_keep_the_previous_tax_facts_within_a_tax_year(
    registries: Path, run_cycle: RunCycle
) -> None:
    first = run_cycle(FIRST_ON)
    entitlement = _income_only_grant(first)
    _raise_income(registries, entitlement.household_key, new_tax_year=False)

    second = run_cycle(SECOND_ON)

    # Monthly strategy: only new or changed contracts go to the tax authority; this one did not change.
    assert _outcome(entitlement.unit_key, second).outcome == "continuing"
    assert second.report["tax_authority_rechecked"] < second.report["units"] * 0.2


def test_refusal_is_never_overturned_by_a_later_cycle(run_cycle: RunCycle) -> None:
    first = run_cycle(FIRST_ON)
    entitlement = Entitlement.objects.filter(granted_in=first).order_by("unit_key").first()
    assert entitlement is not None
    entitlement_refuse(entitlement=entitlement, channel="sms")

    second = run_cycle(SECOND_ON)

    assert _outcome(entitlement.unit_key, second).outcome == "refused_kept"
    rows = Entitlement.objects.filter(unit_key=entitlement.unit_key)
    assert [(e.status, e.refusal_channel) for e in rows] == [("refused", "sms")]
    assert second.report["outcomes"]["refused_kept"] == 1


def test_running_the_same_cycle_twice_changes_nothing(run_cycle: RunCycle) -> None:
    run_cycle(FIRST_ON)
    before = snapshot()

    again = run_cycle(FIRST_ON)
    assert snapshot() == before

    # Even the write step itself, replayed from its first batch, leaves every table as it was.
    again.status = Cycle.Status.RUNNING
    again.steps.pop("report")
    again.steps["write"] = {"seconds": 0.0, "batch_rows": 40}
    again.save()
    run_cycle(FIRST_ON)
    assert snapshot() == before


@pytest.mark.parametrize("outcome_rows", ["none", "changes", "all"])
def test_report_counts_add_up(run_cycle: RunCycle, outcome_rows: str) -> None:
    cycle = run_cycle(FIRST_ON, outcomes=outcome_rows)
    report = cycle.report

    in_store = Counter(r["outcome"] for r in cycle_outcomes_arrow(cycle, ["outcome"]).to_pylist())
    assert sum(report["outcomes"].values()) == report["units"] == sum(in_store.values())
    assert dict(in_store) == report["outcomes"]
    # write.outcomes: which outcome rows the database holds besides the store.
    in_database = Counter(CycleOutcome.objects.filter(cycle=cycle).values_list("outcome", flat=True))
    kept = {"none": (), "changes": ("new_grant", "ended"), "all": tuple(report["outcomes"])}[outcome_rows]
    assert dict(in_database) == {k: n for k, n in report["outcomes"].items() if k in kept}
    assert cycle.steps["write"]["outcomes"] == outcome_rows
    assert sum(sum(per.values()) for per in report["by_area"].values()) == report["units"]
    assert sum(report["links"].values()) == report["units"]
    stored = Counter(m["kind"] for m in cycle_mismatches(cycle))
    assert dict(stored) == report["mismatches"]
    assert report["outcomes"]["new_grant"] == Entitlement.objects.filter(status="active").count()
    assert cycle.counts == report["outcomes"]
    assert set(cycle.steps) == {"read", "link", "facts", "decide", "compare", "write", "report"}


def test_every_linked_household_the_truth_file_calls_eligible_is_granted(
    registries: Path, run_cycle: RunCycle
) -> None:
    cycle = run_cycle(FIRST_ON)
    truth = (
        duckdb.connect()
        .sql(
            f"SELECT cpe FROM '{registries}/truth/pt_expected_eligibility.parquet' WHERE is_electricity_eligible"
        )
        .fetchall()
    )
    eligible = {cpe for (cpe,) in truth}
    linked = {
        r["unit_key"]
        for r in cycle_outcomes_query(
            cycle, "SELECT unit_key FROM outcomes WHERE coalesce(household_key, '') <> ''"
        )
    }
    granted = set(Entitlement.objects.filter(status="active").values_list("unit_key", flat=True))

    assert len(eligible & linked) > 20
    assert eligible & linked <= granted
    assert len(linked) > 0.95 * cycle.report["units"]


class _Recorded:
    """A progress bar that remembers each step's announced total and what it advanced."""

    def __init__(self) -> None:
        self.totals: dict[str, int | None] = {}
        self.done: Counter[str] = Counter()
        self.current = ""

    def step(self, name: str, total: int | None = None) -> None:
        self.current = name
        self.totals[name] = total

    def advance(self, rows: int) -> None:
        self.done[self.current] += rows


def test_the_progress_bar_of_every_step_ends_full(run_cycle: RunCycle) -> None:
    progress = _Recorded()
    run_cycle(FIRST_ON, progress=progress, batch_rows=25)

    assert list(progress.totals) == ["read", "link", "facts", "decide", "compare", "write", "report"]
    sized = {name: total for name, total in progress.totals.items() if total is not None}
    assert set(sized) == {"read", "link", "facts", "decide", "compare", "write"}
    assert {name: progress.done[name] for name in sized} == sized
    assert sized["write"] > 25  # the grants, in several batches
