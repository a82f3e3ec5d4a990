"""``govreach bench cycle``: one full cycle in a child process, its figures read back (a small population)."""

from __future__ import annotations

from pathlib import Path

from govreach.entitlements.bench import bench_cycle


def test_bench_cycle_reports_every_step_and_the_packs_write_setting(pt_population: Path) -> None:
    result = bench_cycle(households=300, seed=5, on="2025-01-01", registries=pt_population)

    assert result.units == sum(result.outcomes.values()) > 300
    assert set(result.steps) == {"read", "link", "facts", "decide", "compare", "write", "report"}
    assert all(seconds >= 0 for seconds in result.steps.values())
    assert result.cycle_seconds >= sum(result.steps.values())
    assert result.write_outcomes == "none"  # the Portuguese pack's own setting, not the benchmark's
    assert result.peak_bytes > 50 * 2**20 and result.cpu_seconds > 0 and result.baseline_seconds > 0
    assert result.generated_seconds is None  # reused the population


def test_bench_cycle_can_put_the_changes_in_the_database(pt_population: Path) -> None:
    result = bench_cycle(
        households=300, seed=5, on="2025-01-01", registries=pt_population, outcomes="changes"
    )

    assert result.write_outcomes == "changes"
    assert result.outcomes["new_grant"] > 0
