"""A pilot's evaluation: the intervals against published values, and satisfaction (people who rated a
service 4 or 5 of 5) in pilot and comparison areas before and after, against a direct count; groups
with fewer ratings than the open data's minimum cell are not shown, and neither is the effect."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from govreach.cases.models import Application
from govreach.catalogue.models import PackPilot, ServicePack
from govreach.entitlements.models import Cycle, Entitlement
from govreach.feedback.models import Rating
from govreach.policy.evaluation import Indicator, newcombe, pilot_evaluate, wilson
from govreach.policy.services import pilot_start
from govreach.registry.models import Area
from govreach.registry.services import area_import_csv

from .conftest import PACK, approve
from .test_views import officer, signed_in

AREAS = [
    ("PT", "Portugal", "country", ""),
    ("PT-11", "Lisboa", "district", "PT"),
    ("PT-1106", "Lisboa (município)", "municipality", "PT-11"),
    ("PT-110601", "Ajuda", "parish", "PT-1106"),
    ("PT-03", "Braga", "district", "PT"),
    ("PT-0303", "Braga (município)", "municipality", "PT-03"),
    ("PT-030301", "Adaúfe", "parish", "PT-0303"),
]
STARTS_ON, ENDS_ON = dt.date(2025, 3, 1), dt.date(2025, 3, 31)  # 31 days: before is 29 Jan - 28 Feb
OLD_ON, BEFORE_ON, AFTER_ON = dt.date(2025, 1, 1), dt.date(2025, 2, 1), dt.date(2025, 3, 1)
INSIDE, OUTSIDE = "PT-110601", "PT-030301"


def test_the_intervals_match_newcombes_published_values() -> None:
    # Newcombe (1998), Statistics in Medicine 17: Wilson score intervals of one proportion (857-872)
    # and method 10 for a difference of two (873-890), to 4 decimals.
    for (s, n), expected in (
        ((81, 263), (0.2553, 0.3662)),
        ((15, 148), (0.0624, 0.1605)),
        ((0, 20), (0, 0.1611)),
    ):
        assert wilson(s, n) == pytest.approx(expected, abs=5e-5)
    d, low, high = newcombe(48, 80, 56, 70)  # 56/70 - 48/80
    assert (d, low, high) == pytest.approx((0.2, 0.0524, 0.3339), abs=5e-5)


@pytest.fixture
def pilot(loaded: dict[str, ServicePack], proposer: Any, approver: Any, tmp_path: Path) -> PackPilot:
    """0.9.0 piloted in Lisboa through March 2025 (1.0.0 in force elsewhere), and three cycles:
    January (before the comparison window), February (before) and March (during)."""
    csv = tmp_path / "areas.csv"
    csv.write_text("code,name,level,parent_code\n" + "\n".join(",".join(a) for a in AREAS) + "\n")
    area_import_csv(csv_path=csv)
    approve(loaded["0.9.0"], approver)
    for on in (OLD_ON, BEFORE_ON, AFTER_ON):
        Cycle.objects.create(
            pack_id=PACK, pack_version="1.0.0", decided_on=on, status=Cycle.Status.COMPLETED,
            registries_dir="", workdir="",
        )  # fmt: skip
    return pilot_start(
        service_pack=loaded["0.9.0"],
        areas=[Area.objects.get(code="PT-11")],
        starts_on=STARTS_ON,
        ends_on=ENDS_ON,
        by=proposer,
    )


_numbers = itertools.count(1)


def _rater() -> User:
    return User.objects.create_user(username=f"rater-{next(_numbers)}")


def rate_grants(on: dt.date, area_code: str, ratings: list[int], pack_id: str = PACK) -> None:
    """One entitlement granted by the cycle of ``on`` in ``area_code`` per rating, each rated once."""
    cycle = Cycle.objects.get(pack_id=PACK, decided_on=on)
    for score in ratings:
        unit = f"PT00{next(_numbers):016d}"
        grant = Entitlement.objects.create(
            pack_id=pack_id, unit_key=unit, supply_point_code=unit, area_code=area_code,
            valid_from=on, granted_in=cycle, pack_version=cycle.pack_version,
        )  # fmt: skip
        Rating.objects.create(
            service_kind="entitlement", service_key=str(grant.pk), service=pack_id, user=_rater(),
            area=Area.objects.get(code=area_code), channel="digital", rating=score,
        )  # fmt: skip


def rate_application(on: dt.date, area_code: str, score: int) -> None:
    """An application of the pack decided on ``on`` in ``area_code``, rated by its applicant."""
    user = _rater()
    decided_at = timezone.make_aware(dt.datetime.combine(on, dt.time(12)))
    application = Application.objects.create(
        reference=f"PT-2025-{next(_numbers):06d}", pack_id=PACK, pack_version="0.9.0", form_id="application",
        applicant=user, submitted_by=user, area=Area.objects.get(code=area_code), state="approved",
        submitted_at=decided_at, decided_at=decided_at,
    )  # fmt: skip
    Rating.objects.create(
        service_kind="case", service_key=str(application.pk), service=PACK, user=user,
        area=application.area, channel="digital", rating=score,
    )  # fmt: skip


def _satisfaction(pilot: PackPilot, today: dt.date = dt.date(2025, 6, 1)) -> Indicator:
    (found,) = [i for i in pilot_evaluate(pilot, today=today).indicators if i.key == "satisfied"]
    return found


def test_satisfaction_before_and_after_in_pilot_and_other_areas_matches_a_direct_count(
    pilot: PackPilot,
) -> None:
    given = {
        ("pilot", "before"): [5, 4, 3, 2, 4, 1, 3, 5, 2, 4, 3, 2],
        ("pilot", "after"): [5, 5, 4, 4, 3, 5, 4, 2, 5, 4, 4, 5, 3, 4],
        ("other", "before"): [4, 3, 2, 5, 4, 3, 1, 4, 2, 3, 5, 4, 3, 2, 4, 3],
        ("other", "after"): [4, 3, 3, 5, 2, 4, 3, 4, 2, 3, 5, 4, 1],
    }
    where = {"pilot": INSIDE, "other": OUTSIDE}
    when = {"before": BEFORE_ON, "after": AFTER_ON}
    for (group, period), ratings in given.items():
        rate_grants(when[period], where[group], ratings)
    # Applications of the same service count too, by where and when they were decided.
    rate_application(dt.date(2025, 3, 20), INSIDE, 5)
    rate_application(dt.date(2025, 2, 10), OUTSIDE, 1)
    given[("pilot", "after")].append(5)
    given[("other", "before")].append(1)
    # Not counted: grants of January (before the same-length window), another service's ratings, and an
    # application decided after the pilot ended.
    rate_grants(OLD_ON, INSIDE, [1, 1, 1, 1])
    rate_grants(AFTER_ON, INSIDE, [1, 1], pack_id="another-service")
    rate_application(dt.date(2025, 4, 2), INSIDE, 1)

    evaluation = pilot_evaluate(pilot, today=dt.date(2025, 6, 1))
    assert (evaluation.window_from, evaluation.window_to) == (dt.date(2025, 1, 29), ENDS_ON)
    (satisfied,) = [i for i in evaluation.indicators if i.key == "satisfied"]

    direct = {key: (sum(r >= 4 for r in ratings), len(ratings)) for key, ratings in given.items()}
    shares = {
        ("pilot", "before"): satisfied.pilot_before,
        ("pilot", "after"): satisfied.pilot_after,
        ("other", "before"): satisfied.other_before,
        ("other", "after"): satisfied.other_after,
    }
    assert {key: (s.successes, s.n) for key, s in shares.items()} == direct
    assert not satisfied.is_suppressed and satisfied.is_measured
    rate = {key: s / n for key, (s, n) in direct.items()}
    for key, share in shares.items():
        assert share.rate == pytest.approx(rate[key])
        assert share.interval == pytest.approx(wilson(*direct[key]))
    # The effect: the change in the pilot areas minus the change elsewhere, with its interval made of
    # the two changes' Newcombe intervals.
    expected = (rate["pilot", "after"] - rate["pilot", "before"]) - (
        rate["other", "after"] - rate["other", "before"]
    )
    d1, l1, u1 = newcombe(*direct["pilot", "before"], *direct["pilot", "after"])
    d0, l0, u0 = newcombe(*direct["other", "before"], *direct["other", "after"])
    assert satisfied.effect == pytest.approx(
        (
            expected,
            expected - ((d1 - l1) ** 2 + (u0 - d0) ** 2) ** 0.5,
            expected + ((u1 - d1) ** 2 + (d0 - l0) ** 2) ** 0.5,
        )
    )
    assert satisfied.effect[1] < satisfied.effect[0] < satisfied.effect[2]


def test_satisfaction_with_fewer_ratings_than_the_minimum_cell_is_not_shown(
    pilot: PackPilot, approver: Any
) -> None:
    rate_grants(BEFORE_ON, INSIDE, [5, 1, 2])  # three people: their answers must not be readable
    rate_grants(AFTER_ON, INSIDE, [4] * 10 + [3] * 2)
    rate_grants(BEFORE_ON, OUTSIDE, [4] * 6 + [2] * 5)
    rate_grants(AFTER_ON, OUTSIDE, [5] * 7 + [1] * 4)

    satisfied = _satisfaction(pilot)
    assert satisfied.pilot_before.is_hidden and (
        satisfied.pilot_before.n,
        satisfied.pilot_before.successes,
    ) == (3, 1)
    assert not any(
        s.is_hidden for s in (satisfied.pilot_after, satisfied.other_before, satisfied.other_after)
    )
    assert satisfied.is_suppressed and not satisfied.is_measured and not satisfied.is_clear

    page = signed_in(officer(approver)).get(f"/staff/policy/pilots/{pilot.pk}/").content.decode()
    assert "from 2025-01-29 to the day before 2025-03-01, and from 2025-03-01 to 2025-03-31" in page
    section = page[page.index("Satisfaction: people satisfied") :]
    assert "fewer than 10" in section and "1 / 3" not in section
    assert "10 / 12" in section and "6 / 11" in section  # the groups large enough are shown
    assert "Too few ratings in at least one group" in section
    assert "Effect" not in section  # it would give the hidden share back


def test_no_ratings_is_not_measured_yet(pilot: PackPilot) -> None:
    satisfied = _satisfaction(pilot)
    assert {s.n for s in satisfied.shares} == {0}
    assert not satisfied.is_suppressed and not satisfied.is_measured
