"""A pack's cycle configuration (``packs/<pack>/data/cycle.yaml``): datasets, monthly strategy, linkage.

The strategy is the real service's: every tax number is re-checked against social security each cycle,
only new or changed contracts against the tax authority (Portaria 45-B/2021, monthly processing).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


LinkRule = Literal["tax_number", "address_and_name", "address"]
_LINK_RULES: tuple[LinkRule, ...] = ("tax_number", "address_and_name", "address")


class Registries(_Strict):
    customers: str = "electricity_customers"
    gas_customers: str | None = "gas_customers"
    tax: str = "at_household_income"
    social_security: str = "ss_benefits"


class Strategy(_Strict):
    social_security: Literal["every_cycle"] = "every_cycle"
    tax_authority: Literal["every_cycle", "new_or_changed_contracts"] = "new_or_changed_contracts"
    recheck_all_on_new_tax_year: bool = True
    contract_fields: list[str] = Field(default_factory=list)


class Linkage(_Strict):
    order: list[LinkRule] = Field(default_factory=lambda: list(_LINK_RULES))
    postcode_digits: int = 4
    abbreviations: dict[str, str] = Field(default_factory=dict)
    address_parts: int = 2


class EntitlementPolicy(_Strict):
    keep_active_when_undetermined: bool = True
    backdate_to_benefit_start: bool = True
    max_backdate_days: int = 90
    backdate_benefits_parameter: str = "qualifying_benefits"
    unlisted_supply_point_reason: str = "supply_point_not_listed"


class Write(_Strict):
    batch_rows: int = 50_000
    # Every unit's outcome is always kept in the cycle's store (``<cycles>/<id>/outcomes.parquet``),
    # which every reader uses (take-up, contests, reviews, pilot evaluations). In the database as well
    # (CycleOutcome): ``changes`` the new grants and ends, ``all`` every unit (millions of rows at national
    # scale, for those who want them in SQL), ``none`` no row (the changes are the entitlements' own
    # grant and end, with their cycle).
    outcomes: Literal["all", "changes", "none"] = "changes"


class CycleConfig(_Strict):
    """How one pack's proactive cycle reads, links, decides and writes."""

    decision: str = "eligible"
    frequency: Literal["monthly", "quarterly"] = "monthly"
    registries: Registries = Field(default_factory=Registries)
    strategy: Strategy = Field(default_factory=Strategy)
    linkage: Linkage = Field(default_factory=Linkage)
    entitlement: EntitlementPolicy = Field(default_factory=EntitlementPolicy)
    write: Write = Field(default_factory=Write)


def load_cycle_config(pack_path: Path) -> CycleConfig:
    """Read ``data/cycle.yaml`` of the pack at ``pack_path`` (defaults when the file is absent)."""
    path = pack_path / "data" / "cycle.yaml"
    if not path.exists():
        return CycleConfig()
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return CycleConfig.model_validate(raw)
