import pytest
from tests.rules.factories import make_ruleset

from govreach.rules.errors import RuleNameError, RuleTypeError


def problems_of(**kwargs):  # type: ignore[no-untyped-def]
    rs = make_ruleset(**kwargs)
    return rs.check()


def test_a_sound_rule_set_has_no_problems() -> None:
    assert (
        problems_of(
            when={
                "low_income": "income_eur <= limit_eur * (1 + 0.5 * min(without_income, 10))",
                "old": "age(head.birth_date) >= min_age",
                "benefit": "any(members where has_any(benefits, qualifying))",
            },
            definitions={"without_income": "count(members where earnings_eur == 0)"},
        )
        == []
    )


def test_unknown_name_suggests_the_nearest_known_one() -> None:
    [(where, err)] = problems_of(when={"c": "incme_eur <= 3"})
    assert where == ("decisions", "eligible", "c")
    assert isinstance(err, RuleNameError)
    assert "unknown name 'incme_eur'" in err.message
    assert err.fix is not None and "'income_eur'" in err.fix


def test_unknown_name_without_close_match_lists_the_names_that_exist() -> None:
    [(_, err)] = problems_of(when={"c": "zzz > 1"})
    assert err.fix is not None and "known names:" in err.fix and "income_eur" in err.fix


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("income_eur + head.birth_date > 1", "works on numbers"),
        ("region > 3", "comparing a text with a integer"),
        ("lives_alone and income_eur", "'and' joins conditions"),
        ("income_eur", "must be a condition"),
        ('"csi" in region', "needs a list on its right"),
        ("count(members where earnings_eur) > 1", "'where' needs a condition"),
        ("any(members where count(members) > 1)", "cannot be nested"),
        ("age(income_eur) > 3", "age takes a birth date"),
    ],
)
def test_type_errors_are_caught_when_the_pack_loads(text: str, message: str) -> None:
    [(_, err)] = problems_of(when={"c": text})
    assert isinstance(err, RuleTypeError)
    assert message in err.message


def test_member_fact_outside_an_aggregate_says_how_to_use_it() -> None:
    [(_, err)] = problems_of(when={"c": "earnings_eur > 0"})
    assert "member's fact" in err.message
    assert err.fix is not None and "any(members where earnings_eur" in err.fix


def test_a_definition_used_before_it_is_defined_is_refused() -> None:
    problems = problems_of(when={"c": "a > 0"}, definitions={"a": "b + 1", "b": "rooms * 2"})
    assert any("defined later" in str(err) for _, err in problems)


def test_duplicate_criterion_ids_are_refused() -> None:
    rs = make_ruleset(when={"c": "rooms > 1"})
    from dataclasses import replace

    root = rs.decisions["eligible"].root
    doubled = replace(rs.decisions["eligible"], root=replace(root, children=root.children * 2))
    rs2 = replace(rs, decisions={"eligible": doubled}, types={})
    assert any("used twice" in str(err) for _, err in rs2.check())
