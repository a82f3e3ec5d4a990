"""``govreach programme``: re-run a cohort's allocation from its published seed, and set up cohorts.

    govreach programme allocate COHORT --seed S            print the list the seed gives (stores nothing)
    govreach programme allocate COHORT --seed S --check    ... and compare it with the stored allocation
    govreach programme allocate COHORT --seed S --save     allocate the places with this seed (once)
    govreach programme cohort PACK --year Y --area CODE [--places N]
    govreach programme sessions COHORT                     plan the sessions from the pack's calendar

COHORT is the cohort's number (as on its public page) or PACK/YEAR, e.g. br-prepara/2026.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from govreach.programmes import services
from govreach.programmes.lottery import PROCEDURE
from govreach.programmes.models import Allocation, Cohort
from govreach.registry.models import Area


def cohort_lookup(text: str) -> Cohort:
    """The cohort named by its number or by PACK/YEAR; CommandError saying what exists otherwise."""
    cohort: Cohort | None
    if text.isdigit():
        cohort = Cohort.objects.filter(pk=int(text)).first()
    else:
        pack_id, _, year = text.rpartition("/")
        cohort = Cohort.objects.filter(pack_id=pack_id, year=int(year)).first() if year.isdigit() else None
    if cohort is None:
        known = ", ".join(f"{c.pk} ({c.pack_id}/{c.year})" for c in Cohort.objects.all()[:20]) or "none"
        raise CommandError(f"no cohort '{text}': give its number or PACK/YEAR; cohorts: {known}")
    return cohort


class Command(BaseCommand):
    help = "Programme cohorts: re-run an allocation from its published seed; create cohorts and sessions."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
        allocate = sub.add_parser("allocate", help="the allocation a seed gives, in order")
        allocate.add_argument("cohort", help="cohort number or PACK/YEAR")
        allocate.add_argument("--seed", required=True, help="the published lottery seed")
        mode = allocate.add_mutually_exclusive_group()
        mode.add_argument("--check", action="store_true", help="compare with the stored allocation")
        mode.add_argument("--save", action="store_true", help="allocate the places with this seed (once)")
        cohort = sub.add_parser("cohort", help="create a year's cohort of a programme pack")
        cohort.add_argument("pack_id")
        cohort.add_argument("--year", type=int, required=True)
        cohort.add_argument("--area", required=True, help="code of the area the programme runs in")
        cohort.add_argument("--places", type=int, help="default: the pack's places parameter for the year")
        sessions = sub.add_parser("sessions", help="plan the sessions of every class from the calendar")
        sessions.add_argument("cohort")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except services.ProgrammeError as exc:
            raise CommandError(str(exc)) from None

    def _allocate(self, options: dict[str, Any]) -> None:
        cohort = cohort_lookup(options["cohort"])
        seed = options["seed"]
        if options["save"]:
            ranked = services.programme_allocate(cohort=cohort, seed=seed)
        else:
            ranked = services.allocation_compute(cohort=cohort, seed=seed)
        places = services.effective_places(cohort)
        self.stdout.write(f"# {cohort.pack_id} {cohort.year}: {len(ranked)} eligible, {places} places")
        self.stdout.write(
            f"# procedure {PROCEDURE}: priority descending, then SHA-256('{seed}:' + key) ascending"
        )
        self.stdout.write("position\tkey\tpriority\tlottery_number\tresult")
        waiting = 0
        for r in ranked:
            if r.is_allocated:
                result = "place"
            else:
                waiting += 1
                result = f"waiting {waiting}"
            self.stdout.write(f"{r.position}\t{r.key}\t{r.priority:g}\t{r.lottery_number}\t{result}")
        if options["check"]:
            self._check(cohort, seed, ranked)

    def _check(self, cohort: Cohort, seed: str, ranked: list[Any]) -> None:
        if not cohort.is_allocated:
            raise CommandError("this cohort is not allocated yet: nothing to compare with")
        stored = list(
            Allocation.objects.filter(cohort=cohort)
            .order_by("position")
            .values_list("position", "registration__key")
        )
        computed = [(r.position, r.key) for r in ranked]
        if seed != cohort.lottery_seed:
            raise CommandError(f"the published seed is '{cohort.lottery_seed}', not '{seed}'")
        if stored != computed:
            differing = 1 + next(
                (i for i, (a, b) in enumerate(zip(stored, computed, strict=False)) if a != b),
                min(len(stored), len(computed)),
            )
            raise CommandError(f"DIFFERENT from the stored allocation (first at position {differing})")
        self.stdout.write(self.style.SUCCESS(f"same as the stored allocation ({len(stored)} positions)"))

    def _cohort(self, options: dict[str, Any]) -> None:
        area = Area.objects.filter(code=options["area"]).first()
        if area is None:
            raise CommandError(f"no area '{options['area']}': import the areas first")
        cohort = services.cohort_create(
            pack_id=options["pack_id"], year=options["year"], area=area, places=options["places"]
        )
        self.stdout.write(f"cohort {cohort.pk}: {cohort.pack_id}/{cohort.year}, {cohort.places} places")

    def _sessions(self, options: dict[str, Any]) -> None:
        cohort = cohort_lookup(options["cohort"])
        created = services.session_plan(cohort=cohort)
        self.stdout.write(f"{created} sessions added")
