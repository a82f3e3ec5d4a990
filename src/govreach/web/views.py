"""Public pages: the catalogue of services."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def catalogue(request: HttpRequest) -> HttpResponse:
    return render(request, "web/catalogue.html", {"services": []})
