"""`govreach programme allocate` re-runs the published allocation; programme.yaml problems name the file,
the line, the field and the fix."""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from govreach.packs.loader import check_pack
from govreach.packs.schema import json_schema
from govreach.programmes import services
from govreach.programmes.models import Allocation, Cohort, Registration

from .conftest import PACK_ID, YEAR, pack_dir

LOW = {"family.cash_transfer": False}


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("programme", *args, stdout=out)
    return out.getvalue()


def test_anyone_can_rerun_the_allocation_and_check_it(
    cohort: Cohort, register: Callable[..., Registration]
) -> None:
    regs = [register(LOW) for _ in range(6)]
    printed = _run("allocate", str(cohort.pk), "--seed", "public seed")
    assert not Allocation.objects.exists()  # printing stores nothing
    services.programme_allocate(cohort=cohort, seed="public seed")
    stored_keys = list(
        Allocation.objects.filter(cohort=cohort)
        .order_by("position")
        .values_list("registration__key", flat=True)
    )
    lines = [line.split("\t") for line in printed.splitlines() if not line.startswith(("#", "position"))]
    assert [line[1] for line in lines] == stored_keys
    assert [line[4] for line in lines] == ["place"] * 3 + ["waiting 1", "waiting 2", "waiting 3"]
    assert "same as the stored allocation (6 positions)" in _run(
        "allocate", f"{PACK_ID}/{YEAR}", "--seed", "public seed", "--check"
    )
    with pytest.raises(CommandError, match="the published seed is 'public seed'"):
        _run("allocate", str(cohort.pk), "--seed", "another seed", "--check")
    assert len(regs) == 6


def test_check_reports_a_tampered_allocation(cohort: Cohort, register: Callable[..., Registration]) -> None:
    for _ in range(4):
        register(LOW)
    services.programme_allocate(cohort=cohort, seed="s")
    a, b = Allocation.objects.filter(cohort=cohort).order_by("position")[:2]
    Allocation.objects.filter(pk=a.pk).update(position=999)
    Allocation.objects.filter(pk=b.pk).update(position=1)
    Allocation.objects.filter(pk=a.pk).update(position=2)
    with pytest.raises(CommandError, match="DIFFERENT from the stored allocation \\(first at position 1\\)"):
        _run("allocate", str(cohort.pk), "--seed", "s", "--check")


def test_save_allocates_once_and_unknown_cohorts_are_named(
    cohort: Cohort, register: Callable[..., Registration]
) -> None:
    register()
    _run("allocate", str(cohort.pk), "--seed", "s", "--save")
    assert Cohort.objects.get(pk=cohort.pk).lottery_seed == "s"
    with pytest.raises(CommandError, match="already allocated"):
        _run("allocate", str(cohort.pk), "--seed", "t", "--save")
    with pytest.raises(CommandError, match="no cohort 'nope/2026'"):
        _run("allocate", "nope/2026", "--seed", "s")


def _broken_pack(tmp_path: Path, old: str, new: str) -> list[str]:
    target = tmp_path / PACK_ID
    shutil.copytree(pack_dir(), target)
    path = target / "programme.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    return [str(p) for p in check_pack(target)]


def test_the_shipped_programme_is_sound() -> None:
    assert check_pack(pack_dir()) == []
    assert "programme.yaml" in json_schema()["files"]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "  class_size: 40",
            "  clas_size: 40",
            "programme.yaml:22: cohort.clas_size: unknown field 'clas_size'\n    fix: did you mean 'class_size'?",
        ),
        (
            "priority: priority_score",
            "priority: priorty_score",
            "eligibility.priority: no output 'priorty_score' in rules.yaml\n    fix: did you mean 'priority_score'?",
        ),
        (
            "decision: may_enrol",
            "decision: may_enroll",
            "eligibility.decision: no decision 'may_enroll' in rules.yaml\n    fix: did you mean 'may_enrol'?",
        ),
        (
            "places: places_in_cohort",
            "places: places",
            "cohort.places: no parameter or output 'places' in rules.yaml",
        ),
        (
            "message: prepara_guardian_absences",
            "message: prepara_guardian_absence",
            "attendance_alert.message: no message 'prepara_guardian_absence' in messages/\n    fix: did you mean 'prepara_guardian_absences'?",
        ),
        (
            "    area_level: municipality\n    can: [register]",
            "    area_level: school_district\n    can: [register]",
            "roles.school_secretary.area_level: unknown area level 'school_district'",
        ),
        (
            'ends_at: "12:00"',
            'ends_at: "07:00"',
            "cohort.calendar.ends_at: sessions end at 07:00, not after 08:00",
        ),
        ("weekday: saturday", "weekday: sabado", "cohort.calendar.weekday: Input should be 'monday'"),
        (
            "denominators: [enrolled, sat]",
            "denominators: [sat, sat]",
            "outcomes.denominators: outcomes must be reported against both denominators",
        ),
        (
            "{id: HUB-6, title: {pt-BR: Polo Candeias, en: Candeias hub,",
            "{id: HUB-6, title: {pt-BR: Polo Candeias,",
            "cohort.hubs[5].title: no text in en",
        ),
    ],
)
def test_programme_problems_name_file_line_field_and_fix(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    problems = _broken_pack(tmp_path, old, new)
    assert any(expected in p for p in problems), problems
    assert all(p.startswith(f"{PACK_ID}/programme.yaml:") for p in problems if "programme.yaml" in p)
