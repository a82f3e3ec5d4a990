"""``govreach demo setup`` step: the Jaboatão Prepara journey (br-prepara), ready to click through.

The demo population step imports a small Brazilian population (300 households: too few 9th-graders to
fill a cohort). So the schools' rolls come from a larger population the same generator writes for this
year (``var/populations/br-prepara-<year>``, fictitious people): each school's 9th-graders, their
guardians' phones and their CadÚnico family, registered school by school through the batch path (the
rules compiled in DuckDB). The cohort gets fewer places than eligible students; the places are
allocated with a printed seed; the teacher's class has four Saturday sessions, two with attendance
taken (one student absent twice, so a guardian alert waits in the outbox) and two mock exams scored.

Staff (only with GOVREACH_DEBUG=1) get the demo password and a confirmed authenticator whose secret is
printed. Running the step again changes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyotp
from django.conf import settings
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from govreach.accounts.models import StaffAssignment, StaffTOTPDevice
from govreach.accounts.services import staff_assignment_create
from govreach.catalogue.models import ServicePack
from govreach.catalogue.selectors import active_pack
from govreach.population import generate_population
from govreach.programmes import services
from govreach.programmes.models import Allocation, Attendance, ClassGroup, Cohort, Registration, Score
from govreach.registry.models import AREA_PATH_SEPARATOR, Area

if TYPE_CHECKING:
    from govreach.catalogue.management.commands.demo import DemoContext, StepReport

PACK_ID = "br-prepara"
DEMO_PASSWORD = "govreach-demo"  # noqa: S105 - printed for the tester; demo accounts exist only in DEBUG
HOUSEHOLDS = 4000
POPULATION_SEED = 2017
MUNICIPALITY_CODE = "BR-2607901"
STAFF = (
    ("prepara-coordenacao", "coordinator", "programme coordinator"),
    ("prepara-professora", "teacher", "teacher of the first class"),
    ("prepara-secretaria", "school_secretary", "school secretary (registers students)"),
)


def _staff_user(username: str) -> tuple[User, str]:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(username=username, password=DEMO_PASSWORD)
    device, _ = StaffTOTPDevice.objects.get_or_create(user=user, defaults={"secret": pyotp.random_base32(32)})
    if not device.is_confirmed:
        StaffTOTPDevice.objects.filter(pk=device.pk).update(confirmed_at=timezone.now())
    return user, device.secret


def _municipality() -> Area | None:
    """Jaboatão from the imported population, else the first Brazilian municipality there is."""
    return Area.objects.filter(code=MUNICIPALITY_CODE, level="municipality").first() or (
        Area.objects.filter(
            level="municipality", path__startswith=f"{AREA_PATH_SEPARATOR}BR{AREA_PATH_SEPARATOR}"
        )
        .order_by("path")
        .first()
    )


def _school_roll(year: int) -> Path:
    """This year's generated population (once): its school enrolment, guardians and CadÚnico."""
    out = Path(settings.VAR_DIR) / "populations" / f"{PACK_ID}-{year}"
    if not (out / "manifest.json").exists():
        generate_population(
            country="br",
            households=HOUSEHOLDS,
            seed=POPULATION_SEED,
            out_dir=out,
            reference_on=dt.date(year, 1, 1),
        )
    return out


def _income_band(income: float | None, minimum_wage: float) -> str:
    if income is None:
        return "not_registered"
    if income <= minimum_wage / 4:
        return "extreme_poverty"
    if income <= minimum_wage / 2:
        return "low_income"
    return "above_half_minimum_wage"


def school_lists(out: Path, *, minimum_wage: float) -> dict[str, list[services.StudentRow]]:
    """Each school's 9th-graders as the school would send them: identity, guardian, hub and facts."""
    reg = out / "registries"
    con = duckdb.connect()
    try:
        rows = con.sql(
            f"""
            SELECT e.given_name, e.family_name, e.birth_date, e.national_id,
                   e.school_id, e.school_name, e.hub_id, e.grade, e.school_year, e.area_code,
                   g.phone AS guardian_phone,
                   f.per_capita_income_brl, f.is_bolsa_familia
            FROM read_parquet('{(reg / "school_enrolment.parquet").as_posix()}') e
            LEFT JOIN (SELECT student_record_id, min(phone) AS phone
                       FROM read_parquet('{(reg / "student_guardians.parquet").as_posix()}')
                       WHERE phone IS NOT NULL GROUP BY ALL) g ON g.student_record_id = e.record_id
            LEFT JOIN (SELECT national_id, min(family_code) AS family_code
                       FROM read_parquet('{(reg / "cadunico_persons.parquet").as_posix()}')
                       WHERE national_id IS NOT NULL GROUP BY ALL) p ON p.national_id = e.national_id
            LEFT JOIN read_parquet('{(reg / "cadunico_families.parquet").as_posix()}') f
                   ON f.family_code = p.family_code
            WHERE e.grade = 9
            ORDER BY e.school_id, e.record_id
            """  # noqa: S608 - paths this step made
        )
        names = rows.columns
        records = [dict(zip(names, r, strict=True)) for r in rows.fetchall()]
    finally:
        con.close()
    lists: dict[str, list[services.StudentRow]] = defaultdict(list)
    for r in records:
        income = float(r["per_capita_income_brl"]) if r["per_capita_income_brl"] is not None else None
        facts: dict[str, Any] = {
            "student.school_network": "jaboatao_municipal",
            "student.grade": int(r["grade"]),
            "student.school_year": int(r["school_year"]),
            "student.municipality_ibge": str(r["area_code"] or "")[3:10] or None,
            "family.income_per_capita_brl": income,
            "family.cadunico_income_band": _income_band(income, minimum_wage),
            "family.cash_transfer": r["is_bolsa_familia"],
        }
        lists[str(r["school_id"])].append(
            services.StudentRow(
                identity=services.StudentIdentity(
                    str(r["given_name"] or ""),
                    str(r["family_name"] or ""),
                    r["birth_date"],
                    str(r["national_id"] or ""),
                ),
                facts={k: v for k, v in facts.items() if v is not None},
                guardian_phone=str(r["guardian_phone"] or ""),
                school_code=str(r["school_id"]),
                school_name=str(r["school_name"] or ""),
                hub_code=str(r["hub_id"] or ""),
            )
        )
    return dict(lists)


def _demo_score(key: str, exam: str) -> int:
    """A stable, made-up score from 30 to 90 (the same on every run)."""
    return 30 + int(hashlib.sha256(f"{exam}:{key}".encode()).hexdigest()[:4], 16) % 61


def demo_programme_ensure(*, today: dt.date) -> dict[str, Any]:
    """Everything the journey needs, created once; returns what to print."""
    area = _municipality()
    if area is None:
        raise RuntimeError("no Brazilian municipality in the registry: the population step must run first")
    users: dict[str, tuple[User, str]] = {}
    for username, role, _description in STAFF:
        user, secret = _staff_user(username)
        users[username] = (user, secret)
        if not StaffAssignment.objects.filter(user=user, pack_id=PACK_ID, role=role, area=area).exists():
            staff_assignment_create(
                user=user, pack_id=PACK_ID, role=role, area=area, starts_on=dt.date(today.year, 1, 1)
            )
    coordinator = users["prepara-coordenacao"][0]
    teacher = users["prepara-professora"][0]
    secretary = users["prepara-secretaria"][0]
    year = today.year
    cohort = Cohort.objects.filter(pack_id=PACK_ID, year=year).first()
    seed = f"Jaboatão Prepara {year}: sorteio público"
    if cohort is None:
        pack = active_pack(PACK_ID)
        wage = pack.ruleset.parameters["minimum_wage_brl"].value_on(dt.date(year, 1, 1))
        lists = school_lists(_school_roll(year), minimum_wage=float(wage.value) if wage else 1518.0)  # type: ignore[arg-type]
        every = [row for rows in lists.values() for row in rows]
        decided = services.batch_decide(pack.ruleset, [dict(r.facts) for r in every], on=dt.date(year, 3, 1))
        eligible = sum(1 for d in decided if d["decisions"]["may_enrol"])
        # Fewer places than eligible students, as in 2017 (1,400 places for about 4,500).
        cohort = services.cohort_create(
            pack_id=PACK_ID, year=year, area=area, places=max(1, eligible * 2 // 3)
        )
        for rows in lists.values():
            services.registration_create_batch(
                cohort=cohort, rows=rows, registered_by=secretary, language="pt-BR", on=dt.date(year, 3, 1)
            )
    if cohort.status == Cohort.Status.OPEN:
        services.programme_allocate(cohort=cohort, seed=seed, by=coordinator)
        cohort.refresh_from_db()
    group = ClassGroup.objects.filter(cohort=cohort).order_by("name").first()
    if group is not None:
        if group.teacher_id is None:
            services.class_group_assign_teacher(class_group=group, teacher=teacher)
        calendar_days = services.programme_of(active_pack(PACK_ID)).calendar.dates_in(year)[:4]
        services.session_plan(cohort=cohort, dates=calendar_days)
        sessions = list(group.sessions.order_by("held_on"))
        roster = list(
            Registration.objects.filter(
                allocation__class_group=group, allocation__status="allocated"
            ).order_by("key")
        )
        if roster and not Attendance.objects.filter(session__class_group=group).exists():
            everyone_but_first = [r.pk for r in roster[1:]]
            for session in sessions[:2]:
                services.attendance_record_class(
                    session=session, present=everyone_but_first, recorded_by=teacher
                )
        exams = list(cohort.mock_exams.order_by("order"))[:2]
        if roster and not Score.objects.filter(mock_exam__in=exams).exists():
            for exam in exams:
                services.score_record_class(
                    mock_exam=exam,
                    class_group=group,
                    points={r.pk: str(_demo_score(r.key, exam.exam_id)) for r in roster},
                    recorded_by=teacher,
                )
    return {
        "area": area,
        "users": users,
        "cohort": cohort,
        "group": group,
        "seed": cohort.lottery_seed or seed,
    }


def step_programmes(ctx: DemoContext) -> StepReport:
    """The Jaboatão Prepara demo: staff, a cohort, registrations, the allocation and a class."""
    from govreach.catalogue.management.commands.demo import StepReport

    title = "Programme enrolment demo (br-prepara)"
    if not settings.DEBUG:
        return StepReport(title, [], warnings=["skipped: demo accounts are made only with GOVREACH_DEBUG=1"])
    if not ServicePack.objects.filter(pack_id=PACK_ID, is_active=True).exists():
        return StepReport(title, [], warnings=[f"skipped: load {PACK_ID} first (govreach packs load packs/)"])
    try:
        made = demo_programme_ensure(today=timezone.localdate())
    except RuntimeError as exc:
        return StepReport(title, [], warnings=[f"skipped: {exc}"])
    cohort: Cohort = made["cohort"]
    area: Area = made["area"]
    registered = Registration.objects.filter(cohort=cohort)
    allocations = Allocation.objects.filter(cohort=cohort)
    eligible = registered.filter(is_eligible=True).count()
    allocated = allocations.filter(status="allocated").count()
    waiting = allocations.filter(status="waiting").count()
    lines = [
        f"cohort {cohort.pk}: {cohort.year}, {area.name} ({area.code}); {registered.count()} 9th-graders "
        f"registered by their schools, {eligible} may enrol, {cohort.places} places",
        f"allocated with the published seed '{made['seed']}': {allocated} places, {waiting} waiting",
        f"  re-run it: GOVREACH_DEBUG=1 uv run --frozen govreach programme allocate {cohort.pk} "
        f"--seed '{made['seed']}' --check",
        f"staff sign in at {ctx.url(reverse('accounts:staff_login'))} with the password {DEMO_PASSWORD};",
        "  the code: uv run --frozen python -c \"import pyotp; print(pyotp.TOTP('<secret>').now())\"",
        "  (or add the secret to an authenticator app)",
    ]
    for username, role, description in STAFF:
        lines.append(f"  {username:<20} {description} ({role}), TOTP secret {made['users'][username][1]}")
    group: ClassGroup | None = made["group"]
    session = group.sessions.order_by("held_on").first() if group is not None else None

    def url(name: str, **kwargs: object) -> str:
        return ctx.url(reverse(f"programmes:{name}", kwargs=kwargs or None))

    lines += [
        f"programmes home:  {url('home')}",
        f"cohort page:      {url('cohort', cohort_id=cohort.pk)}",
        f"public list:      {url('allocation_public', cohort_id=cohort.pk)}",
        f"register:         {url('register', pack_id=PACK_ID)} (closed once the places are allocated)",
        f"outcomes:         {url('outcomes', cohort_id=cohort.pk)}",
    ]
    if group is not None:
        lines.append(f"class {group.name}:    {url('class', class_id=group.pk)}")
    if session is not None:
        lines.append(f"attendance:       {url('session_attendance', session_id=session.pk)}")
    return StepReport(title, lines)
