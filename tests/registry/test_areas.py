"""The area hierarchy: loading areas.csv, ancestors, descendants, everything in a district."""

from __future__ import annotations

from pathlib import Path

import pytest

from govreach.registry.models import Area, Person
from govreach.registry.selectors import area_get, person_list_in_area
from govreach.registry.services import AreaFileError, area_import_csv

pytestmark = pytest.mark.django_db


def test_paths_are_materialised_even_when_children_come_first(areas: int) -> None:
    assert areas == 7
    parish = area_get(code="PT-110601")
    assert parish.path == "/PT/PT-11/PT-1106/PT-110601/"
    assert parish.depth == 3
    assert parish.parent is not None
    assert parish.parent.code == "PT-1106"


def test_ancestors_are_listed_root_first(areas: int) -> None:
    assert [a.code for a in area_get(code="PT-110602").ancestors()] == ["PT", "PT-11", "PT-1106"]
    assert list(area_get(code="PT").ancestors()) == []


def test_descendants_cover_every_depth_and_nothing_else(areas: int) -> None:
    lisboa = area_get(code="PT-11")
    assert {a.code for a in lisboa.descendants()} == {"PT-1106", "PT-110601", "PT-110602"}
    assert "PT-11" in {a.code for a in lisboa.descendants(include_self=True)}


def test_everyone_in_a_district_is_one_query(areas: int, django_assert_num_queries: object) -> None:
    arroios, porto = area_get(code="PT-110601"), area_get(code="PT-1312")
    inside = Person.objects.create(area=arroios)
    Person.objects.create(area=porto)
    Person.objects.create(area=None)
    lisboa = area_get(code="PT-11")
    with django_assert_num_queries(1):  # type: ignore[operator]
        found = list(person_list_in_area(area=lisboa))
    assert found == [inside]


def test_reloading_areas_moves_an_area_and_its_subtree_keeps_working(areas: int, tmp_path: Path) -> None:
    path = tmp_path / "move.csv"
    path.write_text("code,name,level,parent_code\nPT-1106,Lisboa,municipality,PT-13\n", encoding="utf-8")
    area_import_csv(csv_path=path)
    assert area_get(code="PT-1106").path == "/PT/PT-13/PT-1106/"
    assert Area.objects.count() == 7


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("code,name,level,parent_code\nA,a,country,B\nB,b,region,A\n", "cycle"),
        ("code,name,level,parent_code\nA,a,country,NOPE\n", "not a known area"),
        ("code,name,level\nA,a,country\n", "missing column"),
        ("code,name,level,parent_code\nA/B,a,country,\n", "without '/'"),
    ],
)
def test_bad_area_files_name_the_problem(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "areas.csv"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(AreaFileError, match=message):
        area_import_csv(csv_path=path)
    assert Area.objects.count() == 0
