"""Builders for the partner, notice, refusal, contest and take-up tests: the PT pack in the catalogue, the
areas of the generated population, a first cycle, and registry persons for the holders it granted."""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client

from govreach.accounts.models import CitizenAccount
from govreach.catalogue.services import service_pack_load
from govreach.entitlements.models import Cycle, Entitlement
from govreach.entitlements.notifications import entitlements_notify_cycle
from govreach.entitlements.partners import partner_create, partner_token_create
from govreach.entitlements.services import cycle_run
from govreach.packs.loader import Pack, load_pack
from govreach.registry.models import Area, Person
from govreach.registry.services import area_import_csv

PACK = "pt-social-energy-tariff"
FIRST_ON = dt.date(2025, 1, 1)
SECOND_ON = dt.date(2025, 2, 1)


@cache
def pt_pack() -> Pack:
    return load_pack(Path(settings.BASE_DIR) / "packs" / PACK)


def setup_pack_and_areas(registries: Path) -> None:
    service_pack_load(pack=pt_pack())
    area_import_csv(csv_path=registries / "areas.csv")


def customers(registries: Path, where: str = "true") -> list[dict[str, Any]]:
    con = duckdb.connect()
    try:
        rel = con.sql(
            f"SELECT * FROM '{registries}/registries/electricity_customers.parquet' WHERE {where} ORDER BY cpe"
        )
        cols = rel.columns
        return [dict(zip(cols, row, strict=True)) for row in rel.fetchall()]
    finally:
        con.close()


def first_cycle(registries: Path, on: dt.date = FIRST_ON) -> Cycle:
    return cycle_run(pack=PACK, decided_on=on, registries=registries)


def holder_person(entitlement: Entitlement, registries: Path, *, phone: str, language: str = "pt") -> Person:
    """A registry person for the contract holder of ``entitlement`` (as the population register has them)."""
    row = customers(registries, f"cpe = '{entitlement.supply_point_code}'")[0]
    person, _ = Person.objects.update_or_create(
        national_id=row["national_id"],
        defaults={
            "given_name": row["given_name"] or "",
            "family_name": row["family_name"] or "",
            "address": row["address"] or "",
            "postcode": row["postcode"] or "",
            "phone": phone,
            "preferred_language": language,
            "area": Area.objects.filter(code=row["area_code"]).first(),
        },
    )
    return person


def granted_with_holder(cycle: Cycle, registries: Path, count: int = 2) -> list[Entitlement]:
    """``count`` entitlements granted in ``cycle`` whose holder has a tax number, with registry persons."""
    found: list[Entitlement] = []
    for e in Entitlement.objects.filter(granted_in=cycle, status="active").order_by("pk"):
        rows = customers(registries, f"cpe = '{e.supply_point_code}'")
        if len(rows) == 1 and rows[0]["national_id"]:
            found.append(e)
        if len(found) == count:
            break
    return found


def citizen_for(person: Person, phone: str, language: str = "pt") -> CitizenAccount:
    user = User.objects.create_user(username=f"citizen{phone}")
    return CitizenAccount.objects.create(user=user, phone=phone, preferred_language=language, person=person)


def signed_in(account: CitizenAccount) -> Client:
    client = Client()
    client.force_login(account.user)
    return client


def notify(cycle: Cycle) -> Any:
    return entitlements_notify_cycle(cycle=cycle, today=cycle.decided_on)


def make_partner(supplier_id: str) -> tuple[Any, str]:
    partner = partner_create(supplier_id=supplier_id, name=supplier_id.title())
    _token, raw = partner_token_create(partner=partner, name="test")
    return partner, raw
