"""The REST API (django-ninja): one NinjaAPI, routers contributed by the domain apps.

Every error is JSON without a stack trace: ``{"detail": ..., "problems": [{"field", "message"}]}``
for bad input (422), ``{"detail": ...}`` otherwise. Unexpected errors are logged without their
message, which could carry personal data from the request.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from csp.decorators import csp_replace
from django.http import HttpRequest, HttpResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError

from govreach.api.errors import Problem, ProblemsError, ProblemsOut
from govreach.catalogue.selectors import ServicePackNotFound, ServicePackUnavailable

logger = logging.getLogger(__name__)

#: The error answers every operation may give, besides its own: (status, when).
_ERROR_ANSWERS = {
    "404": "No such service, or nothing at this address for you.",
    "422": "The request is not valid: every problem is listed with its field.",
}
_AUTH_ERROR_ANSWERS = {
    "401": "No valid credentials were sent.",
    "403": "The credentials are valid but do not allow this.",
}


def document_error_answers(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the error answers GovReach gives (always ``ProblemsOut``) to every operation of ``schema``.

    The exception handlers below answer 404, 422 (and 401/403 where credentials are needed) for any
    operation; the document says so, so that a client (and schemathesis) can rely on it.
    """
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault(
        "ProblemsOut", ProblemsOut.model_json_schema(ref_template="#/components/schemas/{model}")
    )
    components.setdefault("Problem", Problem.model_json_schema())
    components["ProblemsOut"].pop("$defs", None)
    body = {"application/json": {"schema": {"$ref": "#/components/schemas/ProblemsOut"}}}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            operation["responses"] = {str(k): v for k, v in operation["responses"].items()}
            answers = dict(_ERROR_ANSWERS)
            if operation.get("security"):
                answers.update(_AUTH_ERROR_ANSWERS)
            for status, description in answers.items():
                operation["responses"].setdefault(status, {"description": description, "content": body})
    return schema


class GovReachAPI(NinjaAPI):
    """django-ninja's API with the error answers written into the OpenAPI document."""

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: Any = None) -> Any:
        return document_error_answers(
            super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        )


api = GovReachAPI(
    title="GovReach API",
    version="1",
    description="Service catalogue and eligibility decisions, each with its full explanation.",
    urls_namespace="api",
    # the docs page runs Swagger UI from our own static files: the one page allowed scripts (settings CSP)
    docs_decorator=csp_replace({"script-src": ["'self'"]}),
)


def _field_of(loc: list[str | int] | tuple[str | int, ...]) -> str:
    """``("body", "payload", "unit", "members", 0)`` -> ``unit.members[0]``; ``("query", "on")`` -> ``on``."""
    parts = list(loc)
    where = parts.pop(0) if parts else "body"
    if where == "body" and parts:
        parts.pop(0)  # the view's parameter name, which the client never sees
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    problems = [
        {"field": _field_of(e.get("loc", ())), "message": str(e.get("msg", "is not valid"))}
        for e in exc.errors
    ]
    return api.create_response(
        request, {"detail": "The request is not valid.", "problems": problems}, status=422
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
        # django-ninja's "Cannot parse request body": the JSON itself is malformed.
        problem = {"field": "body", "message": "the request body is not valid JSON"}
        return api.create_response(
            request, {"detail": "The request body is not valid JSON.", "problems": [problem]}, status=422
        )
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


@api.exception_handler(ProblemsError)
def _problems(request: HttpRequest, exc: ProblemsError) -> HttpResponse:
    problems = [p.model_dump() for p in exc.problems]
    return api.create_response(request, {"detail": exc.detail, "problems": problems}, status=exc.status)


@api.exception_handler(ServicePackNotFound)
def _not_found(request: HttpRequest, exc: ServicePackNotFound) -> HttpResponse:
    detail = f"No service '{exc.pack_id}'. GET /api/v1/services lists the services on offer."
    return api.create_response(request, {"detail": detail}, status=404)


@api.exception_handler(ServicePackUnavailable)
def _unavailable(request: HttpRequest, exc: ServicePackUnavailable) -> HttpResponse:
    logger.error("%s", exc)
    detail = f"The service '{exc.service_pack.pack_id}' is temporarily unavailable."
    return api.create_response(request, {"detail": detail}, status=503)


@api.exception_handler(MultiPartParserError)
@api.exception_handler(UnreadablePostError)
def _unreadable_body(request: HttpRequest, exc: Exception) -> HttpResponse:
    # a body that does not match its Content-Type (a broken multipart boundary...): the client's fault
    problem = {"field": "body", "message": "the request body cannot be read as its Content-Type says"}
    return api.create_response(
        request, {"detail": "The request body cannot be read.", "problems": [problem]}, status=422
    )


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    # The message may quote request data (personal facts): log the type and the frames only.
    frames = "".join(traceback.format_tb(exc.__traceback__))
    logger.error("unexpected %s in %s %s\n%s", type(exc).__name__, request.method, request.path, frames)
    return api.create_response(request, {"detail": "Something went wrong on our side."}, status=500)


api.add_router("/v1/", "govreach.catalogue.api.router")
api.add_router("/registry/", "govreach.registry.api.router")
api.add_router("/v1/partners/", "govreach.entitlements.api.router")
