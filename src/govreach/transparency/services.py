"""Writes of the transparency app: budget lines (entered by finance staff, or loaded from a pack's
``data/budget.yaml``) and the open data files."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import yaml
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from pydantic import BaseModel, ConfigDict, Field

from govreach.audit.log import audit_record
from govreach.packs.loader import Pack
from govreach.registry.models import Area
from govreach.transparency.models import BudgetLine
from govreach.transparency.selectors import budget_areas_for

BUDGET_FILE = Path("data") / "budget.yaml"


class BudgetLineSpec(BaseModel):
    """One line of ``data/budget.yaml``."""

    model_config = ConfigDict(extra="forbid")

    year: int = Field(ge=1900, le=2200)
    area: str
    line: str = Field(min_length=1, max_length=200)
    amount: Decimal = Field(ge=0)
    source: str = Field(min_length=1, max_length=500)
    note: str = ""
    illustrative: bool = False


class ForgoneSpec(BaseModel):
    """What a proactive discount is worth to one household in a year (for the revenue forgone)."""

    model_config = ConfigDict(extra="forbid")

    per_household_per_year: Decimal = Field(ge=0)
    source: str
    illustrative: bool = False


class BudgetFile(BaseModel):
    """``packs/<pack>/data/budget.yaml``: the service's budget lines, in one currency."""

    model_config = ConfigDict(extra="forbid")

    currency: str = Field(pattern=r"^[A-Z]{3}$")
    lines: list[BudgetLineSpec]
    forgone: ForgoneSpec | None = None


def budget_file_read(pack: Pack) -> BudgetFile | None:
    """The pack's budget file, or None when it has none."""
    path = Path(pack.path) / BUDGET_FILE
    if not path.is_file():
        return None
    return BudgetFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


@transaction.atomic
def budget_load_pack(*, pack: Pack) -> int:
    """Load (or update) the budget lines of ``pack``'s ``data/budget.yaml``; idempotent. Lines whose
    area is not in the registry are skipped. Returns how many lines are loaded."""
    spec = budget_file_read(pack)
    if spec is None:
        return 0
    areas = {a.code: a for a in Area.objects.filter(code__in={line.area for line in spec.lines})}
    loaded = 0
    source_file = str(Path(pack.id) / BUDGET_FILE)
    for line in spec.lines:
        area = areas.get(line.area)
        if area is None:
            continue
        BudgetLine.objects.update_or_create(
            pack_id=pack.id,
            year=line.year,
            area=area,
            line=line.line,
            defaults={
                "amount": line.amount,
                "currency": spec.currency,
                "source": line.source,
                "note": line.note,
                "is_illustrative": line.illustrative,
                "loaded_from": source_file,
            },
        )
        loaded += 1
    return loaded


@transaction.atomic
def budget_line_create(
    *,
    pack_id: str,
    year: int,
    area: Area,
    line: str,
    amount: Decimal,
    currency: str,
    source: str,
    note: str,
    acting_user: User,
) -> BudgetLine:
    """Record a budget line entered by a finance officer of ``pack_id`` on ``area`` or above it."""
    if not budget_areas_for(acting_user, pack_id=pack_id).filter(pk=area.pk).exists():
        raise PermissionDenied("You hold no finance role for this service on this area.")
    budget_line, created = BudgetLine.objects.update_or_create(
        pack_id=pack_id,
        year=year,
        area=area,
        line=line,
        defaults={
            "amount": amount,
            "currency": currency.upper(),
            "source": source,
            "note": note,
            "is_illustrative": False,
            "loaded_from": "",
            "created_by": acting_user,
        },
    )
    # A staff action on public money: in the hash-chained log, in the same transaction.
    audit_record(
        action="budget_line.save",
        actor=acting_user,
        subject=budget_line,
        detail={"pack_id": pack_id, "year": year, "is_new": created},
    )
    return budget_line
