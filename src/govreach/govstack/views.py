"""HTTP views of the GovStack building blocks: parse, authenticate the client system, call one function
of ``registration``/``registries``, render the shape the OpenAPI document gives.

Plain Django views rather than django-ninja: the documents are the contract, served as published, and
their shapes (``*/*`` responses, ``query.<field>`` parameters, ``{field}.{ext}`` paths) are easier to
honour exactly by hand. No cookies: the API key authenticates, so CSRF does not apply.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from govreach.govstack import conf, specs
from govreach.govstack import registration as reg
from govreach.govstack import registries as dr
from govreach.govstack.auditing import audit_govstack
from govreach.govstack.clients import client_for_request, require
from govreach.govstack.errors import ApiError, system_error
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
    OpaqueId,
    Registry,
)
from govreach.govstack.usage import personal_data_usage
from govreach.registry.models import Person

REGISTRATION_BASE = "/govstack/registration"
REGISTRIES_BASE = "/govstack/digital-registries"
View = Callable[..., HttpResponse]


def _json(body: Any, status: int = 200) -> JsonResponse:
    return JsonResponse(body, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


def endpoint(*methods: str) -> Callable[[View], View]:
    """A JSON endpoint answering ``methods``: ApiError becomes its documented status and body."""

    def decorate(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                response = _json({"detail": f"Method not allowed; use {', '.join(methods)}."}, 405)
                response["Allow"] = ", ".join(methods)
                return response
            try:
                return view(request, *args, **kwargs)
            except ApiError as exc:
                return _json(exc.body, exc.status)

        return wrapped

    return decorate


def _body(request: HttpRequest) -> dict[str, Any]:
    if not request.content_type or request.content_type != "application/json":
        raise ApiError(415, "Send the body as application/json.")
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    return body


def _int(request: HttpRequest, name: str, default: int, *, low: int, high: int) -> int:
    raw = request.GET.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"{name} must be an integer.") from None
    if not low <= value <= high:
        raise ApiError(400, f"{name} must be between {low} and {high}.")
    return value


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ApiError(400, f"{where} must be an object.")
    return value


# -- the documents themselves --------------------------------------------------------------------------
def _document_view(name: str, base: str) -> View:
    def view(request: HttpRequest) -> HttpResponse:
        return _json(specs.served_document(name, request.build_absolute_uri(base)))

    return endpoint("GET")(view)


registration_openapi = _document_view(specs.REGISTRATION, REGISTRATION_BASE)
statistics_openapi = _document_view(specs.STATISTICS, REGISTRATION_BASE)
registries_openapi = _document_view(specs.REGISTRIES_DATA, REGISTRIES_BASE)
database_openapi = _document_view(specs.REGISTRIES_DATABASE, REGISTRIES_BASE)


# -- Registration: services and e-forms (public: what can be applied for) ------------------------------
@endpoint("GET")
def services(request: HttpRequest) -> HttpResponse:
    return _json([reg.service_json(s) for s in reg.service_list(name=request.GET.get("name"))])


@endpoint("GET")
def service(request: HttpRequest, service_id: str) -> HttpResponse:
    found = reg.service_get(service_id)
    if found is None:
        raise ApiError(404, "service not found")
    return _json(reg.service_json(found))


@endpoint("GET")
def service_eforms(request: HttpRequest, service_id: str) -> HttpResponse:
    found = reg.service_get(service_id)
    return _json(reg.eform_list_json(found) if found is not None else [])


@endpoint("GET")
def eform(request: HttpRequest, eform_id: str) -> HttpResponse:
    found = reg.eform_get(eform_id)
    if found is None:
        raise ApiError(404, "e-form not found")
    return _json(reg.eform_json(*found))


# -- Registration: applications ------------------------------------------------------------------------
def _apply_or_operate(client: ClientSystem) -> None:
    if not (client.may(APPLY) or client.may(OPERATE)):
        raise ApiError(403, "This client system may neither apply nor operate.")


@endpoint("POST")
def service_applications(request: HttpRequest, service_id: str) -> HttpResponse:
    client = client_for_request(request)
    require(client, APPLY)
    found = reg.service_get(service_id)
    if found is None:
        raise ApiError(404, "Service was not found")
    application = reg.application_create(client, found, _body(request))
    audit_govstack(action="govstack.application.create", request=request, client=client, subject=application)
    return _json(reg.application_json(client, application))


@endpoint("POST")
def documents(request: HttpRequest) -> HttpResponse:
    client = client_for_request(request, header_required=False)
    require(client, APPLY)
    uploads = request.FILES.getlist("file")
    encoded = request.POST.getlist("file") if request.method == "POST" and request.content_type else []
    if len(uploads) + len(encoded) != 1:
        raise system_error(400, "ONE_FILE", "Send exactly one file in the multipart field 'file'.")
    if uploads:
        upload = uploads[0]
        if (upload.size or 0) > conf.max_upload_bytes():
            raise system_error(
                400, "FILE_TOO_LARGE", f"The file is larger than {conf.max_upload_bytes()} bytes."
            )
        content = upload.read()
    else:
        try:
            content = base64.b64decode(encoded[0], validate=True)
        except (binascii.Error, ValueError):
            raise system_error(
                400, "NOT_BASE64", "The field 'file' is neither a file nor base64 text."
            ) from None
    kind = request.GET.get("additionalMetadata", "").strip().removeprefix("kind=")
    document = reg.document_upload(client, content=content, kind=kind)
    return _json(
        {
            "code": 200,
            "type": document.content_type,
            "message": "uploaded",
            "url": f"urn:govreach:upload:{document.uuid}",
        }
    )


@endpoint("GET")
def applications(request: HttpRequest) -> HttpResponse:
    client = client_for_request(request)
    _apply_or_operate(client)
    order = (request.GET.get("sortOrder") or "asc").lower()
    found = reg.application_list(
        client,
        service_id=request.GET.get("serviceId"),
        applicant_id=request.GET.get("applicantId"),
        first=_int(request, "firstResult", 0, low=0, high=1_000_000),
        maximum=_int(request, "maxResult", 50, low=0, high=reg.MAX_PAGE),
        sort_by=request.GET.get("sortBy"),
        descending=order == "desc",
    )
    return _json([reg.application_list_json(client, a) for a in found])


@endpoint("GET", "PUT")
def application(request: HttpRequest, file_id: str) -> HttpResponse:
    client = client_for_request(request)
    _apply_or_operate(client)
    found = reg.application_for_client(client, file_id)
    if found is None:
        raise ApiError(404, "Application file was not found")
    if request.method == "PUT":
        found = reg.application_update(client, found, _body(request))
        audit_govstack(action="govstack.application.update", request=request, client=client, subject=found)
    else:
        audit_govstack(action="govstack.application.read", request=request, client=client, subject=found)
    return _json(reg.application_json(client, found))


# -- Registration: tasks -------------------------------------------------------------------------------
@endpoint("GET")
def tasks(request: HttpRequest) -> HttpResponse:
    client = client_for_request(request, header_required=False)
    _apply_or_operate(client)
    file_id = request.GET.get("fileId") or request.GET.get("mainTaskId")
    found = reg.task_list(client, file_id=file_id)
    assignee = request.GET.get("assigneeId")
    items = [reg.task_json(client, t) for t in found]
    if assignee:
        items = [i for i in items if i["assigneeId"] == assignee]
    if (request.GET.get("sortOrder") or "").lower() == "desc":
        items.reverse()
    first = _int(request, "firstResult", 0, low=0, high=1_000_000)
    maximum = _int(request, "maxResult", 50, low=0, high=reg.MAX_PAGE)
    return _json(items[first : first + maximum])


@endpoint("GET")
def task(request: HttpRequest, task_id: str) -> HttpResponse:
    client = client_for_request(request, header_required=False)
    _apply_or_operate(client)
    found = reg.task_get(client, task_id)
    if found is None:
        raise ApiError(404, "Task was not found")
    audit_govstack(action="govstack.task.read", request=request, client=client, subject=found.application)
    return _json(reg.task_detail_json(client, found))


@endpoint("POST")
def task_complete(request: HttpRequest, task_id: str) -> HttpResponse:
    client = client_for_request(request, header_required=False)
    _apply_or_operate(client)
    found = reg.task_get(client, task_id)
    if found is None:
        raise ApiError(404, "Task was not found")
    data = _body(request).get("data") or {}
    result = reg.task_complete(client, found, _object(data, "data"))
    audit_govstack(
        action="govstack.task.complete",
        request=request,
        client=client,
        subject=found.application,
        step=result["variables"]["step"]["data"]["id"]["value"],
    )
    return _json(result)


# -- Registration: statistics --------------------------------------------------------------------------
def _date(request: HttpRequest, name: str) -> dt.date | None:
    raw = request.GET.get(name)
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ApiError(400, f"{name} must be a date (YYYY-MM-DD).") from None


@endpoint("GET")
def statistics(request: HttpRequest) -> HttpResponse:
    client = client_for_request(request)
    require(client, STATISTICS)
    timeframe = request.GET.get("timeframe") or None
    if timeframe is not None and timeframe not in ("day", "week", "month", "year"):
        raise ApiError(400, "timeframe must be day, week, month or year.")
    registration = request.GET.get("registrationName") or None
    if registration and not reg.service_list(name=registration):
        raise ApiError(404, "No registration of that name.")
    rows = reg.statistics(
        start=_date(request, "startDate"),
        end=_date(request, "endDate"),
        registration=registration,
        operator=request.GET.get("operator") or None,
        role=request.GET.get("role") or None,
        timeframe=timeframe,
    )
    return _json(rows)


# -- Digital Registries: data --------------------------------------------------------------------------
def _base_path(name: str, version: str) -> str:
    return f"{REGISTRIES_BASE}/data/{name}/{version}"


def _audit_rows(
    request: HttpRequest, client: ClientSystem, registry: Registry, rows: list[dr.Row], action: str
) -> None:
    for row in rows:
        audit_govstack(
            action=action,
            request=request,
            client=client,
            person=row.person,
            subject=row.subject,
            registry=registry.name,
        )


def _query_content(body: Mapping[str, Any], key: str = "query") -> dict[str, Any]:
    part = _object(body.get(key), key)
    return _object(part.get("content"), f"{key}.content")


@endpoint("GET")
def registry_list(request: HttpRequest, registry_name: str, version: str) -> HttpResponse:
    client = client_for_request(request)
    registry, _schema = dr.registry_for(client, registry_name, version, READ)
    example = {
        k.removeprefix("query."): v
        for k, v in request.GET.items()
        if k.startswith("query.") and k != "query."
    }
    page = _int(request, "page", 1, low=1, high=1_000_000)
    size = _int(request, "pageSize", 20, low=1, high=conf.page_size_max())
    found = dr.records_list(
        registry,
        example=example,
        search=request.GET.get("search") or None,
        search_field=request.GET.get("filter") or None,
        ordering=request.GET.get("ordering"),
        page=page,
        page_size=size,
    )
    _audit_rows(request, client, registry, found.rows, "govstack.registry.read")
    body: dict[str, Any] = {"count": found.count, "results": [r.content for r in found.rows]}
    here = request.build_absolute_uri(request.path)
    query = request.GET.copy()
    if found.has_next:
        query["page"] = str(page + 1)
        body["next"] = f"{here}?{query.urlencode()}"
    if found.has_previous:
        query["page"] = str(page - 1)
        body["previous"] = f"{here}?{query.urlencode()}"
    return _json(body)


@endpoint("POST")
def registry_create(request: HttpRequest, registry_name: str, version: str) -> HttpResponse:
    client = client_for_request(request)
    body = _body(request)
    registry, schema = dr.registry_for(client, registry_name, version, WRITE)
    content = _object(_object(body.get("write"), "write").get("content"), "write.content")
    row = dr.record_create(registry, schema, content, base_path=_base_path(registry_name, version))
    _audit_rows(request, client, registry, [row], "govstack.registry.create")
    return _json({"content": row.content})


@endpoint("POST")
def registry_create_entries(request: HttpRequest, registry_name: str = "mcts") -> HttpResponse:
    """The document's example registry operation (``/data/mcts/createEntries``): many records at once."""
    client = client_for_request(request)
    body = _body(request)
    registry = Registry.objects.filter(name=registry_name).first()
    schema = dr.registry_latest_schema(registry) if registry is not None else None
    if registry is None or schema is None:
        raise ApiError(404, "no record found", body=dr.NOT_FOUND)
    registry, schema = dr.registry_for(client, registry_name, schema.version, WRITE)
    writes = body.get("write")
    if not isinstance(writes, list):
        raise ApiError(400, "write must be a list of {content}.")
    contents = [_object(_object(w, "write[]").get("content"), "write[].content") for w in writes]
    rows = [
        dr.record_create(registry, schema, c, base_path=_base_path(registry_name, schema.version))
        for c in contents
    ]
    _audit_rows(request, client, registry, rows, "govstack.registry.create")
    receive = [
        {
            "content": r.content,
            "createdAt": r.created_at.isoformat(),
            "modifiedAt": r.modified_at.isoformat(),
            "uuid": r.uuid,
        }
        for r in rows
    ]
    return _json({"receive": receive}, 201)


@endpoint("POST")
def registry_exists(request: HttpRequest, registry_name: str, version: str) -> HttpResponse:
    client = client_for_request(request)
    body = _body(request)
    registry, _schema = dr.registry_for(client, registry_name, version, READ)
    rows = dr.records_find(registry, _query_content(body), limit=1)
    _audit_rows(request, client, registry, rows, "govstack.registry.exists")
    message = "Object found from database" if rows else "Object not found from database"
    return _json({"answer": {"status": bool(rows), "message": message}})


@endpoint("POST")
def registry_read(request: HttpRequest, registry_name: str, version: str) -> HttpResponse:
    client = client_for_request(request)
    body = _body(request)
    registry, _schema = dr.registry_for(client, registry_name, version, READ)
    rows = dr.records_find(registry, _query_content(body), limit=1)
    if not rows:
        raise ApiError(404, "no record found", body=dr.NOT_FOUND)
    _audit_rows(request, client, registry, rows, "govstack.registry.read")
    return _json({"content": rows[0].content})


def _writes(
    request: HttpRequest, registry_name: str, version: str
) -> tuple[ClientSystem, Registry, Any, dict[str, Any], dict[str, Any]]:
    client = client_for_request(request)
    body = _body(request)
    registry, schema = dr.registry_for(client, registry_name, version, WRITE)
    changes = _object(_object(body.get("write"), "write").get("content"), "write.content")
    query = _query_content(body) if body.get("query") is not None else {}
    return client, registry, schema, query, changes


@endpoint("PUT")
def registry_update(request: HttpRequest, registry_name: str, version: str) -> HttpResponse:
    """Change the first record matching ``query`` (404 when none does)."""
    client, registry, schema, query, changes = _writes(request, registry_name, version)
    rows = dr.records_find(registry, query, limit=1)
    if not rows or rows[0].record is None:
        raise ApiError(404, "no record found", body=dr.NOT_FOUND)
    row = dr.record_update(rows[0].record, schema, changes, base_path=_base_path(registry_name, version))
    _audit_rows(request, client, registry, [row], "govstack.registry.update")
    return _json({"content": row.content})


@endpoint("PUT")
def registry_update_entries(request: HttpRequest, registry_name: str, version: str) -> HttpResponse:
    """Change every record matching ``query``; answers how many changed (0 is not an error)."""
    client, registry, schema, query, changes = _writes(request, registry_name, version)
    changed = [
        dr.record_update(r.record, schema, changes, base_path=_base_path(registry_name, version))
        for r in dr.records_find(registry, query)
        if r.record is not None
    ]
    _audit_rows(request, client, registry, changed, "govstack.registry.update")
    return _json({"count": len(changed)})


@endpoint("POST")
def registry_update_or_create(request: HttpRequest, registry_name: str, version: str) -> HttpResponse:
    client, registry, schema, query, changes = _writes(request, registry_name, version)
    rows = dr.records_find(registry, query, limit=1) if query else []
    base = _base_path(registry_name, version)
    if rows and rows[0].record is not None:
        row = dr.record_update(rows[0].record, schema, changes, base_path=base)
        action = "govstack.registry.update"
    else:
        row = dr.record_create(registry, schema, {**query, **changes}, base_path=base)
        action = "govstack.registry.create"
    _audit_rows(request, client, registry, [row], action)
    return _json({"content": row.content})


@endpoint("DELETE")
def registry_delete_record(
    request: HttpRequest, registry_name: str, version: str, record_id: str
) -> HttpResponse:
    client = client_for_request(request)
    registry, _schema = dr.registry_for(client, registry_name, version, DELETE)
    row = dr.record_get(registry, record_id)
    if row is None or row.record is None:
        raise ApiError(404, "no record found", body=dr.NOT_FOUND)
    _audit_rows(request, client, registry, [row], "govstack.registry.delete")
    dr.record_delete(row.record)
    return HttpResponse(status=204)


@endpoint("GET")
def registry_read_value(
    request: HttpRequest, registry_name: str, version: str, record_id: str, field: str, ext: str
) -> HttpResponse:
    client = client_for_request(request)
    registry, _schema = dr.registry_for(client, registry_name, version, READ)
    row = dr.record_get(registry, record_id)
    value = dr.record_value(registry, row, field, ext) if row is not None else None
    if row is None or value is None:
        raise ApiError(404, "no record found", body=dr.NOT_FOUND)
    audit_govstack(
        action="govstack.registry.read_value",
        request=request,
        client=client,
        person=row.person,
        subject=row.subject,
        registry=registry.name,
        field=field,
    )
    if isinstance(value, dr.FileValue):
        response = HttpResponse(value.data, content_type=value.content_type)
        response["Content-Disposition"] = f'attachment; filename="{field}.{ext}"'
        response["X-Content-Type-Options"] = "nosniff"
        return response
    return _json(value)


@endpoint("GET")
def my_personal_data_usage(request: HttpRequest) -> HttpResponse:
    """Who read or changed a person's data, from the audit log: ``userId`` is the person's opaque id."""
    client = client_for_request(request)
    require(client, DATA_USAGE)
    user_id = request.GET.get("userId") or request.GET.get("userID") or ""
    database_id = request.GET.get("databaseId") or request.GET.get("DatabaseID") or ""
    if not user_id or not database_id:
        raise ApiError(400, "userId and databaseId are required.")
    registry = Registry.objects.filter(name=database_id).first()
    if registry is None or registry.kind != Registry.Kind.PERSONS or not dr.may(client, registry, READ):
        raise ApiError(404, "No such person registry for this client system.")
    person_pk = reg.object_for(OpaqueId.Kind.PERSON, user_id)
    person = Person.objects.filter(pk=person_pk).first() if person_pk is not None else None
    if person is None:
        raise ApiError(404, "No such person.")
    usage = personal_data_usage(person)
    audit_govstack(
        action="govstack.data_usage.read", request=request, client=client, person=person, subject=person
    )
    return _json(usage)


# -- Digital Registries: database management -----------------------------------------------------------
@endpoint("GET")
def databases(request: HttpRequest) -> HttpResponse:
    client = client_for_request(request)
    return _json(dr.databases_json(dr.registries_visible(client)))


@endpoint("GET", "DELETE")
def database(request: HttpRequest, database_id: int) -> HttpResponse:
    client = client_for_request(request)
    registry = Registry.objects.filter(pk=database_id).first()
    if registry is None or registry not in dr.registries_visible(client):
        raise ApiError(404, "No such database.")
    if request.method == "DELETE":
        require(client, REGISTRIES_MANAGE)
        dr.registry_delete(client, registry)
        return _json("Success")
    return _json(dr.database_json(registry))


@endpoint("POST")
def database_modify(request: HttpRequest) -> HttpResponse:
    client = client_for_request(request)
    require(client, REGISTRIES_MANAGE)
    schema = dr.registry_modify(client, _body(request))
    return _json(schema.schema)
