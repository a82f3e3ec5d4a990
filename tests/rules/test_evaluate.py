import datetime as dt

import pytest
from tests.rules.factories import make_ruleset

from govreach.rules.evaluate import age_on, evaluate_unit, exact_sum
from govreach.rules.inputs import UnitInputError

ON = dt.date(2016, 3, 1)


def unit(**overrides):  # type: ignore[no-untyped-def]
    base = {
        "income_eur": 5000,
        "head": {"birth_date": "1940-03-01"},
        "lives_alone": True,
        "region": "north",
        "rooms": 2,
        "members": [{"earnings_eur": 0, "birth_date": "1940-03-01", "benefits": ["csi"]}],
    }
    base.update(overrides)
    return base


def test_parameter_in_force_on_the_decision_date_is_used() -> None:
    rs = make_ruleset(when={"low_income": "income_eur <= limit_eur"})
    assert evaluate_unit(rs, unit(income_eur=5280), on=dt.date(2015, 10, 1)).outcome is False
    result = evaluate_unit(rs, unit(income_eur=5280), on=dt.date(2016, 1, 1))
    assert result.outcome is True
    [param] = result.parameters
    assert (param.name, param.value, param.valid_from, param.reference) == (
        "limit_eur",
        5808.0,
        dt.date(2016, 1, 1),
        "Act 2/2016",
    )


def test_trace_records_outcome_values_and_reason_of_every_criterion() -> None:
    rs = make_ruleset(
        when={"low_income": "income_eur <= limit_eur", "alone": "lives_alone"},
    )
    result = evaluate_unit(rs, unit(lives_alone=False), on=ON)
    assert result.outcome is False
    by_id = {c.id: c for c in result.criteria}
    assert by_id["low_income"].outcome is True
    assert by_id["low_income"].values == {"income_eur": 5000.0, "limit_eur": 5808.0}
    assert by_id["alone"].outcome is False
    assert by_id["eligible"].kind == "all"
    assert result.to_dict()["criteria"][1]["values"]["limit_eur"] == 5808.0


def test_age_counts_completed_years_on_the_decision_date() -> None:
    assert age_on(dt.date(1941, 3, 1), ON) == 75
    assert age_on(dt.date(1941, 3, 2), ON) == 74
    # born on 29 February: a year older only from 1 March in common years
    assert age_on(dt.date(2000, 2, 29), dt.date(2017, 2, 28)) == 16
    assert age_on(dt.date(2000, 2, 29), dt.date(2017, 3, 1)) == 17


def test_missing_fact_makes_a_criterion_unknown_and_kleene_logic_decides() -> None:
    rs = make_ruleset(when={"low_income": "income_eur <= limit_eur", "alone": "lives_alone"}, mode="any")
    result = evaluate_unit(rs, unit(income_eur=None, lives_alone=True), on=ON)
    assert result.outcome is True  # unknown or true = true
    result = evaluate_unit(rs, unit(income_eur=None, lives_alone=False), on=ON)
    assert result.outcome is None  # unknown or false = unknown
    assert "income_eur" in result.missing
    group = next(c for c in result.criteria if c.id == "eligible")
    assert group.explanation == "We do not have the information to check this: income_eur."


def test_aggregates_skip_members_whose_condition_is_unknown() -> None:
    rs = make_ruleset(
        when={"c": "count(members where earnings_eur == 0) == 1"},
        outputs={"total": "sum(earnings_eur for members)", "youngest": "max(birth_date for members)"},
    )
    members = [
        {"earnings_eur": 0, "birth_date": "1950-01-01", "benefits": []},
        {"earnings_eur": None, "birth_date": "1990-05-05", "benefits": []},
        {"earnings_eur": 100.1, "birth_date": None, "benefits": []},
    ]
    result = evaluate_unit(rs, unit(members=members), on=ON)
    assert result.outcome is True
    assert result.outputs == {"total": 100.1, "youngest": dt.date(1990, 5, 5)}


def test_sums_do_not_depend_on_the_order_of_members() -> None:
    values = [0.1, 0.2, 0.3, 1e6 + 0.01]
    assert exact_sum(values) == exact_sum(list(reversed(values))) == 1000000.61


def test_division_by_zero_is_unknown_not_a_crash() -> None:
    rs = make_ruleset(when={"c": "income_eur / rooms > 1"})
    assert evaluate_unit(rs, unit(rooms=0), on=ON).outcome is None


def test_because_text_fills_in_values() -> None:
    from dataclasses import replace

    rs = make_ruleset(when={"low_income": "income_eur <= limit_eur"})
    root = rs.decisions["eligible"].root
    leaf = replace(root.children[0], because={"en": "Income {income_eur} EUR is within {limit_eur} EUR."})
    rs = replace(
        rs, decisions={"eligible": replace(rs.decisions["eligible"], root=replace(root, children=(leaf,)))}
    )
    rs.check()
    result = evaluate_unit(rs, unit(income_eur=4999.5), on=ON)
    assert result.criteria[1].explanation == "Income 4999.5 EUR is within 5808 EUR."


def test_bad_input_lists_every_problem_with_its_field() -> None:
    rs = make_ruleset(when={"c": "rooms > 1"})
    with pytest.raises(UnitInputError) as err:
        evaluate_unit(
            rs,
            unit(rooms="two", region="east", incme_eur=3, members=[{"birth_date": "1940-31-01"}]),
            on=ON,
        )
    fields = {p.field: p.message for p in err.value.problems}
    assert fields["rooms"] == "expected a whole number"
    assert "'east' is not one of: north, south" in fields["region"]
    assert "did you mean 'income_eur'" in fields["incme_eur"]
    assert fields["members[0].birth_date"] == "expected a date as YYYY-MM-DD"


def test_no_value_in_force_before_the_first_date_is_a_clear_error() -> None:
    from govreach.rules.errors import RuleError

    rs = make_ruleset(when={"c": "income_eur <= limit_eur"})
    with pytest.raises(RuleError, match="no value in force on 2014-12-31"):
        evaluate_unit(rs, unit(), on=dt.date(2014, 12, 31))
