"""Reads of the transparency app: who may enter budgets, and a service's budget and spending beside its
published figures (cost per transaction only from published counts)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import reduce
from operator import or_
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from govreach.accounts.models import StaffAssignment
from govreach.accounts.selectors import AnyUser
from govreach.registry.models import Area
from govreach.transparency import conf
from govreach.transparency.models import BudgetLine

if TYPE_CHECKING:
    from govreach.transparency.figures import Published


def budget_areas_for(user: AnyUser, *, pack_id: str) -> QuerySet[Area]:
    """The areas on which ``user`` may enter budget lines for ``pack_id`` today: where they hold the
    finance role, and everything below."""
    if not (user.is_authenticated and user.is_active):
        return Area.objects.none()
    today = timezone.localdate()
    paths = list(
        StaffAssignment.objects.filter(
            Q(ends_on__isnull=True) | Q(ends_on__gte=today),
            user_id=user.pk,
            pack_id=pack_id,
            role=conf.finance_role(),
            starts_on__lte=today,
        )
        .values_list("area__path", flat=True)
        .distinct()
    )
    if not paths:
        return Area.objects.none()
    return Area.objects.filter(reduce(or_, (Q(path__startswith=p) for p in paths)))


def budget_line_list(*, pack_id: str, year: int | None = None, area: Area | None = None) -> list[BudgetLine]:
    """A service's budget lines (for a year; on ``area`` and below), widest area first."""
    qs = BudgetLine.objects.filter(pack_id=pack_id).select_related("area")
    if year is not None:
        qs = qs.filter(year=year)
    if area is not None:
        qs = qs.filter(area__path__startswith=area.path)
    return list(qs.order_by("-year", "area__path", "line"))


def _money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass
class SpendingItem:
    """Something spent or forgone, with its amount or quantity; ``None`` where not published."""

    id: str
    amount: Decimal | None = None
    currency: str = ""
    quantity: int | None = None
    is_illustrative: bool = False
    source: str = ""


@dataclass
class BudgetSummary:
    lines: list[BudgetLine]
    totals: dict[str, Decimal]
    spending: list[SpendingItem] = field(default_factory=list)
    transactions: int | None = None
    transaction_kind: str = ""
    cost_per_transaction: dict[str, Decimal | None] = field(default_factory=dict)

    @property
    def is_known(self) -> bool:
        return bool(self.lines)


def budget_summary(*, published: Published, area_code: str, forgone: Any = None) -> BudgetSummary:
    """Budget lines of the year on the area and below, what was spent or forgone, and the cost per
    transaction (budget over the published count of transactions, never over a suppressed one).

    ``forgone``: the pack's ``ForgoneSpec`` (what the discount is worth per household and year), if any.
    """
    area = Area.objects.filter(code=area_code).first()
    lines = budget_line_list(pack_id=published.pack_id, year=published.year, area=area) if area else []
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        totals[line.currency] += line.amount
    counts = published.counts.get(area_code, {})
    is_root = published.root is not None and published.root["code"] == area_code
    spending: list[SpendingItem] = []
    if "enrolled" in counts and forgone is not None:
        enrolled = counts["enrolled"]
        currency = next(iter(totals), "")
        spending.append(
            SpendingItem(
                "discounts_forgone",
                _money(enrolled * forgone.per_household_per_year) if enrolled is not None else None,
                currency,
                enrolled,
                bool(forgone.illustrative),
                str(forgone.source),
            )
        )
    fees = published.national.get("fees_collected")
    if is_root and "received" in counts:
        spending.append(
            SpendingItem(
                "fees_collected",
                Decimal(fees["amount"]) if fees else None,
                fees["currency"] if fees else "",
                fees["payments"] if fees else None,
            )
        )
    if is_root and "places_funded" in published.national:
        spending.append(SpendingItem("places_funded", quantity=int(published.national["places_funded"])))
    if "visits_done" in counts:
        spending.append(SpendingItem("visits_made", quantity=counts["visits_done"]))
    kind = str(published.national.get("transaction", ""))
    transactions = counts.get(kind) if kind else None
    cost = {
        currency: (_money(total / transactions) if transactions else None)
        for currency, total in totals.items()
    }
    return BudgetSummary(lines, dict(totals), spending, transactions, kind, cost)
