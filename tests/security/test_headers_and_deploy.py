"""Security headers on every kind of response, and Django's deployment checks on production settings."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]


def _csp(header: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


@pytest.mark.parametrize(
    "path", ["/", "/track/", "/login/", "/staff/login/", "/api/v1/services", "/no-such-page/"]
)
def test_every_response_carries_the_security_headers(client: Client, db: None, path: str) -> None:
    response = client.get(path, secure=True)
    csp = _csp(response.headers["Content-Security-Policy"])
    assert csp["script-src"] == ["'none'"], "GovReach's pages run no script: none may be injected either"
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "geolocation=()" in response.headers["Permissions-Policy"]
    hsts = response.headers["Strict-Transport-Security"]
    assert "max-age=31536000" in hsts and "includeSubDomains" in hsts


def test_only_the_api_docs_page_may_run_scripts_and_only_our_own(client: Client, db: None) -> None:
    response = client.get("/api/docs", secure=True)
    assert response.status_code == 200
    csp = _csp(response.headers["Content-Security-Policy"])
    assert csp["script-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]


def test_session_and_csrf_cookies_are_secure_and_http_only(client: Client, db: None) -> None:
    response = client.get("/login/", secure=True)
    csrf = response.cookies.get("csrftoken")
    assert csrf is not None and csrf["secure"]
    from django.conf import settings

    assert settings.SESSION_COOKIE_SECURE and settings.SESSION_COOKIE_HTTPONLY
    assert settings.SESSION_COOKIE_AGE <= 12 * 3600, "a forgotten session on a shared computer ends soon"


def _deploy_check(tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOVREACH_", "DJANGO_"))}
    env.update(
        {
            "GOVREACH_SECRET_KEY": secrets.token_urlsafe(50),
            "GOVREACH_ALLOWED_HOSTS": "services.example.gov",
            "GOVREACH_VAR_DIR": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
            **extra,
        }
    )
    return subprocess.run(
        [sys.executable, "-m", "govreach", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_deployment_checks_pass_with_production_settings(tmp_path: Path) -> None:
    done = _deploy_check(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_the_deployment_checks_catch_a_debug_server(tmp_path: Path) -> None:
    done = _deploy_check(tmp_path, GOVREACH_DEBUG="1")
    assert done.returncode != 0
    assert "security.W018" in done.stdout + done.stderr  # DEBUG must not be on in production
