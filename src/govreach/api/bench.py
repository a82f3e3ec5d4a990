"""Benchmark: the eligibility API against ``/healthz/`` (the cost of Django itself), same process, same run.

Both are called through the WSGI application with the project's full middleware, as gunicorn calls
it, without sockets: the ratio says how much the eligibility endpoint adds on top of Django. The
requests alternate in rounds and the best round of each counts, so a burst of load from other
processes on the machine hurts both alike. ``loadtest/`` measures the same ratio over HTTP.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

#: The loadtest's eligibility probe (loadtest/locustfile.py): an eligible Portuguese household.
PT_HOUSEHOLD: dict[str, Any] = {
    "unit": {
        "contract": {
            "own_name": True,
            "domestic": True,
            "permanent_home": True,
            "voltage": "BTN",
            "power_kva": 3.45,
        },
        "household": {"income_eur": 5808},
    },
    "on": "2016-03-01",
}

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass(frozen=True)
class ApiBenchResult:
    """Requests per second of each endpoint (best round) and the status codes seen."""

    healthz_rps: float
    eligibility_rps: float
    requests_per_round: int
    rounds: int
    statuses: dict[str, set[str]]

    @property
    def ratio(self) -> float:
        return self.eligibility_rps / self.healthz_rps


def _environ(method: str, path: str, host: str, body: bytes = b"") -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": host,
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": host,
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if body:
        environ["CONTENT_TYPE"] = "application/json"
        environ["CONTENT_LENGTH"] = str(len(body))
    environ["_body"] = body
    return environ


def _rate(app: WsgiApp, template: dict[str, Any], n: int, statuses: set[str]) -> float:
    seen: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        seen.append(status)

    body: bytes = template["_body"]
    started = time.perf_counter()
    for _ in range(n):
        environ = dict(template)
        environ["wsgi.input"] = io.BytesIO(body)
        response = app(environ, start_response)
        for _chunk in response:
            pass
        close = getattr(response, "close", None)
        if close is not None:
            close()
    elapsed = time.perf_counter() - started
    statuses.update(seen)
    return n / elapsed


def bench_api(
    app: WsgiApp,
    *,
    pack_id: str,
    body: dict[str, Any],
    host: str,
    requests: int = 2000,
    rounds: int = 5,
) -> ApiBenchResult:
    """Alternate ``rounds`` rounds of ``requests`` calls of ``/healthz/`` and of the eligibility POST."""
    healthz = _environ("GET", "/healthz/", host)
    eligibility = _environ("POST", f"/api/v1/services/{pack_id}/eligibility", host, json.dumps(body).encode())
    statuses: dict[str, set[str]] = {"healthz": set(), "eligibility": set()}
    # Warm up: imports, the URL resolver, the pack loaded and compiled once in this process.
    _rate(app, healthz, 50, statuses["healthz"])
    _rate(app, eligibility, 50, statuses["eligibility"])
    best_health = best_elig = 0.0
    for _ in range(rounds):
        best_health = max(best_health, _rate(app, healthz, requests, statuses["healthz"]))
        best_elig = max(best_elig, _rate(app, eligibility, requests, statuses["eligibility"]))
    return ApiBenchResult(best_health, best_elig, requests, rounds, statuses)
