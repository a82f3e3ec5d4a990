"""Published figures of an application service: counts per area and level, rates and processing times,
each under disclosure control; the snapshot pages read."""

from __future__ import annotations

import pytest
from tests.transparency.attacker import attack
from tests.transparency.conftest import NOW, MakeApplications

from govreach.packs.loader import Pack
from govreach.transparency.figures import pack_figures, published_for, snapshot_refresh
from govreach.transparency.models import Snapshot

pytestmark = pytest.mark.django_db

ASHULIA, DHAMSONA, KULLA = "BD-30260101", "BD-30260102", "BD-30260201"


@pytest.fixture
def busy(bd_service_pack: object, make_applications: MakeApplications) -> None:
    """Ashulia: 30 approved in 10 days, 12 rejected late (40 days), 15 pending overdue, 11 filed with help;
    Dhamsona: 20 approved, 10 drafts; Kulla: 4 approved (a small union)."""
    make_applications(ASHULIA, 30, days=10)
    make_applications(ASHULIA, 12, outcome="rejected", days=40)
    make_applications(ASHULIA, 15, state="pending", overdue=True)
    make_applications(ASHULIA, 11, days=5, assisted=True)
    make_applications(DHAMSONA, 20, days=20)
    make_applications(DHAMSONA, 10, state="draft")
    make_applications(KULLA, 4, days=12)


def test_counts_add_up_from_union_to_country(bd_pack: Pack, busy: None) -> None:
    (published,) = pack_figures(bd_pack, now=NOW)
    assert published.year == 2026
    national = published.counts["BD"]
    assert national["received"] == 92
    assert national["started"] == 102
    assert national["approved"] == 65
    assert national["overdue"] == 15
    assert published.counts[ASHULIA]["assisted"] == 11
    assert published.counts[ASHULIA]["decided_late"] == 12


def test_a_small_union_is_suppressed_and_cannot_be_worked_out(bd_pack: Pack, busy: None) -> None:
    (published,) = pack_figures(bd_pack, now=NOW)
    assert published.counts[KULLA]["received"] is None
    # Kulla is Dhamrai's only union: the upazila is the same count, hidden too.
    assert published.counts["BD-302602"]["received"] is None
    for row in published.counts.values():
        assert all(v is None or v == 0 or v >= 10 for v in row.values())


def test_published_cells_resist_the_attacker_on_real_figures(bd_pack: Pack, busy: None) -> None:
    from govreach.transparency.cube import AreaNode, cube_build
    from govreach.transparency.figures import APPLICATION_RELATIONS, APPLICATION_VARIABLES

    (published,) = pack_figures(bd_pack, now=NOW)
    areas = {a["code"]: AreaNode(**a) for a in published.areas}
    # Rebuild the relations a reader knows and attack what was published.
    cube = cube_build(
        variables=APPLICATION_VARIABLES, relations=APPLICATION_RELATIONS, counts_at={}, areas=areas
    )
    cube.areas = areas
    groups = cube.groups()
    cells = {(code, v): value for code, row in published.counts.items() for v, value in row.items()}
    assert any(v is None for v in cells.values())
    assert attack(cells, groups) == {}


def test_rates_and_times_only_from_published_counts(bd_pack: Pack, busy: None) -> None:
    (published,) = pack_figures(bd_pack, now=NOW)
    ashulia = published.measures[ASHULIA]
    assert ashulia["approval_rate_pct"] == round(100 * 41 / 53, 1)
    assert ashulia["median_days"] == 10.0
    assert ashulia["p90_days"] == 40.0
    assert ashulia["digital_share_pct"] == round(100 * 57 / 68, 1)
    kulla = published.measures[KULLA]
    assert kulla["approval_rate_pct"] is None
    assert kulla["median_days"] is None
    assert published.measures["BD"]["completion_rate_pct"] == round(100 * 92 / 102, 1)


def test_feedback_not_measured_until_the_feedback_app_ships(bd_pack: Pack, busy: None) -> None:
    from govreach.transparency.figures import _feedback_module

    (published,) = pack_figures(bd_pack, now=NOW)
    assert published.national["is_feedback_measured"] is (_feedback_module() is not None)


def test_snapshot_is_stored_and_read_without_recomputing(
    bd_pack: Pack, busy: None, django_assert_max_num_queries: object
) -> None:
    snapshot_refresh(pack=bd_pack)
    assert Snapshot.objects.filter(pack_id=bd_pack.id).count() == 1
    with django_assert_max_num_queries(1):  # type: ignore[operator]
        (published,) = published_for(bd_pack)
    assert published.counts["BD"]["received"] == 92


def test_no_personal_data_in_a_snapshot(bd_pack: Pack, busy: None) -> None:
    snapshot_refresh(pack=bd_pack)
    text = str(Snapshot.objects.get(pack_id=bd_pack.id).data)
    assert "BD-2026-0000" not in text  # no application reference
    assert "applicant" not in text and "udc-operator" not in text


def test_a_stale_snapshot_is_recomputed_and_a_fresh_one_is_not(
    bd_pack: Pack, busy: None, make_applications: MakeApplications
) -> None:
    import datetime as dt

    snapshot_refresh(pack=bd_pack, now=NOW)
    make_applications(ASHULIA, 10, days=10)
    (fresh,) = published_for(bd_pack, now=NOW + dt.timedelta(hours=1))
    assert fresh.counts["BD"]["received"] == 92  # read, not recomputed
    (stale,) = published_for(bd_pack, now=NOW + dt.timedelta(days=2))
    assert stale.counts["BD"]["received"] == 102
