"""A pack described for people and clients: the same facts on the page and in the API."""

from __future__ import annotations

import datetime as dt

from govreach.catalogue import describe
from govreach.packs.loader import Pack


def test_parameters_on_a_date_carry_the_value_in_force_and_its_law(pt_pack: Pack) -> None:
    by_name = {p.name: p for p in describe.parameters_on(pt_pack, dt.date(2015, 10, 1), "en")}
    assert by_name["income_limit_eur"].value == 5280
    assert by_name["income_limit_eur"].valid_from == dt.date(2015, 8, 1)
    assert by_name["income_limit_eur"].reference == "Decreto-Lei 138-A/2010, art. 2 (as amended)"
    assert by_name["income_limit_eur"].unit == "EUR"
    later = {p.name: p for p in describe.parameters_on(pt_pack, dt.date(2021, 6, 1), "en")}
    assert later["qualifying_benefits"].reference == "Decreto-Lei 100/2020"


def test_a_parameter_before_its_first_value_is_not_in_force(pt_pack: Pack) -> None:
    by_name = {p.name: p for p in describe.parameters_on(pt_pack, dt.date(2000, 1, 1), "en")}
    assert not by_name["power_limit_kva"].is_in_force
    assert by_name["power_limit_kva"].value is None


def test_decisions_list_the_main_one_first_with_its_criteria(pt_pack: Pack) -> None:
    decisions = describe.decisions_of(pt_pack, "pt")
    assert next(d.id for d in decisions) == "eligible"
    assert decisions[0].is_main
    ids = [c.id for c in decisions[0].flat()]
    assert ids[:3] == ["eligible", "small_domestic_contract", "contract_in_own_name"]
    titles = {c.id: c.title for c in decisions[0].flat()}
    assert titles["low_household_income"] == "Rendimento baixo"


def test_unit_json_schema_nests_dotted_facts_and_lists_members(pt_pack: Pack) -> None:
    schema = describe.unit_json_schema(pt_pack.ruleset.inputs)
    contract = schema["properties"]["contract"]
    assert contract["type"] == "object"
    assert contract["additionalProperties"] is False
    power = contract["properties"]["power_kva"]
    assert {"type": "number"} in power["anyOf"]
    assert "kVA" in power["description"]
    voltage = contract["properties"]["voltage"]["anyOf"][0]
    assert voltage == {"type": "string", "enum": ["BTN", "BTE", "MT"]}
    member = schema["properties"]["members"]["items"]
    assert member["properties"]["benefits"]["anyOf"][0]["type"] == "array"
