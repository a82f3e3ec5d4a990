"""A pilot puts a version in force in chosen areas; the cycle and single decisions honour it; rolling it
back does to the pilot's entitlements what the version declares, at the next cycle."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from govreach.catalogue.models import PackPilot, ServicePack
from govreach.catalogue.selectors import active_pack, service_pack_in_force
from govreach.catalogue.services import PackVersionRefused
from govreach.entitlements.models import Entitlement
from govreach.entitlements.services import cycle_run
from govreach.packs.loader import load_pack
from govreach.policy.dryrun import area_rollup, dry_run
from govreach.policy.selectors import entitlement_decision
from govreach.policy.services import pilot_roll_back, pilot_start
from govreach.population import generate_population
from govreach.registry.models import Area
from govreach.registry.services import area_import_csv

from .conftest import PACK, PACK_DIR, approve, put_in_force

FIRST_ON = dt.date(2025, 1, 1)
SECOND_ON = dt.date(2025, 2, 1)


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pt-pilot")
    generate_population(country="pt", households=500, seed=8, out_dir=out)
    return out


@pytest.fixture(scope="module")
def pilot_district(population: Path) -> tuple[str, set[str], set[str]]:
    """The district where most households gain from the higher limit, the units gaining there and
    elsewhere (from a dry run of 0.9.0 -> 1.0.0 on the same snapshot)."""
    run = dry_run(
        before=load_pack(PACK_DIR, version="0.9.0"),
        after=load_pack(PACK_DIR),
        registries=population,
        on=FIRST_ON,
    )
    district_of = area_rollup(population, "district")
    gains = [c for c in run.changes if c.change == "gain"]
    assert len(gains) >= 2, "the snapshot must hold households the higher limit reaches"
    counts: dict[str, int] = {}
    for c in gains:
        counts[district_of[c.area_code]] = counts.get(district_of[c.area_code], 0) + 1
    district = max(sorted(counts), key=lambda d: counts[d])
    inside = {c.unit_id for c in gains if district_of[c.area_code] == district}
    return district, inside, {c.unit_id for c in gains} - inside


@pytest.fixture
def national_0_9(
    loaded: dict[str, ServicePack], approver: Any, population: Path, settings: Any, tmp_path: Path
) -> dict[str, ServicePack]:
    """0.9.0 in force everywhere (as before the limit rose), the registry's areas imported."""
    settings.GOVREACH_CYCLES_DIR = str(tmp_path / "cycles")
    area_import_csv(csv_path=population / "areas.csv")
    put_in_force(loaded["0.9.0"], approver)
    return loaded


def test_a_pilot_needs_an_approved_version(
    loaded: dict[str, ServicePack], proposer: Any, approver: Any, population: Path
) -> None:
    area_import_csv(csv_path=population / "areas.csv")
    with pytest.raises(PackVersionRefused, match="approval"):
        pilot_start(
            service_pack=loaded["0.8.0"],
            areas=[Area.objects.get(code="PT-11")],
            starts_on=FIRST_ON,
            by=proposer,
        )
    approve(loaded["0.8.0"], approver)
    pilot = pilot_start(
        service_pack=loaded["0.8.0"], areas=[Area.objects.get(code="PT-11")], starts_on=FIRST_ON, by=proposer
    )
    assert pilot.status == PackPilot.Status.RUNNING


def test_single_decisions_use_the_pilot_version_inside_its_areas_and_period(
    national_0_9: dict[str, ServicePack], proposer: Any
) -> None:
    lisbon = Area.objects.get(code="PT-11")
    parish = lisbon.descendants().filter(level="parish").first()
    assert parish is not None
    pilot_start(
        service_pack=national_0_9["1.0.0"], areas=[lisbon], starts_on=FIRST_ON, ends_on=SECOND_ON, by=proposer
    )
    assert service_pack_in_force(PACK, area_code=parish.code, on=FIRST_ON).version == "1.0.0"
    assert (
        active_pack(PACK, area_code=parish.code, on=FIRST_ON)
        .ruleset.parameters["income_limit_eur"]
        .value_on(FIRST_ON)
        .value
        == 6272.64
    )  # type: ignore[union-attr]
    assert (
        service_pack_in_force(PACK, area_code=parish.code, on=SECOND_ON + dt.timedelta(days=1)).version
        == "0.9.0"
    )
    assert service_pack_in_force(PACK, area_code="PT-03", on=FIRST_ON).version == "0.9.0"
    assert service_pack_in_force(PACK, on=FIRST_ON).version == "0.9.0"
    # The eligibility API: EUR 6,000 is within the pilot's limit in Lisboa only.
    unit = {
        "contract": {
            "own_name": True,
            "domestic": True,
            "permanent_home": True,
            "voltage": "BTN",
            "power_kva": 3.45,
        },
        "household": {"income_eur": 6000},
        "members": [{"income_eur": 6000, "benefits": []}],
    }
    url = f"/api/v1/services/{PACK}/eligibility"
    answers = {
        area_code: Client()
        .post(
            url,
            {"unit": unit, "on": FIRST_ON.isoformat(), "area": area_code},
            content_type="application/json",
        )
        .json()
        for area_code in (parish.code, "PT-03")
    }
    assert (answers[parish.code]["pack_version"], answers[parish.code]["outcome"]) == ("1.0.0", True)
    assert (answers["PT-03"]["pack_version"], answers["PT-03"]["outcome"]) == ("0.9.0", False)


def _cycle_pilot(
    national: dict[str, ServicePack], district: str, proposer: Any, population: Path
) -> PackPilot:
    pilot = pilot_start(
        service_pack=national["1.0.0"],
        areas=[Area.objects.get(code=district)],
        starts_on=FIRST_ON,
        by=proposer,
    )
    cycle_run(pack=PACK, decided_on=FIRST_ON, registries=population)
    return pilot


def test_the_cycle_decides_pilot_areas_with_the_pilot_version_and_the_rest_with_the_version_in_force(
    national_0_9: dict[str, ServicePack],
    proposer: Any,
    population: Path,
    pilot_district: tuple[str, set[str], set[str]],
) -> None:
    district, gain_inside, gain_outside = pilot_district
    _cycle_pilot(national_0_9, district, proposer, population)
    granted = {e.unit_key: e for e in Entitlement.objects.filter(pack_id=PACK, status="active")}
    assert gain_inside <= set(granted)
    assert not gain_outside & set(granted)
    assert {granted[u].pack_version for u in gain_inside} == {"1.0.0"}
    outside = [e for e in granted.values() if not e.area_code.startswith(district)]
    assert outside and {e.pack_version for e in outside} == {"0.9.0"}
    assert {e.last_decision["pack_version"] for e in outside} == {"0.9.0"}


@pytest.mark.parametrize(
    ("on_rollback", "still_active"), [("end_at_next_cycle", False), ("keep_until_review", True)]
)
def test_rolling_back_a_pilot_does_what_the_pack_declares_at_the_next_cycle(
    national_0_9: dict[str, ServicePack],
    proposer: Any,
    approver: Any,
    population: Path,
    pilot_district: tuple[str, set[str], set[str]],
    on_rollback: str,
    still_active: bool,
) -> None:
    district, gain_inside, _ = pilot_district
    pilot = _cycle_pilot(national_0_9, district, proposer, population)
    # The pack declares keep_until_review; the other policy is what a pack could declare instead.
    PackPilot.objects.filter(pk=pilot.pk).update(on_rollback=on_rollback)
    pilot.refresh_from_db()
    pilot_roll_back(pilot=pilot, by=approver, on=SECOND_ON)
    cycle_run(pack=PACK, decided_on=SECOND_ON, registries=population)
    after = {e.unit_key: e for e in Entitlement.objects.filter(pack_id=PACK, unit_key__in=gain_inside)}
    if still_active:
        assert {e.status for e in after.values()} == {"active"}
    else:
        assert {e.status for e in after.values()} == {"ended"}
        assert {e.end_reason for e in after.values()} == {"pilot_rolled_back"}
    assert service_pack_in_force(PACK, area_code=district, on=SECOND_ON).version == "0.9.0"


def test_an_old_decision_is_explained_with_the_parameters_of_its_version(
    national_0_9: dict[str, ServicePack], approver: Any, population: Path
) -> None:
    cycle_run(pack=PACK, decided_on=FIRST_ON, registries=population)
    entitlement = Entitlement.objects.filter(pack_id=PACK, status="active").order_by("pk").first()
    assert entitlement is not None
    put_in_force(national_0_9["1.0.0"], approver) if national_0_9["1.0.0"].state == "draft" else None
    from govreach.catalogue.services import pack_version_activate

    pack_version_activate(service_pack=ServicePack.objects.get(pack_id=PACK, version="1.0.0"), by=approver)
    assert active_pack(PACK).version == "1.0.0"
    explained = entitlement_decision(entitlement)
    limits = {p.name: p.value for p in explained.parameters}
    assert (explained.version, explained.decided_on) == ("0.9.0", FIRST_ON)
    assert limits["income_limit_eur"] == 5808
    assert explained.is_granted is True
