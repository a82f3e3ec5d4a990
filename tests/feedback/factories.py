"""Model factories for the services rated besides applications and tariffs: an outreach home visit (Seoul
HYO) and a programme course (Jaboatão Prepara), with small area trees for each. Rows are made directly,
without loading the packs, so the tests that use them stay fast; tests/ussd uses them too."""

from __future__ import annotations

import datetime as dt
import itertools
import tempfile
from functools import cache
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone

from govreach.outreach.models import OutreachRegistration, Visit
from govreach.packs.loader import Pack, load_pack
from govreach.programmes.models import Cohort, Outcome, Registration
from govreach.registry.models import Area, Person
from govreach.registry.services import area_import_csv

HYO = "kr-hyo-home-visits"
PREPARA = "br-prepara"
KR_AREAS = [
    ("KR", "Korea", "country", ""),
    ("KR-11", "Seoul", "city", "KR"),
    ("KR-11200", "Seongdong-gu", "district", "KR-11"),
    ("KR-11200550", "Haengdang 1-dong", "dong", "KR-11200"),
    ("KR-11200610", "Oksu-dong", "dong", "KR-11200"),
]
BR_AREAS = [
    ("BR", "Brasil", "country", ""),
    ("BR-PE", "Pernambuco", "state", "BR"),
    ("BR-2607901", "Jaboatão dos Guararapes", "municipality", "BR-PE"),
]
VISITED_PHONE = "+821055501234"  # the visited person's phone on record
GUARDIAN_PHONE = "+5581999990001"

_keys = itertools.count(1)


@cache
def pack(pack_id: str) -> Pack:
    """A reference pack, loaded once per test process (for the few tests that need it in the catalogue)."""
    return load_pack(Path(settings.BASE_DIR) / "packs" / pack_id)


def import_areas(rows: list[tuple[str, str, str, str]]) -> dict[str, Area]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "areas.csv"
        lines = ["code,name,level,parent_code", *(",".join(row) for row in rows)]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        area_import_csv(csv_path=path)
    return {a.code: a for a in Area.objects.filter(code__in=[r[0] for r in rows])}


def _staff(username: str) -> User:
    user, _created = User.objects.get_or_create(username=username)
    return user


def make_person(*, area_code: str, phone: str = "", language: str = "", name: str = "Person") -> Person:
    return Person.objects.create(
        given_name=name, area=Area.objects.get(code=area_code), phone=phone, preferred_language=language
    )


def make_visit(
    person: Person, *, status: str = "done", done_at: dt.datetime | None = None, pack_id: str = HYO
) -> Visit:
    """A home visit of ``person`` by a nurse: done (now, or at ``done_at``), planned or missed."""
    registration, _created = OutreachRegistration.objects.get_or_create(
        pack_id=pack_id,
        person=person,
        defaults={
            "tier": "general",
            "decided_on": timezone.localdate(),
            "ruleset_version": "1.0.0",
            "area": person.area,
            "status": OutreachRegistration.Status.REGISTERED,
        },
    )
    day = timezone.localdate()
    is_done = status == Visit.Status.DONE
    return Visit.objects.create(
        registration=registration,
        nurse=_staff("nurse-haengdang"),
        due_on=day,
        scheduled_on=day,
        status=status,
        done_at=(done_at or timezone.now()) if is_done else None,
    )


def make_course(
    student: Person,
    *,
    guardian_phone: str = "",
    with_outcome: bool = True,
    channel: str = "school",
    registered_by: User | None = None,
    language: str = "pt-BR",
) -> Registration:
    """A Prepara student's registration; with its entrance-exam outcome recorded, the course is over."""
    cohort, _created = Cohort.objects.get_or_create(
        pack_id=PREPARA,
        year=2026,
        defaults={"area": Area.objects.get(code="BR-2607901"), "places": 40},
    )
    registration = Registration.objects.create(
        cohort=cohort,
        student=student,
        key=f"K7M{next(_keys):02d}-QX4P",
        guardian_phone=guardian_phone,
        channel=channel,
        registered_by=registered_by or _staff("prepara-secretaria"),
        language=language,
        decided_on=dt.date(2026, 3, 1),
        is_eligible=True,
    )
    if with_outcome:
        Outcome.objects.create(
            registration=registration,
            has_sat_exam=True,
            has_passed=True,
            recorded_by=_staff("prepara-professora"),
        )
    return registration
