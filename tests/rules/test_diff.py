"""Naming a change between two versions: gain or loss, and the criterion that made it."""

from __future__ import annotations

from collections import Counter

from govreach.rules.diff import RULES_CHANGED, UnitChange, change_of, count_changes, deciding_criterion


def test_an_undetermined_decision_counts_as_not_granted() -> None:
    assert change_of(None, True) == "gain"
    assert change_of(True, None) == "loss"
    assert change_of(False, True) == "gain" and change_of(True, False) == "loss"
    assert change_of(None, False) is None and change_of(True, True) is None


def test_the_deciding_criterion_is_the_first_leaf_whose_value_differs() -> None:
    leaves = ["own_name", "receives_benefit", "low_income"]
    before = {"own_name": True, "receives_benefit": False, "low_income": False}
    assert deciding_criterion(leaves, before, {**before, "low_income": True}) == "low_income"
    assert deciding_criterion(leaves, before, {**before, "receives_benefit": True, "low_income": True}) == (
        "receives_benefit"
    )
    # A criterion only one version has differs by definition; nothing differing names the rules.
    assert deciding_criterion([*leaves, "new_test"], before, {**before, "new_test": True}) == "new_test"
    assert deciding_criterion(leaves, before, dict(before)) == RULES_CHANGED


def test_changes_are_counted_by_rolled_up_area_and_by_criterion() -> None:
    changes = [
        UnitChange("a", "PT-110101", "gain", "low_income"),
        UnitChange("b", "PT-110102", "gain", "low_income"),
        UnitChange("c", "PT-030101", "loss", "receives_benefit"),
    ]
    area_of = {"PT-110101": "PT-11", "PT-110102": "PT-11", "PT-030101": "PT-03"}
    counts = count_changes(changes, units=10, granted_before=4, granted_after=5, area_of=area_of)
    assert counts.gains_by_area == Counter({"PT-11": 2}) and counts.losses_by_area == Counter({"PT-03": 1})
    assert counts.gains_by_criterion == Counter({"low_income": 2})
    counts.value_before_eur, counts.value_after_eur = 200.0, 210.0
    assert counts.cost_change_eur == 5 * 210.0 - 4 * 200.0
