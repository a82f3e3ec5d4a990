"""A small demo dataset for developers of GovStack client systems: ``govreach govstack seed [--reset]``.

What it loads (all fictitious):
- three client systems, each with a new API key (printed once, and written to
  ``$GOVREACH_VAR_DIR/govstack/demo-keys.json`` readable by the owner only):
  - ``eGovStack/GOV/90000009/citizen-portal``: applies for services (``registration.apply``), reads the
    persons registry and the ``mcts`` registry, and answers "my personal data usage";
  - ``eGovStack/GOV/90000009/land-office``: the e-Mutation back office, completing operator tasks with the
    rights of the demo Assistant Commissioner (Land) ``demo-ac-land`` (when the demo accounts exist), and
    reading the statistics;
  - ``eGovStack/GOV/90000009/registry-admin``: manages registries (the database API) and may read, write
    and delete in every generic registry;
- a generic registry ``mcts`` (mother and child tracking, the building block's own example), schema
  version 1.0, with three records;
- the Bangladesh land-mutation service (pack ``bd-land-mutation``), loaded into the catalogue if it is not.

``--reset`` deletes these client systems (and their keys) and the ``mcts`` registry first, then loads
them again; without it, existing client systems keep their keys and only what is missing is added.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction

from govreach.catalogue.selectors import ServicePackNotFound, service_pack_get
from govreach.catalogue.services import service_pack_load
from govreach.govstack.clients import client_token_create
from govreach.govstack.models import (
    APPLY,
    DATA_USAGE,
    DELETE,
    OPERATE,
    READ,
    REGISTRIES_MANAGE,
    STATISTICS,
    WRITE,
    ClientSystem,
    Registry,
)
from govreach.govstack.registries import record_create, registries_builtin_ensure, registry_modify
from govreach.packs.loader import load_pack

LAND_PACK_ID = "bd-land-mutation"
OPERATOR_USERNAME = "demo-ac-land"
MCTS = "mcts"


@dataclass(frozen=True)
class DemoClient:
    identifier: str
    name: str
    permissions: tuple[str, ...]
    registries: dict[str, list[str]]
    is_operator: bool = False


DEMO_CLIENTS = (
    DemoClient(
        "eGovStack/GOV/90000009/citizen-portal",
        "Demo citizen portal",
        (APPLY, DATA_USAGE),
        {"persons": [READ], MCTS: [READ]},
    ),
    DemoClient(
        "eGovStack/GOV/90000009/land-office",
        "Demo land office back office",
        (OPERATE, STATISTICS),
        {},
        is_operator=True,
    ),
    DemoClient(
        "eGovStack/GOV/90000009/registry-admin",
        "Demo registry administration",
        (REGISTRIES_MANAGE,),
        {MCTS: [READ, WRITE, DELETE]},
    ),
)

MCTS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Mother and child tracking (the Digital Registries building block's example)",
    "properties": {
        "ID": {"type": "string", "description": "Registration ID", "example": "MCTS31", "primaryKey": True},
        "start": {"type": "string", "format": "date", "description": "Start of the tracking"},
        "child": {
            "type": "object",
            "properties": {
                "firstName": {"type": "string", "description": "Child's first name"},
                "lastNames": {"type": "string", "description": "Child's last names"},
                "birthdate": {"type": "string", "format": "date"},
                "gender": {"type": "string", "enum": ["Male", "Female"]},
            },
        },
        "caretaker": {
            "type": "object",
            "properties": {
                "firstName": {"type": "string"},
                "lastNames": {"type": "string"},
                "phone": {"type": "string"},
            },
        },
    },
    "required": ["ID"],
}
MCTS_RECORDS: tuple[dict[str, Any], ...] = (
    {
        "ID": "MCTS1",
        "start": "2026-01-12",
        "child": {"firstName": "Ada", "lastNames": "Example", "birthdate": "2026-01-03", "gender": "Female"},
        "caretaker": {"firstName": "Maria", "lastNames": "Example", "phone": "+0000000001"},
    },
    {
        "ID": "MCTS2",
        "start": "2026-02-20",
        "child": {"firstName": "Bo", "lastNames": "Sample", "birthdate": "2026-02-14", "gender": "Male"},
        "caretaker": {"firstName": "Lina", "lastNames": "Sample", "phone": "+0000000002"},
    },
    {
        "ID": "MCTS3",
        "start": "2026-03-05",
        "child": {"firstName": "Cy", "lastNames": "Specimen", "birthdate": "2026-03-01", "gender": "Male"},
        "caretaker": {"firstName": "Noor", "lastNames": "Specimen", "phone": "+0000000003"},
    },
)


@dataclass
class SeedReport:
    lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    keys: dict[str, str] = field(default_factory=dict)


def _land_service(report: SeedReport, *, load: bool) -> None:
    try:
        service_pack_get(LAND_PACK_ID)
        report.lines.append(f"service {LAND_PACK_ID}: in the catalogue")
    except ServicePackNotFound:
        if not load:
            report.warnings.append(f"service {LAND_PACK_ID} is not loaded (govreach packs load packs/)")
            return
        service_pack_load(pack=load_pack(Path(settings.BASE_DIR) / "packs" / LAND_PACK_ID))
        report.lines.append(f"service {LAND_PACK_ID}: loaded into the catalogue")


def _clients(report: SeedReport) -> None:
    operator = User.objects.filter(username=OPERATOR_USERNAME).first()
    for demo in DEMO_CLIENTS:
        client, created = ClientSystem.objects.get_or_create(
            identifier=demo.identifier,
            defaults={
                "name": demo.name,
                "permissions": list(demo.permissions),
                "registries": demo.registries,
                "operator": operator if demo.is_operator else None,
            },
        )
        if demo.is_operator and operator is not None and client.operator_id is None:
            # The demo accounts came after the client system: it acts as the officer from now on.
            client.operator = operator
            client.save(update_fields=["operator"])
        if demo.is_operator and operator is None:
            report.warnings.append(
                f"{demo.identifier}: no user '{OPERATOR_USERNAME}' (run the demo accounts step): "
                "it sees no tasks"
            )
        if created:
            _token, raw = client_token_create(client=client, name="demo")
            report.keys[demo.identifier] = raw
            report.lines.append(f"client {demo.identifier}: created, API key {raw}")
        else:
            report.lines.append(f"client {demo.identifier}: exists, its keys are kept (--reset for new ones)")


def _mcts(report: SeedReport) -> None:
    admin = ClientSystem.objects.get(identifier=DEMO_CLIENTS[2].identifier)
    if Registry.objects.filter(name=MCTS).exists():
        report.lines.append(f"registry {MCTS}: exists")
        return
    schema = registry_modify(
        admin, {"code": MCTS, "groupName": "Demo", "catalogName": "Mother and Child", "schema": MCTS_SCHEMA}
    )
    registry = schema.registry
    for content in MCTS_RECORDS:
        record_create(
            registry, schema, content, base_path=f"/govstack/digital-registries/data/{MCTS}/{schema.version}"
        )
    report.lines.append(f"registry {MCTS}: schema {schema.version}, {len(MCTS_RECORDS)} fictitious records")


def keys_path() -> Path:
    """Where the demo API keys are written when created (readable by the owner only)."""
    return Path(settings.VAR_DIR) / "govstack" / "demo-keys.json"


def _write_keys(report: SeedReport) -> None:
    if not report.keys:
        return
    path = keys_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(report.keys, handle, indent=2)
    report.lines.append(f"API keys written to {path}")


@transaction.atomic
def govstack_seed(*, reset: bool, load_service: bool = True) -> SeedReport:
    """Load the demo dataset (see the module docstring); idempotent without ``reset``.

    ``load_service=False`` leaves the catalogue alone (the demo loads its packs in its own step).
    """
    report = SeedReport()
    if reset:
        ClientSystem.objects.filter(identifier__in=[d.identifier for d in DEMO_CLIENTS]).delete()
        Registry.objects.filter(name=MCTS, kind=Registry.Kind.GENERIC).delete()
    registries_builtin_ensure()
    _land_service(report, load=load_service)
    _clients(report)
    _mcts(report)
    _write_keys(report)
    return report
