"""The cycle's named SQL steps, written once for DuckDB and Spark SQL (differences in ``SqlDialect``).

Each step is a list of ``(table, SELECT)`` pairs run in order; a step is checkpointed when all its
tables exist, so a restarted cycle resumes after the last finished step. No value from a person ever
reaches the SQL text: only table names, pack constants and the cycle date.
"""

# SQL text is built here from table names, pack constants and the cycle date only (no person's value),
# and reads best as the analyst would write it: long lines stay.
# ruff: noqa: S608, E501

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from govreach.entitlements.config import CycleConfig
from govreach.entitlements.engines import SqlDialect, free, view
from govreach.rules import compile_batch
from govreach.rules.compile import column_for_criterion, column_for_decision
from govreach.rules.diff import leaf_ids
from govreach.rules.model import Criterion, Group, Node, RuleSet

_ACCENTED = "áàâãäéèêëíìîïóòôõöúùûüçñ"
_PLAIN = "aaaaaeeeeiiiiooooouuuucn"

STEP_NAMES = ("read", "link", "facts", "decide", "compare", "write", "report")


@dataclass(frozen=True)
class StepContext:
    """Everything a step's SQL depends on: the rules, the cycle date, the previous cycle and the config."""

    ruleset: RuleSet
    config: CycleConfig
    decided_on: dt.date
    previous_on: dt.date | None
    dialect: SqlDialect
    cycle_id: int = 0
    pack_id: str = ""
    # Pilots (govreach.policy, issue 9): another version of the rules decides the units of these area
    # codes (the pilot's areas and every area below them). Same decisions and criteria as ``ruleset``.
    pilots: tuple[tuple[RuleSet, tuple[str, ...]], ...] = ()


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _date(value: dt.date) -> str:
    return f"DATE '{value.isoformat()}'"


def _fold(d: SqlDialect, value: str) -> str:
    return f"translate(lower({value}), '{_ACCENTED}', '{_PLAIN}')"


def _abbreviations(config: CycleConfig) -> list[tuple[str, str]]:
    """``(token, long form)`` of the configured abbreviations, in the order they are tried."""
    out: list[tuple[str, str]] = []
    for short, long in sorted(config.linkage.abbreviations.items()):
        token = short.strip(".").lower()
        if token and token.isalnum():
            out.append((token, long))
    return out


def address_part_keys(d: SqlDialect, tables: tuple[str, ...], config: CycleConfig) -> str:
    """``(part, part_key)`` for each distinct comma part of the addresses in ``tables`` (a column ``address``).

    An address key is made of the first ``address_parts`` comma parts (street and door number): each
    part lower case, without accents, every run of other characters than letters and digits turned into
    one space and trimmed. Such a part has far fewer distinct values than the addresses (a street, a door
    number), so the string work is done once per part here, and :func:`address_key_sql` puts the key
    of each record together from its parts (the same key as treating the parts as one string).
    """
    count = max(config.linkage.address_parts, 1)
    selects = [
        f"SELECT {d.explode_first(d.comma_parts('address'), count)} AS part FROM {table} WHERE address IS NOT NULL"
        for table in tables
    ]
    key = f"trim({d.replace_all(_fold(d, 'part'), '[^a-z0-9]+', ' ')})"
    return (
        f"SELECT part, {key} AS part_key FROM (SELECT DISTINCT part FROM ({' UNION ALL '.join(selects)}) u) p"
    )


def address_key_joins(d: SqlDialect, table: str, config: CycleConfig) -> str:
    """Joins of the parts of ``table``'s address (a column ``address_parts``, :meth:`SqlDialect.comma_parts`
    of it) to their keys in ``tmp_address_parts`` (aliases ``ap1``, ...)."""
    return " ".join(
        f"LEFT JOIN tmp_address_parts ap{i} ON ap{i}.part = {d.item(f'{table}.address_parts', i)}"
        for i in range(1, max(config.linkage.address_parts, 1) + 1)
    )


def address_key_sql(table: str, config: CycleConfig) -> str:
    """The address key of ``table``'s address from its joined parts: the non-empty part keys joined by a
    space (the key of the parts as one string), a leading abbreviation expanded; NULL without address."""
    keys = ", ".join(
        f"nullif(ap{i}.part_key, '')" for i in range(1, max(config.linkage.address_parts, 1) + 1)
    )
    return f"CASE WHEN {table}.address IS NOT NULL THEN concat_ws(' ', {keys}) END"


def _expand_abbreviations(column: str, config: CycleConfig) -> str:
    """A leading ``<token> `` of ``column`` replaced by its long form, the first rule that matches winning."""
    rules = _abbreviations(config)
    tokens = [token for token, _ in rules]
    if any(long.split(" ")[0].lower() in tokens[i + 1 :] for i, (_, long) in enumerate(rules)):
        # A long form starting with a later token would be expanded again by the chain: keep the chain.
        x = column
        for token, long in rules:
            x = f"regexp_replace({x}, '^{token} ', {_lit(long + ' ')})"
        return x
    if not rules:
        return column
    whens = " ".join(
        f"WHEN {column} LIKE '{token} %' THEN concat({_lit(long)}, substr({column}, {len(token) + 1}))"
        for token, long in rules
    )
    return f"CASE {whens} ELSE {column} END"


def postcode_key(value: str, config: CycleConfig) -> str:
    return f"substr({value}, 1, {int(config.linkage.postcode_digits)})"


def name_joins(table: str, given: str, family: str) -> str:
    """Joins of ``table``'s given and family names to their keys in ``name_parts``."""
    return (
        f"LEFT JOIN name_parts {given} ON {given}.part = {table}.given_name "
        f"LEFT JOIN name_parts {family} ON {family}.part = {table}.family_name"
    )


def joined_name_key(given: str, family: str) -> str:
    """``name_key`` of a person from the keys of the joined name parts (a missing part adds nothing)."""
    return f"concat(coalesce({given}.part_key, ''), coalesce({family}.part_key, ''))"


def name_part_key(d: SqlDialect, value: str) -> str:
    """The name key of one name part: the name key of a person is that of the given then family name."""
    return d.replace_all(_fold(d, value), "[^a-z]", "")


def _text(d: SqlDialect, value: str) -> str:
    return f"coalesce(CAST({value} AS {d.text()}), '')"


# -- (b) link ---------------------------------------------------------------------------------------------
# Tables named ``tmp_*`` are a step's scratch (see engines.SCRATCH_PREFIX): no later step reads them, so
# the DuckDB engine keeps them out of the cycle's file. A later step reads only the tables without that
# prefix (tested), which stay durable for a resumed cycle.
def link_tables(ctx: StepContext) -> list[tuple[str, str]]:
    """Customers to tax households: tax number first, then address and name, then address alone.

    Every name and address is normalised once per distinct value, and each address key gets a number
    (equal keys, equal numbers), so the tax records (the largest registry) are read once into a narrow
    scratch table. Each supply point's first listing and each tax number's first record are picked
    by an aggregate, not by ranking every row; only the supply points whose tax number the tax authority
    does not know go through the address rules, and a tax-number link's address is checked against its
    own tax record first and against the rest of the household only when that one differs.
    """
    d, cfg = ctx.dialect, ctx.config
    tax_year = "(SELECT max(tax_year) FROM src_tax)"
    # Names and addresses are normalised once per distinct value, then looked up by each record.
    parts = " UNION ".join(
        f"SELECT {column} AS part FROM {table}"
        for table in ("src_tax", "src_customers", "src_ss")
        for column in ("given_name", "family_name")
    )
    name_parts = (
        f"SELECT part, {name_part_key(d, 'part')} AS part_key FROM ({parts}) p WHERE part IS NOT NULL"
    )
    address_parts = address_part_keys(d, ("src_tax", "src_customers"), cfg)
    abbreviated = _expand_abbreviations("c.address_key", cfg)
    tax = f"""
        SELECT record_id, national_id, tax_household_id, income_eur, household_income_eur, birth_date,
               {abbreviated} AS address_key, postcode_key, name_key FROM (
            SELECT t.record_id, t.national_id, t.tax_household_id, t.income_eur, t.household_income_eur,
                   t.birth_date, {address_key_sql("t", cfg)} AS address_key,
                   {postcode_key("t.postcode", cfg)} AS postcode_key, {joined_name_key("g", "f")} AS name_key
            FROM (SELECT *, {d.comma_parts("address")} AS address_parts FROM src_tax) t
            {address_key_joins(d, "t", cfg)} {name_joins("t", "g", "f")}) c"""
    # The first tax record (by record id) of each tax number: its household, name and address; only the
    # tax numbers some registry looks up (customers here, social security and gas in the facts step).
    looked_up = "SELECT national_id FROM src_ss"
    if cfg.registries.gas_customers:
        looked_up += " UNION SELECT national_id FROM src_gas"
    first = ", ".join(
        f"{d.first_by(column, 'record_id')} AS {column}"
        for column in ("tax_household_id", "name_key", "address_key", "postcode_key")
    )
    nif_all = f"""
        SELECT national_id, {first} FROM tmp_tax
        WHERE national_id IN (SELECT national_id FROM src_customers UNION {looked_up})
        GROUP BY national_id"""
    nif_index = f"""
        SELECT n.national_id, n.tax_household_id, n.name_key FROM tmp_nif n
        JOIN ({looked_up}) s ON s.national_id = n.national_id"""
    fields = cfg.strategy.contract_fields or ["national_id", "address", "postcode", "power_kva"]
    # concat of the fields and separators (each field coalesced, so the same text as concat_ws('|', ...)).
    fingerprint = "md5(concat(" + ", '|', ".join(_text(d, f"c.{f}") for f in fields) + "))"
    # A supply point listed more than once is decided on one listing: a known tax number first, then
    # any tax number, then the lowest record id (the rank letter sorts before the record id). Only the
    # few supply points listed more than once are ranked.
    listings = "SELECT cpe, count(*) AS listings FROM src_customers GROUP BY cpe"
    rank = "CASE WHEN n.national_id IS NOT NULL THEN '0' WHEN c.national_id IS NOT NULL THEN '1' ELSE '2' END"
    repeated = f"""
        SELECT c.cpe, min_by(c.record_id, concat({rank}, c.record_id)) AS record_id
        FROM src_customers c JOIN tmp_listings l ON l.cpe IS NOT DISTINCT FROM c.cpe AND l.listings > 1
        LEFT JOIN tmp_nif n ON n.national_id = c.national_id
        GROUP BY c.cpe"""
    first_listings = """
        SELECT c.* FROM src_customers c LEFT JOIN tmp_repeated r ON r.cpe IS NOT DISTINCT FROM c.cpe
        WHERE r.record_id IS NULL OR r.record_id = c.record_id"""
    # The other listings of a supply point listed more than once.
    duplicates = """
        SELECT c.record_id, c.cpe, c.supplier_id FROM src_customers c
        JOIN tmp_repeated r ON r.cpe IS NOT DISTINCT FROM c.cpe WHERE c.record_id <> r.record_id"""
    customers = f"""
        SELECT c.record_id, c.national_id, c.supplier_id, c.cpe, c.area_code, c.power_kva, c.voltage,
               c.is_domestic_use, c.is_own_name, c.is_permanent_home, c.fingerprint, {abbreviated} AS address_key,
               c.postcode_key, c.name_key,
               n.national_id IS NOT NULL AS is_nif_known, n.tax_household_id AS nif_household,
               n.name_key AS nif_name_key, n.address_key AS nif_address_key, n.postcode_key AS nif_postcode_key
        FROM (
            SELECT c.record_id, c.national_id, c.supplier_id, c.cpe, c.area_code, c.power_kva, c.voltage,
                   c.is_domestic_use, c.is_own_name, c.is_permanent_home, {fingerprint} AS fingerprint,
                   {address_key_sql("c", cfg)} AS address_key, {postcode_key("c.postcode", cfg)} AS postcode_key,
                   {joined_name_key("g", "f")} AS name_key
            FROM (SELECT *, {d.comma_parts("address")} AS address_parts FROM ({first_listings}) f) c
            {address_key_joins(d, "c", cfg)} {name_joins("c", "g", "f")}) c
        LEFT JOIN tmp_nif n ON n.national_id = c.national_id"""
    same = "p.cpe = c.cpe AND p.fingerprint = c.fingerprint AND p.link_method IS NOT NULL"
    if cfg.strategy.recheck_all_on_new_tax_year:
        same += f" AND p.tax_year = {tax_year}"
    if cfg.strategy.tax_authority == "every_cycle":
        same += " AND 1 = 0"
    # A supply point a reviewer linked by hand is always re-read, so the correction takes effect at once.
    contracts = f"""
        SELECT c.*, p.cpe IS NULL OR m.cpe IS NOT NULL AS is_rechecked
        FROM ({customers}) c
        LEFT JOIN prev_links p ON {same}
        LEFT JOIN manual_links m ON m.cpe = c.cpe"""
    # The address rules, for the supply points without a known tax number only (a small table, so that
    # the join is built on it): every household at the address, and those where the name agrees too.
    unlinked = """
        SELECT cpe, address_key, postcode_key, name_key FROM tmp_contracts
        WHERE is_rechecked AND NOT is_nif_known AND address_key IS NOT NULL AND postcode_key IS NOT NULL"""
    # Counted once per address (and per address and name), not once per supply point: many households
    # may share a building's address. The households at an address are the distinct ones of its records.
    at_address = """
        SELECT DISTINCT t.address_key, t.postcode_key, t.tax_household_id FROM tmp_tax t
        JOIN (SELECT DISTINCT address_key, postcode_key FROM tmp_unlinked) k
            ON k.address_key = t.address_key AND k.postcode_key = t.postcode_key"""
    by_address = """
        SELECT address_key, postcode_key, min(tax_household_id) AS household, count(tax_household_id) AS hits
        FROM tmp_at_address GROUP BY address_key, postcode_key"""
    # Names are only looked for where an unlinked supply point has that address and name.
    by_address_and_name = """
        SELECT t.address_key, t.postcode_key, t.name_key, min(t.tax_household_id) AS household,
               count(DISTINCT t.tax_household_id) AS hits
        FROM tmp_tax t JOIN (SELECT DISTINCT address_key, postcode_key, name_key FROM tmp_unlinked) k
            ON k.address_key = t.address_key AND k.postcode_key = t.postcode_key AND k.name_key = t.name_key
        GROUP BY t.address_key, t.postcode_key, t.name_key"""
    hits = f"""
        SELECT u.cpe, a.household AS address_household, a.hits AS address_hits,
               an.household AS address_and_name_household, nullif(an.hits, 0) AS address_and_name_hits
        FROM tmp_unlinked u
        JOIN ({by_address}) a ON a.address_key = u.address_key AND a.postcode_key = u.postcode_key
        LEFT JOIN ({by_address_and_name}) an
            ON an.address_key = u.address_key AND an.postcode_key = u.postcode_key AND an.name_key = u.name_key"""
    # A tax-number link's address agrees when its own tax record has it; otherwise any record of the
    # household may (looked up for those few only).
    own_record_agrees = "c.nif_household IS NOT NULL AND c.nif_address_key = c.address_key AND c.nif_postcode_key = c.postcode_key"
    address_checks = f"""
        SELECT cpe, nif_household, address_key, postcode_key FROM tmp_contracts c
        WHERE is_rechecked AND is_nif_known AND NOT coalesce({own_record_agrees}, false)
            AND nif_household IS NOT NULL AND address_key IS NOT NULL AND postcode_key IS NOT NULL"""
    address_found = """
        SELECT DISTINCT a.cpe FROM tmp_address_checks a
        JOIN tmp_tax t ON t.tax_household_id = a.nif_household AND t.address_key = a.address_key
            AND t.postcode_key = a.postcode_key"""
    household_cases = ["WHEN ml.cpe IS NOT NULL THEN ml.tax_household_id"]
    method_cases = ["WHEN ml.cpe IS NOT NULL THEN 'manual'"]
    for rule in cfg.linkage.order:
        if rule == "tax_number":
            household_cases.append("WHEN c.is_nif_known THEN c.nif_household")
            method_cases.append("WHEN c.is_nif_known THEN 'tax_number'")
        else:
            household_cases.append(f"WHEN h.{rule}_hits = 1 THEN h.{rule}_household")
            method_cases.append(f"WHEN h.{rule}_hits = 1 THEN '{rule}'")
    fresh_links = f"""
        SELECT c.cpe, CASE {" ".join(household_cases)} END AS tax_household_id,
               CASE {" ".join(method_cases)} END AS link_method,
               h.address_and_name_hits, h.address_hits
        FROM tmp_contracts c
        LEFT JOIN manual_links ml ON ml.cpe = c.cpe
        LEFT JOIN tmp_hits h ON h.cpe = c.cpe
        WHERE c.is_rechecked"""
    fresh_households = (
        "SELECT DISTINCT tax_household_id FROM tmp_fresh_links WHERE tax_household_id IS NOT NULL"
    )
    # The members of every freshly linked household, with the largest household income of each
    # member's tax records: one pass over the tax records gives both the members and the income.
    person_key = f"coalesce(national_id, concat(name_key, '|', {_text(d, 'birth_date')}))"
    fresh_members = f"""
        SELECT t.tax_household_id, {person_key} AS person_key, min(t.national_id) AS national_id,
               min(t.name_key) AS name_key, min(t.birth_date) AS birth_date, max(t.income_eur) AS income_eur,
               max(t.household_income_eur) AS household_income_eur
        FROM tmp_tax t JOIN tmp_fresh_households f ON f.tax_household_id = t.tax_household_id
        GROUP BY t.tax_household_id, {person_key}"""
    # A freshly linked household's income: its largest figure in the tax records (the largest of its
    # members' largest).
    household_income = """
        SELECT tax_household_id, max(household_income_eur) AS household_income_eur
        FROM tmp_fresh_members GROUP BY tax_household_id"""
    links = f"""
        SELECT c.cpe, c.record_id, c.supplier_id, c.area_code, c.fingerprint, c.is_rechecked,
               c.power_kva, c.voltage, c.is_domestic_use, c.is_own_name, c.is_permanent_home,
               CASE WHEN c.is_rechecked THEN f.tax_household_id ELSE p.tax_household_id END AS tax_household_id,
               CASE WHEN c.is_rechecked THEN f.link_method ELSE p.link_method END AS link_method,
               CASE WHEN c.is_rechecked THEN h.household_income_eur ELSE p.household_income_eur END
                   AS household_income_eur,
               CASE WHEN c.is_rechecked THEN {tax_year} ELSE p.tax_year END AS tax_year
        FROM tmp_contracts c
        LEFT JOIN tmp_fresh_links f ON f.cpe = c.cpe
        LEFT JOIN tmp_household_income h ON h.tax_household_id = f.tax_household_id
        LEFT JOIN prev_links p ON p.cpe = c.cpe AND NOT c.is_rechecked"""
    # The members of every freshly linked household; those of a household only unchanged contracts link
    # to are the previous cycle's.
    tax_members = """
        SELECT tax_household_id, person_key, national_id, name_key, birth_date, income_eur
        FROM tmp_fresh_members
        UNION ALL
        SELECT p.tax_household_id, p.person_key, p.national_id, p.name_key, p.birth_date, p.income_eur
        FROM prev_members p
        JOIN (SELECT DISTINCT tax_household_id FROM links WHERE NOT is_rechecked) u
            ON u.tax_household_id = p.tax_household_id
        LEFT JOIN tmp_fresh_households f ON f.tax_household_id = p.tax_household_id
        WHERE f.tax_household_id IS NULL"""
    # What the facts step needs of the contracts linked by address and name: the holder's tax number and name.
    named_contracts = """
        SELECT c.cpe, c.national_id, c.name_key FROM tmp_contracts c
        WHERE c.cpe IN (SELECT cpe FROM links WHERE link_method = 'address_and_name')"""
    kinds = f"""
        SELECT c.record_id, c.cpe, c.supplier_id, f.link_method, f.tax_household_id,
               c.national_id IS NULL AS no_nif, c.national_id IS NOT NULL AND NOT c.is_nif_known AS unknown_nif,
               c.is_nif_known AND NOT coalesce({own_record_agrees}, false) AND af.cpe IS NULL AS address_differs,
               c.is_nif_known AND c.name_key <> c.nif_name_key AS name_differs,
               f.link_method IS NULL AND (coalesce(f.address_hits, 0) > 1 OR coalesce(f.address_and_name_hits, 0) > 1)
                   AS ambiguous,
               f.link_method IS NULL AND f.address_hits IS NULL AND NOT c.is_nif_known AS no_address
        FROM tmp_contracts c JOIN tmp_fresh_links f ON f.cpe = c.cpe
        LEFT JOIN tmp_address_found af ON af.cpe = c.cpe"""
    # Each freshly linked contract's flags, one row per flag that is set.
    flagged = [
        f"CASE WHEN {flag} THEN '{kind}' END"
        for kind, flag in (
            ("no_tax_number", "no_nif"),
            ("unknown_tax_number", "unknown_nif"),
            ("address_mismatch", "address_differs"),
            ("name_mismatch", "name_differs"),
            ("ambiguous_address", "ambiguous"),
            ("no_address_match", "no_address"),
        )
    ]
    arms = [
        "SELECT record_id, cpe, supplier_id, kind, link_method, tax_household_id, false AS is_carried FROM ("
        f"SELECT record_id, cpe, supplier_id, link_method, tax_household_id, {d.explode(flagged)} AS kind "
        f"FROM ({kinds}) flags) k WHERE kind IS NOT NULL"
    ]
    arms.append(
        "SELECT record_id, cpe, supplier_id, 'duplicate_supply_point' AS kind, CAST(NULL AS "
        f"{d.text()}) AS link_method, CAST(NULL AS {d.text()}) AS tax_household_id, false AS is_carried "
        "FROM tmp_duplicates"
    )
    arms.append(
        "SELECT m.record_id, m.cpe, m.supplier_id, m.kind, m.link_method, m.tax_household_id, true AS is_carried "
        "FROM prev_mismatches m JOIN tmp_contracts c ON c.cpe = m.cpe AND c.record_id = m.record_id "
        "AND NOT c.is_rechecked WHERE m.kind <> 'duplicate_supply_point'"
    )
    mismatches = "\nUNION ALL\n".join(arms)
    # Scratch tables are freed as soon as nothing further reads them: at national scale they are the
    # step's memory.
    return [
        ("name_parts", name_parts),
        ("tmp_address_parts", address_parts),
        ("tmp_tax", tax),
        ("tmp_nif", nif_all),
        ("nif_index", nif_index),
        ("tmp_listings", listings),
        ("tmp_repeated", repeated),
        ("tmp_listings", free()),
        ("tmp_contracts", contracts),
        ("tmp_address_parts", free()),
        ("tmp_nif", free()),
        ("tmp_duplicates", duplicates),
        ("tmp_repeated", free()),
        ("tmp_unlinked", unlinked),
        ("tmp_at_address", at_address),
        ("tmp_hits", hits),
        ("tmp_at_address", free()),
        ("tmp_unlinked", free()),
        ("tmp_address_checks", address_checks),
        ("tmp_address_found", address_found),
        ("tmp_address_checks", free()),
        ("tmp_fresh_links", fresh_links),
        ("tmp_hits", free()),
        ("tmp_fresh_households", fresh_households),
        ("tmp_fresh_members", fresh_members),
        ("tmp_tax", free()),
        ("tmp_household_income", household_income),
        ("links", links),
        ("tmp_household_income", free()),
        ("contracts", named_contracts),
        ("mismatches", mismatches),
        ("tmp_duplicates", free()),
        ("tmp_address_found", free()),
        ("tmp_fresh_links", free()),
        ("tmp_contracts", free()),
        ("tax_members", tax_members),
        ("tmp_fresh_members", free()),
        ("tmp_fresh_households", free()),
    ]


# -- (c) facts --------------------------------------------------------------------------------------------
def facts_tables(ctx: StepContext) -> list[tuple[str, str]]:
    """``units`` and ``members`` as the pack's rules read them, benefits current on the cycle date.

    Both are views over the links, members, benefits and gas contracts: the decide step reads each once,
    so they are never written out.
    """
    d, on = ctx.dialect, _date(ctx.decided_on)
    param = ctx.ruleset.parameters.get(ctx.config.entitlement.backdate_benefits_parameter)
    value = param.value_on(ctx.decided_on) if param else None
    qualifying = [str(v) for v in value.value] if value and isinstance(value.value, list | tuple) else []
    qualifying_sql = ", ".join(_lit(v) for v in qualifying) or "''"
    ss_current = f"""
        SELECT s.national_id, s.benefit_code, s.abono_bracket, s.start_on, s.birth_date,
               {joined_name_key("g", "f")} AS name_key, n.national_id IS NOT NULL AS is_nif_known
        FROM src_ss s LEFT JOIN nif_index n ON n.national_id = s.national_id
        {name_joins("s", "g", "f")}
        WHERE s.start_on <= {on} AND (s.end_on IS NULL OR s.end_on >= {on})"""
    # A benefit whose tax number the tax authority does not know still counts when name and birth date
    # agree, or when it carries the tax number the supplier holds for the member linked by address and
    # name: benefits missing from the data were one of the tariff's failures.
    member_benefits = """
        SELECT m.tax_household_id, m.person_key, s.benefit_code, s.abono_bracket, s.start_on
        FROM tax_members m JOIN tmp_ss_current s ON s.national_id = m.national_id
        UNION ALL
        SELECT m.tax_household_id, m.person_key, s.benefit_code, s.abono_bracket, s.start_on
        FROM tax_members m JOIN tmp_ss_current s ON s.name_key = m.name_key AND s.birth_date = m.birth_date
        WHERE NOT s.is_nif_known
        UNION ALL
        SELECT m.tax_household_id, m.person_key, s.benefit_code, s.abono_bracket, s.start_on
        FROM links l JOIN contracts c ON c.cpe = l.cpe
        JOIN tax_members m ON m.tax_household_id = l.tax_household_id AND m.national_id IS NULL
            AND m.name_key = c.name_key
        JOIN tmp_ss_current s ON s.national_id = c.national_id AND NOT s.is_nif_known
        WHERE l.link_method = 'address_and_name'"""
    benefits = f"""
        SELECT tax_household_id, person_key, {d.sorted_distinct_list("benefit_code")} AS benefits,
               min(CASE WHEN benefit_code = 'abono_familia' THEN abono_bracket END) AS abono_bracket,
               min(CASE WHEN benefit_code IN ({qualifying_sql}) THEN start_on END) AS qualifying_since
        FROM tmp_member_benefits GROUP BY tax_household_id, person_key"""
    t = d.text()
    gas_sql = f"SELECT CAST(NULL AS {t}) AS tax_household_id, CAST(NULL AS {t}) AS cui, "
    gas_sql += f"CAST(NULL AS {t}) AS pressure, CAST(NULL AS DOUBLE) AS annual_consumption_m3 WHERE 1 = 0"
    if ctx.config.registries.gas_customers:
        gas_sql = """
            SELECT tax_household_id, cui, pressure, annual_consumption_m3 FROM (
                SELECT n.tax_household_id, g.cui, g.pressure, g.annual_consumption_m3,
                       row_number() OVER (PARTITION BY n.tax_household_id ORDER BY g.cui) AS rn
                FROM src_gas g JOIN nif_index n ON n.national_id = g.national_id) t
            WHERE rn = 1"""
    units = f"""
        SELECT l.cpe AS unit_id, l.tax_household_id AS household_key, l.supplier_id, l.area_code, l.link_method,
               l.is_own_name AS contract__own_name, l.is_domestic_use AS contract__domestic,
               l.is_permanent_home AS contract__permanent_home, l.voltage AS contract__voltage,
               l.power_kva AS contract__power_kva, l.household_income_eur AS household__income_eur,
               CASE WHEN l.tax_household_id IS NOT NULL THEN g.cui IS NOT NULL END AS gas__has_contract,
               g.pressure = 'low' AS gas__low_pressure, g.annual_consumption_m3 AS gas__consumption_m3,
               q.qualifying_since
        FROM links l
        LEFT JOIN household_gas g ON g.tax_household_id = l.tax_household_id
        LEFT JOIN ({qualifying_since_sql()}) q ON q.tax_household_id = l.tax_household_id"""
    members = f"""
        SELECT l.cpe AS unit_id, m.income_eur, coalesce(b.benefits, {d.empty_text_list()}) AS benefits,
               b.abono_bracket AS abono_familia_bracket
        FROM links l JOIN tax_members m ON m.tax_household_id = l.tax_household_id
        LEFT JOIN benefits b ON b.tax_household_id = m.tax_household_id AND b.person_key = m.person_key"""
    return [
        ("tmp_ss_current", ss_current),
        ("tmp_member_benefits", member_benefits),
        ("benefits", benefits),
        ("tmp_member_benefits", free()),
        ("tmp_ss_current", free()),
        ("household_gas", gas_sql),
        ("units", view(units, counted=False)),
        ("members", view(members, counted=False)),
    ]


def qualifying_since_sql() -> str:
    """Per tax household, since when a member receives a qualifying benefit (for back-pay)."""
    return "SELECT tax_household_id, min(qualifying_since) AS qualifying_since FROM benefits GROUP BY tax_household_id"


# -- (d) decide -------------------------------------------------------------------------------------------
def decide_tables(ctx: StepContext) -> list[tuple[str, str]]:
    """Every unit decided at once by the pack's compiled rules (never a loop over households).

    Only the cycle's decision and the criteria under it are kept: the compare step reads no other, and
    the rules' other decisions (and what only they need) are then not computed at all. With pilots, the
    units of each pilot's areas are decided by the pilot's version and the others by the version in
    force; every decision carries the version it was made under.
    """
    decision = ctx.config.decision
    nodes = decision_nodes(ctx.ruleset, decision)
    columns = ", ".join([column_for_decision(decision), *(column_for_criterion(node) for node in nodes)])

    def decided_by(ruleset: RuleSet, units_table: str) -> str:
        compiled = compile_batch(
            ruleset,
            on=ctx.decided_on,
            dialect=ctx.dialect.name,
            units_table=units_table,
            members_table="members",
        )
        return f"SELECT unit_id, {columns}, {_lit(ruleset.version)} AS pack_version FROM ({compiled.sql}) d"

    if not ctx.pilots:
        return [("decisions", decided_by(ctx.ruleset, "units"))]
    # The units of each part are views over ``units`` (itself a view): the decisions read each once.
    tables: list[tuple[str, str]] = []
    parts: list[str] = []
    piloted: list[str] = []
    for i, (ruleset, codes) in enumerate(ctx.pilots):
        in_areas = ", ".join(_lit(c) for c in codes) or "''"
        piloted.extend(codes)
        tables.append(
            (f"units_pilot_{i}", view(f"SELECT * FROM units WHERE area_code IN ({in_areas})", counted=False))
        )
        parts.append(decided_by(ruleset, f"units_pilot_{i}"))
    others = ", ".join(_lit(c) for c in piloted) or "''"
    national = f"SELECT * FROM units WHERE area_code IS NULL OR area_code NOT IN ({others})"
    tables.append(("units_national", view(national, counted=False)))
    parts.append(decided_by(ctx.ruleset, "units_national"))
    return [*tables, ("decisions", "\nUNION ALL\n".join(parts))]


# -- (e) compare ------------------------------------------------------------------------------------------
def decision_nodes(ruleset: RuleSet, decision: str) -> list[str]:
    """Ids of every criterion and group under ``decision``'s root, in tree order (the root excluded)."""
    out: list[str] = []

    def visit(node: Node) -> None:
        if isinstance(node, Group):
            for child in node.children:
                out.append(child.id)
                visit(child)

    visit(ruleset.decisions[decision].root)
    return list(dict.fromkeys(out))


def _reason(node: Node) -> str:
    """SQL naming the criterion that made a false node false: the first false child of an all-group."""
    if isinstance(node, Criterion) or node.mode == "any":
        return _lit(node.id)
    whens = " ".join(
        f"WHEN NOT d.{column_for_criterion(child.id)} THEN {_reason(child)}" for child in node.children
    )
    return f"CASE {whens} END"


def compare_tables(ctx: StepContext) -> list[tuple[str, str]]:
    """Each unit against the entitlements in force: new grant, continuing, ended, refused kept, ..."""
    cfg, rs = ctx.config, ctx.ruleset
    decision = f"d.{column_for_decision(cfg.decision)}"
    leaves = leaf_ids(rs, cfg.decision)
    failing = ", ".join(
        f"CASE WHEN NOT d.{column_for_criterion(c)} THEN {_lit(c)} "
        f"WHEN d.{column_for_criterion(c)} IS NULL THEN {_lit('?' + c)} END"
        for c in leaves
    )
    key = ", ".join(
        f"CASE WHEN d.{column_for_criterion(c)} THEN 't' WHEN NOT d.{column_for_criterion(c)} THEN 'f' ELSE 'u' END"
        for c in leaves
    )
    root: Group = rs.decisions[cfg.decision].root
    keep = cfg.entitlement.keep_active_when_undetermined
    undetermined = (
        "'undetermined'" if keep else "CASE WHEN f.status = 'active' THEN 'ended' ELSE 'undetermined' END"
    )
    # The units' own columns from the links (the units view would also join the gas contracts).
    decided = f"""
        SELECT l.cpe AS unit_id, l.tax_household_id AS household_key, l.supplier_id, l.area_code, l.link_method,
               q.qualifying_since, {decision} AS is_granted, concat_ws(',', {failing}) AS failing_criteria,
               concat({key}) AS decision_key, d.pack_version,
               CASE WHEN NOT {decision} THEN {_reason(root)} END AS failed_criterion
        FROM links l JOIN decisions d ON d.unit_id = l.cpe
        LEFT JOIN ({qualifying_since_sql()}) q ON q.tax_household_id = l.tax_household_id"""
    backdate = "CAST(NULL AS DATE)"
    if cfg.entitlement.backdate_to_benefit_start and ctx.previous_on is not None:
        earliest = ctx.dialect.add_days(_date(ctx.decided_on), str(-cfg.entitlement.max_backdate_days))
        backdate = (
            f"CASE WHEN u.qualifying_since > {_date(ctx.previous_on)} AND u.qualifying_since < "
            f"{_date(ctx.decided_on)} THEN greatest(u.qualifying_since, {earliest}) END"
        )
    # An entitlement granted under a pilot that was rolled back with ``keep_until_review`` stays until
    # its review date even if the rules in force would end it (``pilot_kept``, read from the database).
    outcome = f"""CASE
            WHEN f.status = 'refused' THEN 'refused_kept'
            WHEN u.unit_id IS NULL THEN 'ended'
            WHEN u.is_granted THEN CASE WHEN f.status = 'active' THEN 'continuing' ELSE 'new_grant' END
            WHEN NOT u.is_granted AND f.status = 'active' AND k.is_kept THEN 'continuing'
            WHEN NOT u.is_granted THEN CASE WHEN f.status = 'active' THEN 'ended' ELSE 'not_eligible' END
            ELSE {undetermined} END"""
    plan = f"""
        SELECT coalesce(u.unit_id, f.unit_key) AS unit_id, u.household_key, coalesce(u.supplier_id, f.supplier_id)
               AS supplier_id, coalesce(u.area_code, f.area_code) AS area_code, u.link_method, u.is_granted,
               coalesce(u.failing_criteria, '') AS failing_criteria, u.decision_key, f.entitlement_id,
               f.status AS in_force_status, f.decision_key AS in_force_key, {outcome} AS outcome,
               CASE WHEN u.unit_id IS NULL THEN {_lit(cfg.entitlement.unlisted_supply_point_reason)}
                    WHEN k.unit_key IS NOT NULL THEN 'pilot_rolled_back'
                    ELSE coalesce(u.failed_criterion, u.failing_criteria) END AS end_reason,
               {backdate} AS backdated_from, coalesce(u.pack_version, {_lit(rs.version)}) AS pack_version
        FROM ({decided}) u FULL OUTER JOIN in_force f ON f.unit_key = u.unit_id
        LEFT JOIN pilot_kept k ON k.unit_key = coalesce(u.unit_id, f.unit_key)"""
    return [("plan", plan), *write_tables(ctx)]


# What the write step sends to the database, one table per statement: only what changed. Each row is
# the statement's parameters in order (dates as ISO text, JSON as text), numbered by ``seq`` so that a
# resumed write knows which batches are done. Every unit's outcome stays in ``plan`` and every link
# mismatch in ``mismatches`` (both exported to the cycle's Parquet store by the report step), not in the
# database: at national scale they are millions of rows nobody changes.
WRITE_TABLES = ("grant_plan", "outcome_plan", "end_plan", "refresh_plan")


def _json_bool(value: str) -> str:
    return f"CASE WHEN {value} THEN 'true' WHEN NOT {value} THEN 'false' ELSE 'null' END"


def _json_text(value: str) -> str:
    # chr(92) and chr(34) (backslash and quote) read the same in DuckDB and Spark SQL literals.
    escaped = (
        f"replace(replace({value}, chr(92), concat(chr(92), chr(92))), chr(34), concat(chr(92), chr(34)))"
    )
    return f"CASE WHEN {value} IS NULL THEN 'null' ELSE concat(chr(34), {escaped}, chr(34)) END"


def last_decision_json(ctx: StepContext) -> str:
    """SQL for ``json.dumps`` of an entitlement's last decision: cycle, date, decision and its criteria."""
    leaves = leaf_ids(ctx.ruleset, ctx.config.decision)
    letters = [
        f"{_lit(json.dumps(c) + ': ')}, CASE substr(decision_key, {i + 1}, 1) WHEN 't' THEN 'true' "
        "WHEN 'f' THEN 'false' ELSE 'null' END"
        for i, c in enumerate(leaves)
    ]
    criteria = "'{}'"
    if letters:
        pairs = ", ', ', ".join(letters)
        criteria = f"CASE WHEN decision_key IS NULL THEN '{{}}' ELSE concat('{{', {pairs}, '}}') END"
    head = f'{{"cycle": {int(ctx.cycle_id)}, "decided_on": "{ctx.decided_on.isoformat()}", "decision": '
    return (
        f"concat({_lit(head)}, {_json_bool('is_granted')}, ', \"pack_version\": ', {_json_text('pack_version')}, "
        f"', \"criteria\": ', {criteria}, '}}')"
    )


def write_tables(ctx: StepContext) -> list[tuple[str, str]]:
    """The rows the write step sends: grants, outcomes of changed units, ends and refreshes."""
    on, t = _date(ctx.decided_on), ctx.dialect.text()
    last = last_decision_json(ctx)
    since = f"coalesce(backdated_from, {on})"
    valid_to = _lit((ctx.decided_on - dt.timedelta(days=1)).isoformat())
    grant_plan = f"""
        SELECT row_number() OVER (ORDER BY unit_id) AS seq, {_lit(ctx.pack_id)} AS pack_id,
               unit_id AS unit_key, coalesce(household_key, '') AS household_key, unit_id AS supply_point_code,
               coalesce(supplier_id, '') AS supplier_id, coalesce(area_code, '') AS area_code, 'active' AS status,
               CAST({since} AS {t}) AS valid_from, {since} < {on} AS is_back_dated, {int(ctx.cycle_id)} AS granted_in_id,
               '' AS end_reason, {last} AS last_decision, coalesce(decision_key, '') AS decision_key,
               '' AS refusal_channel, pack_version
        FROM plan WHERE outcome = 'new_grant'"""
    outcomes_kept = {"all": "true", "changes": "outcome IN ('new_grant', 'ended')", "none": "false"}
    outcome_plan = f"""
        SELECT row_number() OVER (ORDER BY unit_id, entitlement_id) AS seq, {int(ctx.cycle_id)} AS cycle_id, unit_id AS unit_key,
               coalesce(household_key, '') AS household_key, outcome, substr(failing_criteria, 1, 300) AS failing_criteria,
               coalesce(area_code, '') AS area_code
        FROM plan WHERE {outcomes_kept[ctx.config.write.outcomes]}"""
    has_key = "coalesce(decision_key, '') <> ''"
    end_plan = f"""
        SELECT row_number() OVER (ORDER BY unit_id, entitlement_id) AS seq, {valid_to} AS valid_to, {int(ctx.cycle_id)} AS ended_in_id,
               substr(coalesce(end_reason, ''), 1, 100) AS end_reason, CASE WHEN {has_key} THEN {last} END AS last_decision,
               coalesce(decision_key, '') AS decision_key, entitlement_id AS id
        FROM plan WHERE outcome = 'ended'"""
    refresh_plan = f"""
        SELECT row_number() OVER (ORDER BY unit_id, entitlement_id) AS seq, {last} AS last_decision, decision_key,
               entitlement_id AS id
        FROM plan WHERE outcome NOT IN ('new_grant', 'ended') AND in_force_status = 'active' AND {has_key}
            AND (in_force_key IS NULL OR decision_key <> in_force_key)"""
    # Views: the write step reads each once (again from its first batch not sent, when resumed; the
    # numbering is over unique keys, so the same rows get the same numbers).
    return [
        ("grant_plan", view(grant_plan)),
        ("outcome_plan", view(outcome_plan)),
        ("end_plan", view(end_plan)),
        ("refresh_plan", view(refresh_plan)),
    ]
