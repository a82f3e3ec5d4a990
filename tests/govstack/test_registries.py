"""The Digital Registries building block over HTTP: a generic registry created through the database API,
every data operation on it, GovReach's own person registry read-only with the same access rules, and the
older path spellings."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.test import Client
from tests.cases.conftest import pdf_bytes
from tests.govstack.conftest import Caller

from govreach.govstack.models import OpaqueId, RecordFile, Registry, RegistryRecord
from govreach.registry.models import Person

D = "/govstack/digital-registries"
pytestmark = pytest.mark.django_db


def post(http: Client, caller: Caller, path: str, body: Any) -> Any:
    return http.post(f"{D}{path}", body, content_type="application/json", **caller.http())


def put(http: Client, caller: Caller, path: str, body: Any) -> Any:
    return http.put(f"{D}{path}", body, content_type="application/json", **caller.http())


def test_query_by_example_read_exists_and_list(http: Client, admin: Caller, mcts: str) -> None:
    read = post(http, admin, "/data/mcts/1.0/read", {"query": {"content": {"ID": "MCTS2"}}})
    assert read.status_code == 200 and read.json()["content"]["child"]["firstName"] == "Bo"
    missing = post(http, admin, "/data/mcts/1.0/read", {"query": {"content": {"ID": "MCTS99"}}})
    assert (missing.status_code, missing.json()) == (404, {"detail": "no record found"})
    exists = post(http, admin, "/data/mcts/1.0/exists", {"query": {"content": {"ID": "MCTS1"}}}).json()
    assert exists["answer"]["status"] is True
    absent = post(http, admin, "/data/mcts/1.0/exists", {"query": {"content": {"ID": "nope"}}}).json()
    assert absent["answer"]["status"] is False
    listed = http.get(f"{D}/data/mcts/1.0?pageSize=2", **admin.http()).json()
    assert listed["count"] == 3 and len(listed["results"]) == 2 and "page=2" in listed["next"]
    assert http.get(f"{D}/data/mcts/1.0?query.ID=MCTS3", **admin.http()).json()["count"] == 1
    assert http.get(f"{D}/data/mcts/1.0?search=Specimen", **admin.http()).json()["count"] == 1
    empty = http.get(f"{D}/data/mcts/1.0?query.ID=none", **admin.http()).json()
    assert empty == {"count": 0, "results": []}
    assert http.get(f"{D}/data/mcts/9.9", **admin.http()).status_code == 404
    assert http.get(f"{D}/data/unknown/1.0", **admin.http()).status_code == 404


def test_create_update_entries_update_or_create_delete(http: Client, admin: Caller, mcts: str) -> None:
    created = post(
        http, admin, "/data/mcts/1.0/create", {"write": {"content": {"ID": "MCTS4", "start": "2026-04-01"}}}
    )
    assert created.status_code == 200
    refused = post(http, admin, "/data/mcts/1.0/create", {"write": {"content": {"start": "2026-04-01"}}})
    assert refused.status_code == 400 and "ID" in refused.json()["detail"]  # the schema requires ID
    updated = put(
        http,
        admin,
        "/data/mcts/1.0/update",
        {"query": {"content": {"ID": "MCTS4"}}, "write": {"content": {"start": "2026-04-02"}}},
    )
    assert updated.status_code == 200 and updated.json()["content"]["start"] == "2026-04-02"
    not_there = put(
        http, admin, "/data/mcts/1.0/update", {"query": {"content": {"ID": "x"}}, "write": {"content": {}}}
    )
    assert not_there.status_code == 404
    for spelling in ("updateEntries", "update-entries"):
        entries = put(
            http,
            admin,
            f"/data/mcts/1.0/{spelling}",
            {"query": {"content": {"start": "2026-04-02"}}, "write": {"content": {"start": "2026-04-03"}}},
        )
        assert entries.status_code == 200
    assert RegistryRecord.objects.get(content__ID="MCTS4").content["start"] == "2026-04-03"
    for spelling, record_id in (("updateOrCreate", "MCTS4"), ("update-or-create", "MCTS5")):
        upserted = post(
            http,
            admin,
            f"/data/mcts/1.0/{spelling}",
            {"query": {"content": {"ID": record_id}}, "write": {"content": {"start": "2026-05-01"}}},
        )
        assert upserted.status_code == 200 and upserted.json()["content"]["ID"] == record_id
    assert RegistryRecord.objects.filter(registry__name="mcts").count() == 5
    record = RegistryRecord.objects.get(content__ID="MCTS5")
    assert http.delete(f"{D}/data/mcts/1.0/{record.uuid}/delete", **admin.http()).status_code == 204
    assert http.delete(f"{D}/data/mcts/1.0/{record.uuid}/delete", **admin.http()).status_code == 404
    entries = post(
        http,
        admin,
        "/data/mcts/createEntries",
        {"write": [{"content": {"ID": "MCTS6"}}, {"content": {"ID": "MCTS7"}}]},
    )
    assert entries.status_code == 201 and [r["content"]["ID"] for r in entries.json()["receive"]] == [
        "MCTS6",
        "MCTS7",
    ]


def test_read_value_json_and_file(http: Client, admin: Caller, mcts: str) -> None:
    data_url = "data:application/pdf;base64," + base64.b64encode(pdf_bytes()).decode()
    created = post(
        http,
        admin,
        "/data/mcts/1.0/create",
        {
            "write": {
                "content": {
                    "ID": "MCTS8",
                    "birthCertificate": {
                        "url": data_url,
                        "originalName": "bc.pdf",
                        "type": "application/pdf",
                    },
                }
            }
        },
    ).json()
    assert created["content"]["birthCertificate"]["url"].endswith("/readValue/birthCertificate.pdf")
    record = RegistryRecord.objects.get(content__ID="MCTS8")
    value = http.get(f"{D}/data/mcts/1.0/{record.uuid}/readValue/ID.json", **admin.http())
    assert value.json() == {"value": "MCTS8"}
    pdf = http.get(f"{D}/data/mcts/1.0/{record.uuid}/read-value/birthCertificate.pdf", **admin.http())
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content == pdf_bytes()
    assert RecordFile.objects.filter(record=record).count() == 1
    assert (
        http.get(
            f"{D}/data/mcts/1.0/{record.uuid}/readValue/birthCertificate.png", **admin.http()
        ).status_code
        == 404
    )
    assert (
        http.get(f"{D}/data/mcts/1.0/{record.uuid}/readValue/nothing.json", **admin.http()).status_code == 404
    )
    fake = "data:application/pdf;base64," + base64.b64encode(b"not a pdf").decode()
    bad = post(
        http,
        admin,
        "/data/mcts/1.0/create",
        {
            "write": {
                "content": {
                    "ID": "MCTS9",
                    "doc": {"url": fake, "originalName": "x", "type": "application/pdf"},
                }
            }
        },
    )
    assert bad.status_code == 400


def test_schema_versions_and_database_api(http: Client, admin: Caller, mcts: str) -> None:
    registry = Registry.objects.get(name="mcts")
    schema = dict(registry.schemas.get().schema)
    schema["required"] = ["ID", "start"]
    changed = post(http, admin, "/database/modify", {"code": "mcts", "schema": schema})
    assert changed.status_code == 200
    assert list(registry.schemas.values_list("version", flat=True)) == ["1.0", "1.1"]
    # Version 1.1 requires a start, 1.0 still does not.
    assert (
        post(http, admin, "/data/mcts/1.1/create", {"write": {"content": {"ID": "M10"}}}).status_code == 400
    )
    assert (
        post(http, admin, "/data/mcts/1.0/create", {"write": {"content": {"ID": "M10"}}}).status_code == 200
    )
    info = http.get(f"{D}/database/{registry.pk}", **admin.http()).json()
    assert info["name"] == "mcts" and info["version"] == "1.1"
    listing = http.get(f"{D}/databases", **admin.http()).json()
    assert [d["name"] for d in listing["databases"]] == ["mcts"]  # only what this system may use
    invalid = post(http, admin, "/database/modify", {"code": "bad", "schema": {"type": 5}})
    assert invalid.status_code == 400
    assert http.delete(f"{D}/database/{registry.pk}", **admin.http()).json() == "Success"
    assert not Registry.objects.filter(name="mcts").exists()
    assert http.get(f"{D}/database/{registry.pk}", **admin.http()).status_code == 404


def test_person_registry_is_read_only_and_audited(
    http: Client, portal: Caller, admin: Caller, people: list[Person]
) -> None:
    read = post(http, portal, "/data/persons/1.0/read", {"query": {"content": {"lastName": "Begum"}}})
    assert read.status_code == 200
    content = read.json()["content"]
    assert content["firstName"] == "Rahima" and content["nationalId"] == "1990123456789"
    assert OpaqueId.objects.get(uuid=content["id"]).object_id == people[0].pk
    household = post(
        http, portal, "/data/households/1.0/read", {"query": {"content": {"id": content["householdIds"][0]}}}
    )
    assert len(household.json()["content"]["memberIds"]) == 2
    listed = http.get(f"{D}/data/persons/1.0?query.areaCode=BD-30260101", **portal.http()).json()
    assert listed["count"] == 2
    assert http.get(
        f"{D}/data/persons/1.0/{content['id']}/readValue/firstName.json", **portal.http()
    ).json() == {"value": "Rahima"}
    refused = post(http, portal, "/data/persons/1.0/create", {"write": {"content": {"firstName": "X"}}})
    assert refused.status_code == 403
    # A system without a grant on the persons registry reads nothing from it.
    assert (
        post(http, admin, "/data/persons/1.0/read", {"query": {"content": {"lastName": "Begum"}}}).status_code
        == 403
    )
    assert http.delete(f"{D}/data/persons/1.0/{content['id']}/delete", **portal.http()).status_code == 403


def test_refusals(http: Client, portal: Caller, stranger: Caller, mcts: str) -> None:
    assert http.get(f"{D}/data/mcts/1.0").status_code == 401
    assert http.get(f"{D}/data/mcts/1.0", HTTP_AUTHORIZATION=f"Bearer {portal.key}").status_code == 400
    assert http.get(f"{D}/data/mcts/1.0", **stranger.http()).status_code == 403
    assert post(http, portal, "/data/mcts/1.0/create", {"write": {"content": {"ID": "x"}}}).status_code == 403
    assert (
        post(http, portal, "/database/modify", {"code": "x", "schema": {"type": "object"}}).status_code == 403
    )
    assert http.get(f"{D}/data/mcts/1.0", **portal.http()).status_code == 200


def test_my_personal_data_usage_answers_from_the_audit_log(
    http: Client, portal: Caller, stranger: Caller, people: list[Person]
) -> None:
    from govreach.audit.models import AuditEntry

    read = post(http, portal, "/data/persons/1.0/read", {"query": {"content": {"lastName": "Begum"}}}).json()
    person_id = read["content"]["id"]
    entry = AuditEntry.objects.get(action="govstack.registry.read", person_id=people[0].pk)
    assert (entry.channel, entry.client, entry.detail) == (
        "govstack",
        portal.client.identifier,
        {"registry": "persons"},
    )
    assert not AuditEntry.objects.filter(person_id=people[1].pk).exists()  # Karim was not read

    usage = http.get(f"{D}/data/mypersonalDataUsage?userId={person_id}&databaseId=persons", **portal.http())
    assert usage.status_code == 200
    [item] = usage.json()
    assert item["readerApplicationName"] == portal.client.identifier
    assert item["readerInstitutionId"] == "90000009" and item["action"] == "govstack.registry.read"
    # Asking is itself recorded, and the older spelling answers the same way.
    legacy = http.get(
        f"{D}/data/MyPersonalDataUsage/1.0?userID={person_id}&DatabaseID=persons", **portal.http()
    )
    assert [i["action"] for i in legacy.json()] == ["govstack.data_usage.read", "govstack.registry.read"]
    unknown = "00000000-0000-0000-0000-000000000000"
    assert (
        http.get(
            f"{D}/data/mypersonalDataUsage?userId={unknown}&databaseId=persons", **portal.http()
        ).status_code
        == 404
    )
    assert http.get(f"{D}/data/mypersonalDataUsage?userId={person_id}", **portal.http()).status_code == 400
    assert (
        http.get(
            f"{D}/data/mypersonalDataUsage?userId={person_id}&databaseId=persons", **stranger.http()
        ).status_code
        == 403
    )
