"""The Digital Registries building block: registries with versioned schemas and their records.

Three kinds of registry answer the same operations (query by example, read, exists, list, read one
value): generic registries created through the API (JSON records here, validated by the schema version
named in the path), and GovReach's own ``persons`` and ``households`` registries, read-only here because
registry imports feed them (govreach.registry). Record ids in paths are opaque UUIDs, never national ids.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import filetype  # type: ignore[import-untyped]
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from jsonschema.exceptions import SchemaError  # type: ignore[import-untyped]

from govreach.govstack import conf
from govreach.govstack.errors import ApiError
from govreach.govstack.models import (
    DELETE,
    READ,
    REGISTRIES_MANAGE,
    WRITE,
    ClientSystem,
    OpaqueId,
    RecordFile,
    Registry,
    RegistryRecord,
    RegistrySchema,
)
from govreach.govstack.registration import object_for, opaque_id
from govreach.govstack.schemas_builtin import BUILTIN_VERSION, HOUSEHOLDS_SCHEMA, PERSONS_SCHEMA
from govreach.registry.models import Household, Membership, Person

NOT_FOUND = {"detail": "no record found"}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")
FILE_EXTENSIONS = {"application/pdf": ("pdf",), "image/jpeg": ("jpg", "jpeg"), "image/png": ("png",)}


# -- GovReach's own registries -------------------------------------------------------------------------
BUILTIN_SCHEMAS = {Registry.Kind.PERSONS: PERSONS_SCHEMA, Registry.Kind.HOUSEHOLDS: HOUSEHOLDS_SCHEMA}


@transaction.atomic
def registries_builtin_ensure() -> list[Registry]:
    """GovReach's own registries as Digital Registries (idempotent; run by the migration and the seed)."""
    found: list[Registry] = []
    for kind, schema in BUILTIN_SCHEMAS.items():
        registry, _created = Registry.objects.get_or_create(
            name=str(kind),
            defaults={
                "kind": kind,
                "description": str(schema["description"]),
                "institution": "GovReach",
                "group_name": "GovReach",
                "catalog_name": "GovReach registries",
            },
        )
        RegistrySchema.objects.get_or_create(
            registry=registry, version=BUILTIN_VERSION, defaults={"schema": schema}
        )
        found.append(registry)
    return found


# -- records as the API shows them ---------------------------------------------------------------------
@dataclass
class Row:
    """One record: its opaque id, its content as the API shows it, and what it is in GovReach."""

    uuid: str
    content: dict[str, Any]
    created_at: dt.datetime
    modified_at: dt.datetime
    person: Person | None = None
    record: RegistryRecord | None = None
    subject: Any = field(default=None)


def _person_content(person: Person) -> dict[str, Any]:
    households = [
        opaque_id(OpaqueId.Kind.HOUSEHOLD, m.household_id)
        for m in person.memberships.all()
        if m.valid_to is None
    ]
    content = {
        "id": opaque_id(OpaqueId.Kind.PERSON, person.pk),
        "nationalId": person.national_id or "",
        "firstName": person.given_name,
        "lastName": person.family_name,
        "sex": person.sex,
        "address": person.address,
        "postcode": person.postcode,
        "areaCode": person.area.code if person.area else "",
        "phone": person.phone,
        "preferredLanguage": person.preferred_language,
        "householdIds": households,
    }
    if person.birth_date is not None:
        content["birthDate"] = person.birth_date.isoformat()
    return content


def _household_content(household: Household) -> dict[str, Any]:
    members = Membership.objects.filter(household=household, valid_to__isnull=True).order_by("pk")
    return {
        "id": opaque_id(OpaqueId.Kind.HOUSEHOLD, household.pk),
        "reference": household.reference,
        "address": household.address,
        "postcode": household.postcode,
        "areaCode": household.area.code if household.area else "",
        "memberIds": [opaque_id(OpaqueId.Kind.PERSON, m.person_id) for m in members],
    }


def _person_row(person: Person) -> Row:
    content = _person_content(person)
    return Row(content["id"], content, person.created_at, person.updated_at, person=person, subject=person)


def _household_row(household: Household) -> Row:
    content = _household_content(household)
    return Row(content["id"], content, household.created_at, household.updated_at, subject=household)


def _record_row(record: RegistryRecord) -> Row:
    return Row(
        str(record.uuid),
        dict(record.content),
        record.created_at,
        record.modified_at,
        record=record,
        subject=record,
    )


# Query-by-example fields of the built-in registries: API field -> ORM lookup.
_PERSON_FIELDS = {
    "nationalId": "national_id",
    "firstName": "given_name",
    "lastName": "family_name",
    "birthDate": "birth_date",
    "sex": "sex",
    "address": "address",
    "postcode": "postcode",
    "areaCode": "area__code",
    "phone": "phone",
    "preferredLanguage": "preferred_language",
}
_HOUSEHOLD_FIELDS = {
    "reference": "reference",
    "address": "address",
    "postcode": "postcode",
    "areaCode": "area__code",
}


class _Nothing(Exception):
    """The example cannot match anything (an unknown field, a malformed value)."""


def _builtin_filter(kind: str, example: Mapping[str, Any]) -> Q:
    fields = _PERSON_FIELDS if kind == Registry.Kind.PERSONS else _HOUSEHOLD_FIELDS
    opaque_kind = OpaqueId.Kind.PERSON if kind == Registry.Kind.PERSONS else OpaqueId.Kind.HOUSEHOLD
    q = Q()
    for key, value in example.items():
        if key == "id":
            pk = object_for(opaque_kind, str(value))
            if pk is None:
                raise _Nothing
            q &= Q(pk=pk)
            continue
        lookup = fields.get(str(key))
        if lookup is None or not isinstance(value, str | int | float | bool):
            raise _Nothing
        if lookup == "birth_date":
            try:
                value = dt.date.fromisoformat(str(value))
            except ValueError:
                raise _Nothing from None
        q &= Q(**{lookup: value})
    return q


def _as_uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _generic_filter(example: Mapping[str, Any]) -> Q:
    q = Q()
    for key, value in example.items():
        if key == "uuid":
            found = _as_uuid(value)
            if found is None:
                raise _Nothing
            q &= Q(uuid=found)
            continue
        if not _FIELD.fullmatch(str(key)):
            raise _Nothing
        q &= Q(**{f"content__{key}": value})
    return q


# -- access --------------------------------------------------------------------------------------------
def registry_for(
    client: ClientSystem, name: str, version: str, operation: str
) -> tuple[Registry, RegistrySchema]:
    """The registry and schema version named in the path, if the system may ``operation`` there.

    Unknown registry or version: 404. Known but not allowed: 403. Writes to GovReach's own registries:
    403, because registry imports feed them with their provenance.
    """
    registry = Registry.objects.filter(name=name).first()
    schema = registry.schemas.filter(version=version).first() if registry else None
    if registry is None or schema is None:
        raise ApiError(404, "no record found", body=NOT_FOUND)
    if not may(client, registry, operation):
        raise ApiError(403, f"This client system may not {operation} in the registry '{name}'.")
    if registry.is_builtin and operation != READ:
        raise ApiError(403, f"The registry '{name}' is read-only: GovReach's registry imports feed it.")
    return registry, schema


def may(client: ClientSystem, registry: Registry, operation: str) -> bool:
    """A system may what its grants say, and everything in the registries it created (if it manages)."""
    if client.may_in_registry(registry.name, operation):
        return True
    return client.may(REGISTRIES_MANAGE) and registry.created_by_id == client.pk


def registries_visible(client: ClientSystem) -> list[Registry]:
    return [r for r in Registry.objects.all() if any(may(client, r, op) for op in (READ, WRITE, DELETE))]


# -- reads ---------------------------------------------------------------------------------------------
def _builtin_queryset(kind: str) -> QuerySet[Any]:
    if kind == Registry.Kind.PERSONS:
        return Person.objects.select_related("area").prefetch_related("memberships").order_by("pk")
    return Household.objects.select_related("area").order_by("pk")


def _to_row(registry: Registry, obj: Any) -> Row:
    if registry.kind == Registry.Kind.PERSONS:
        return _person_row(obj)
    if registry.kind == Registry.Kind.HOUSEHOLDS:
        return _household_row(obj)
    return _record_row(obj)


def _matching(registry: Registry, example: Mapping[str, Any]) -> QuerySet[Any]:
    try:
        if registry.is_builtin:
            return _builtin_queryset(registry.kind).filter(_builtin_filter(registry.kind, example))
        return registry.records.filter(_generic_filter(example)).order_by("pk")
    except _Nothing:
        return registry.records.none() if not registry.is_builtin else _builtin_queryset(registry.kind).none()


def records_find(registry: Registry, example: Mapping[str, Any], *, limit: int | None = None) -> list[Row]:
    """Records matching every field of ``example`` exactly (query by example), oldest first."""
    qs = _matching(registry, example)
    return [_to_row(registry, obj) for obj in (qs[:limit] if limit else qs)]


@dataclass(frozen=True)
class Page:
    count: int
    rows: list[Row]
    has_next: bool
    has_previous: bool


def records_list(
    registry: Registry,
    *,
    example: Mapping[str, Any],
    search: str | None,
    search_field: str | None,
    ordering: str | None,
    page: int,
    page_size: int,
) -> Page:
    """A page of records: query by example (``query.<field>``), a text search in one field or in all,
    ``ordering`` ``ascending``/``descending`` by creation (or ``-field``/``field`` of a generic record)."""
    qs = _matching(registry, example)
    if search:
        if registry.is_builtin:
            fields = _PERSON_FIELDS if registry.kind == Registry.Kind.PERSONS else _HOUSEHOLD_FIELDS
            names = [search_field] if search_field in fields else ["lastName", "firstName", "reference"]
            q = Q()
            for name in names:
                lookup = fields.get(name)
                if lookup and lookup != "birth_date":
                    q |= Q(**{f"{lookup}__icontains": search})
            qs = qs.filter(q) if q else qs.none()
        elif search_field and _FIELD.fullmatch(search_field):
            qs = qs.filter(**{f"content__{search_field}__icontains": search})
        else:
            qs = qs.annotate(text=Cast("content", TextField())).filter(text__icontains=search)
    descending = (ordering or "").lower() in ("descending", "desc", "-")
    qs = qs.order_by("-pk" if descending else "pk")
    count = qs.count()
    start = (page - 1) * page_size
    rows = [_to_row(registry, obj) for obj in qs[start : start + page_size]]
    return Page(count, rows, start + page_size < count, page > 1 and count > 0)


def record_get(registry: Registry, record_id: str) -> Row | None:
    """One record by its opaque id (generic records also by their ``ID``/``id`` content field)."""
    if registry.is_builtin:
        rows = records_find(registry, {"id": record_id}, limit=1)
        return rows[0] if rows else None
    found = _as_uuid(record_id)
    record = registry.records.filter(uuid=found).first() if found is not None else None
    if record is None:
        record = (
            registry.records.filter(Q(content__ID=record_id) | Q(content__id=record_id))
            .order_by("pk")
            .first()
        )
    return _record_row(record) if record is not None else None


# -- writes (generic registries) -----------------------------------------------------------------------
def _validate(schema: RegistrySchema, content: Mapping[str, Any]) -> None:
    errors = sorted(
        Draft202012Validator(schema.schema).iter_errors(dict(content)), key=lambda e: list(e.path)
    )
    if errors:
        problems = "; ".join(
            f"{'/'.join(str(p) for p in e.path) or 'content'}: {e.message}" for e in errors[:10]
        )
        raise ApiError(400, f"The record does not match the schema version {schema.version}: {problems}")


@dataclass(frozen=True)
class _IncomingFile:
    field: str
    data: bytes
    content_type: str
    original_name: str


def _incoming_files(content: dict[str, Any]) -> list[_IncomingFile]:
    """Files given inline as ``{"url": "data:<type>;base64,...", "originalName", "type"}``, checked by
    their content (PDF, JPEG, PNG) and size; the content keeps only their name and type until stored."""
    found: list[_IncomingFile] = []
    for key, value in content.items():
        if not (isinstance(value, Mapping) and str(value.get("url", "")).startswith("data:")):
            continue
        header, _, encoded = str(value["url"]).partition(",")
        if ";base64" not in header:
            raise ApiError(400, f"The file in '{key}' must be a base64 data URL.")
        try:
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise ApiError(400, f"The file in '{key}' is not valid base64.") from None
        if not data or len(data) > conf.max_record_file_bytes():
            raise ApiError(
                400, f"The file in '{key}' is empty or larger than {conf.max_record_file_bytes()} bytes."
            )
        kind = filetype.guess(data[:2048])
        mime = str(kind.mime) if kind is not None else ""
        if mime not in FILE_EXTENSIONS:
            raise ApiError(
                400, f"The file in '{key}' is not a PDF, JPEG or PNG file (whatever its name says)."
            )
        name = str(value.get("originalName") or key)[:200]
        found.append(_IncomingFile(str(key), data, mime, name))
    return found


def _store_files(record: RegistryRecord, files: list[_IncomingFile], base_path: str) -> None:
    for incoming in files:
        RecordFile.objects.filter(record=record, field=incoming.field).delete()
        digest = hashlib.sha256(incoming.data).hexdigest()
        stored = RecordFile(
            record=record,
            field=incoming.field,
            content_type=incoming.content_type,
            size_bytes=len(incoming.data),
            sha256=digest,
        )
        stored.file.save("file", ContentFile(incoming.data), save=False)
        stored.save()
        extension = FILE_EXTENSIONS[incoming.content_type][0]
        record.content[incoming.field] = {
            "url": f"{base_path}/{record.uuid}/readValue/{incoming.field}.{extension}",
            "originalName": incoming.original_name,
            "type": incoming.content_type,
        }
    if files:
        record.save(update_fields=["content"])


def _prepared(content: Mapping[str, Any]) -> tuple[dict[str, Any], list[_IncomingFile]]:
    prepared = dict(content)
    files = _incoming_files(prepared)
    for incoming in files:
        # Validated with the shape it will have once stored (a FieldFileType without the bytes).
        prepared[incoming.field] = {
            "url": "",
            "originalName": incoming.original_name,
            "type": incoming.content_type,
        }
    return prepared, files


@transaction.atomic
def record_create(
    registry: Registry, schema: RegistrySchema, content: Mapping[str, Any], *, base_path: str
) -> Row:
    prepared, files = _prepared(content)
    _validate(schema, prepared)
    now = timezone.now()
    record = RegistryRecord.objects.create(
        registry=registry, schema_version=schema.version, content=prepared, created_at=now, modified_at=now
    )
    _store_files(record, files, base_path)
    return _record_row(record)


@transaction.atomic
def record_update(
    record: RegistryRecord, schema: RegistrySchema, changes: Mapping[str, Any], *, base_path: str
) -> Row:
    """Merge ``changes`` into the record; the result must match ``schema``."""
    record = RegistryRecord.objects.select_for_update(of=("self",)).get(pk=record.pk)
    prepared, files = _prepared(changes)
    merged = {**record.content, **prepared}
    _validate(schema, merged)
    record.content = merged
    record.schema_version = schema.version
    record.modified_at = timezone.now()
    record.save(update_fields=["content", "schema_version", "modified_at"])
    _store_files(record, files, base_path)
    return _record_row(record)


@transaction.atomic
def record_delete(record: RegistryRecord) -> None:
    for stored in record.files.all():
        stored.file.delete(save=False)
    record.delete()


# -- values --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FileValue:
    data: bytes
    content_type: str


def record_value(
    registry: Registry, row: Row, field_name: str, extension: str
) -> dict[str, Any] | FileValue | None:
    """One field: ``json`` gives ``{"value": ...}``; a file field read with its own extension, the file."""
    if field_name not in row.content:
        return None
    if extension.lower() == "json":
        return {"value": row.content[field_name]}
    if row.record is None:
        return None
    stored = RecordFile.objects.filter(record=row.record, field=field_name).first()
    if stored is None or extension.lower() not in FILE_EXTENSIONS.get(stored.content_type, ()):
        return None
    with stored.file.open("rb") as handle:
        return FileValue(handle.read(), stored.content_type)


# -- database management -------------------------------------------------------------------------------
def _next_version(registry: Registry) -> str:
    versions = [s.version for s in registry.schemas.all()]
    best = (0, -1)
    for version in versions:
        major, _, minor = version.partition(".")
        if major.isdigit() and minor.isdigit():
            best = max(best, (int(major), int(minor)))
    return "1.0" if best == (0, -1) else f"{best[0]}.{best[1] + 1}"


def schema_check(schema: Any) -> dict[str, Any]:
    if not isinstance(schema, dict):
        raise ApiError(400, "schema must be a JSON Schema object.")
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise ApiError(400, f"schema is not a valid JSON Schema: {exc.message}") from None
    if schema.get("type", "object") != "object":
        raise ApiError(400, "A registry's schema describes objects (type: object).")
    return schema


@transaction.atomic
def registry_modify(client: ClientSystem, body: Mapping[str, Any]) -> RegistrySchema:
    """Create the registry ``code`` with ``schema`` as version 1.0, or add the next version of its schema.

    An unchanged schema adds no version. GovReach's own registries are refused: their shape is GovReach's.
    """
    code = body.get("code")
    if not isinstance(code, str) or not _NAME.fullmatch(code):
        raise ApiError(400, "code is required: 1 to 100 letters, digits, '-' or '_' (it names the registry).")
    schema = schema_check(body.get("schema"))
    registry = Registry.objects.select_for_update().filter(name=code).first()
    if registry is None:
        registry = Registry.objects.create(
            name=code,
            description=str(schema.get("description", ""))[:2000]
            if isinstance(schema.get("description"), str)
            else "",
            group_name=str(body.get("groupName") or "")[:200],
            catalog_name=str(body.get("catalogName") or "")[:200],
            institution=client.name[:200],
            created_by=client,
        )
    elif registry.is_builtin:
        raise ApiError(403, f"The registry '{code}' is GovReach's own; its schema cannot change here.")
    elif not may(client, registry, WRITE):
        raise ApiError(403, f"This client system may not change the registry '{code}'.")
    latest = registry.schemas.order_by("-pk").first()
    if latest is not None and latest.schema == schema:
        return latest
    registry.save(update_fields=["modified_at"])
    return RegistrySchema.objects.create(registry=registry, version=_next_version(registry), schema=schema)


def registry_latest_schema(registry: Registry) -> RegistrySchema | None:
    return registry.schemas.order_by("-pk").first()


def _record_count(registry: Registry) -> int:
    if registry.kind == Registry.Kind.PERSONS:
        return Person.objects.count()
    if registry.kind == Registry.Kind.HOUSEHOLDS:
        return Household.objects.count()
    return registry.records.count()


def database_json(registry: Registry) -> dict[str, Any]:
    latest = registry_latest_schema(registry)
    services: tuple[str, ...] = ("data-list", "data-read", "data-exists", "data-read-value")
    if not registry.is_builtin:
        services += (
            "data-create",
            "data-update",
            "data-update-entries",
            "data-update-or-create",
            "data-delete",
        )
    return {
        "id": registry.pk,
        "version": latest.version if latest else "",
        "name": registry.name,
        "description": registry.description,
        "institution": registry.institution,
        "numberFormat": "{uuid}",
        "schema": latest.schema if latest else {},
        "schemaTags": [],
        "schemaFlags": [],
        "fieldsUniques": [],
        "isDraft": False,
        "isDisabled": False,
        "isArchived": False,
        "modifiedAt": registry.modified_at.isoformat(),
        "byUserName": registry.created_by.identifier if registry.created_by else "govreach",
        "generic_Services": [
            {"serviceId": i, "name": name, "isVisible": True, "usedCount": 0}
            for i, name in enumerate(services, 1)
        ],
        "dataIndexIncrement": _record_count(registry),
        "hasLogo": False,
    }


def databases_json(registries: list[Registry]) -> dict[str, Any]:
    return {
        "id": 1,
        "name": "GovReach registries",
        "code": "GOVREACH",
        "databases": [database_json(r) for r in registries],
        "groupId": 1,
        "order": 1,
        "dataIndexIncrement": len(registries),
    }


@transaction.atomic
def registry_delete(client: ClientSystem, registry: Registry) -> None:
    if registry.is_builtin:
        raise ApiError(403, f"The registry '{registry.name}' is GovReach's own and cannot be deleted.")
    if not (client.may(REGISTRIES_MANAGE) and may(client, registry, DELETE)):
        raise ApiError(403, f"This client system may not delete the registry '{registry.name}'.")
    for record in registry.records.all():
        record_delete(record)
    registry.delete()
