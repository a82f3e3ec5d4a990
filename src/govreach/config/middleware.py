"""Project-wide response headers that Django and django-csp do not set."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class PermissionsPolicyMiddleware:
    """Send ``settings.PERMISSIONS_POLICY``: browser features (camera, location...) no page may use."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy: str = getattr(settings, "PERMISSIONS_POLICY", "")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.policy:
            response.headers.setdefault("Permissions-Policy", self.policy)
        return response


class RequestSizeLimitMiddleware:
    """Refuse a request whose declared body is larger than ``GOVREACH_MAX_REQUEST_BYTES`` before reading it.

    Django caps form fields in memory (DATA_UPLOAD_MAX_MEMORY_SIZE) but streams uploaded files to disk
    whatever their size; this stops a multi-gigabyte body at the door with 413. The front-end proxy
    should carry the same limit (its ``client_max_body_size`` or equivalent).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.limit: int = int(getattr(settings, "GOVREACH_MAX_REQUEST_BYTES", 30_000_000))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return HttpResponse("Bad Content-Length header.\n", status=400, content_type="text/plain")
        if declared > self.limit:
            megabytes = self.limit / 1_000_000
            return HttpResponse(
                f"The request is too large: the limit is {megabytes:g} MB. "
                "Send smaller files, one at a time.\n",
                status=413,
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)
