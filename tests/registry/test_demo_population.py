"""make demo loads a small generated population for each pack that declares one."""

from pathlib import Path

import pytest

from govreach.registry.demo import demo_population_load
from govreach.registry.models import Area, Household, Person, SourceRecord

PACKS = Path(__file__).resolve().parents[2] / "packs"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "pack", ["pt-social-energy-tariff", "bd-land-mutation", "kr-hyo-home-visits", "br-prepara"]
)
def test_each_pack_loads_its_demo_population_once(pack: str, tmp_path: Path) -> None:
    first = demo_population_load(pack_dir=PACKS / pack, var_dir=tmp_path)
    assert first is not None
    counts = (
        Person.objects.count(),
        Household.objects.count(),
        SourceRecord.objects.count(),
        Area.objects.count(),
    )
    assert first.persons_imported == counts[0] > first.households  # more people than households
    assert counts[1] > 0
    # every imported person sits in one of the country's areas
    assert not Person.objects.filter(area__isnull=True).exists()
    second = demo_population_load(pack_dir=PACKS / pack, var_dir=tmp_path)
    assert second == first
    assert (
        Person.objects.count(),
        Household.objects.count(),
        SourceRecord.objects.count(),
        Area.objects.count(),
    ) == counts


def test_a_pack_without_population_declares_none(tmp_path: Path) -> None:
    assert demo_population_load(pack_dir=tmp_path, var_dir=tmp_path) is None
