"""Django settings for GovReach. Everything that differs between machines comes from the environment.

- ``GOVREACH_DEBUG=1`` for development (``make demo`` sets it); production runs with it unset.
- ``DATABASE_URL`` selects the database (PostgreSQL in production); SQLite under ``var/`` by default.
- ``GOVREACH_PACKS_DIR`` is where service packs are loaded from (``packs/`` in the checkout by default).
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

# Generic Django classes (ModelAdmin[Model], QuerySet[Model]) may be subscripted at run time, as typed.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parents[3]
VAR_DIR = Path(os.environ.get("GOVREACH_VAR_DIR", BASE_DIR / "var"))
PACKS_DIR = Path(os.environ.get("GOVREACH_PACKS_DIR", BASE_DIR / "packs"))

DEBUG = os.environ.get("GOVREACH_DEBUG", "") == "1"

_secret = os.environ.get("GOVREACH_SECRET_KEY", "")
if not _secret:
    if not DEBUG and os.environ.get("GOVREACH_ALLOW_INSECURE_KEY", "") != "1":
        raise ImproperlyConfigured(
            "GOVREACH_SECRET_KEY is not set. Set it to a long random value "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))'), or set GOVREACH_DEBUG=1 "
            "for a development server."
        )
    _secret = "insecure-development-key-" + "x" * 40
SECRET_KEY = _secret

ALLOWED_HOSTS = [h for h in os.environ.get("GOVREACH_ALLOWED_HOSTS", "").split(",") if h]
if DEBUG and not ALLOWED_HOSTS:
    ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "csp",
    "govreach.catalogue",
    "govreach.registry",
    "govreach.accounts",
    "govreach.notify",
    "govreach.cases",
    "govreach.entitlements",
    "govreach.outreach",
    "govreach.programmes",
    "govreach.web",
    "govreach.ussd",
    "govreach.audit",
    "govreach.feedback",
    "govreach.transparency",
    "govreach.policy",
    "govreach.govstack",
    "govreach.ops",
    "govreach.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "govreach.config.middleware.RequestSizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "govreach.web.middleware.PreferredLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "govreach.config.middleware.PermissionsPolicyMiddleware",
    "govreach.audit.middleware.AuditMiddleware",
]

ROOT_URLCONF = "govreach.config.urls"
WSGI_APPLICATION = "govreach.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "govreach.accounts.context.acting_for",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'govreach.sqlite3'}",
        conn_max_age=int(os.environ.get("GOVREACH_DB_CONN_MAX_AGE", "0")),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("pt", "Português"),
    ("pt-br", "Português (Brasil)"),
    ("bn", "বাংলা"),
    ("ko", "한국어"),
]
TIME_ZONE = "UTC"
USE_I18N = True
LOCALE_PATHS = [BASE_DIR / "src" / "govreach" / "locale"]
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = VAR_DIR / "media"

# Security by default; development relaxes only what a plain-HTTP local server needs.
SESSION_COOKIE_HTTPONLY = True
# A session ends after an hour without a request (each request slides it on), and when the browser closes:
# people sign in on shared phones and at service counters. Drafts live in the database, not the session,
# so signing in again finds the application where it was left (tests/security/test_sessions.py).
SESSION_COOKIE_AGE = int(os.environ.get("GOVREACH_SESSION_IDLE_SECONDS", "3600"))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = not DEBUG and os.environ.get("GOVREACH_SSL_REDIRECT", "1") == "1"
SECURE_HSTS_SECONDS = 0 if DEBUG else 31_536_000
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content Security Policy (django-csp): GovReach's pages run no script at all, so a page that an attacker
# manages to inject markup into still cannot run any. Styles are the inline <style> of the base template
# and a few style attributes. The API docs page (Swagger UI, from our own static files) is the one page
# allowed scripts, through ``csp_replace`` on that view (govreach.api.api).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'none'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
#: Features no GovReach page uses, switched off for every page (Permissions-Policy header).
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
X_FRAME_OPTIONS = "DENY"
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 400
DATA_UPLOAD_MAX_NUMBER_FILES = 20
#: Largest request body accepted at all (govreach.config.middleware): five 5 MB documents and the form.
GOVREACH_MAX_REQUEST_BYTES = int(os.environ.get("GOVREACH_MAX_REQUEST_BYTES", "30000000"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "govreach.config.logfilters.RedactPersonalData"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("GOVREACH_LOG_LEVEL", "INFO")},
}

# Notifications: every message goes through the outbox; backends per channel. The console backend
# (the default) prints messages with the recipient masked; production sets the SMS gateway and SMTP.
GOVREACH_NOTIFY = {
    "backends": {
        "sms": os.environ.get("GOVREACH_SMS_BACKEND", "govreach.notify.backends.ConsoleBackend"),
        "email": os.environ.get("GOVREACH_EMAIL_BACKEND", "govreach.notify.backends.ConsoleBackend"),
        "letter": "govreach.notify.backends.ConsoleBackend",
    },
    "max_attempts": 6,
    "backoff_seconds": 30,
    "backoff_max_seconds": 3600,
    "jitter": 0.25,
    "lease_seconds": 300,
    "sms_gateway": {
        "url": os.environ.get("GOVREACH_SMS_GATEWAY_URL", ""),
        "api_key": os.environ.get("GOVREACH_SMS_API_KEY", ""),
        "api_key_header": "X-API-Key",
        "sender": os.environ.get("GOVREACH_SMS_SENDER", "GovReach"),
        "timeout_seconds": 10,
    },
    "email_from": os.environ.get("GOVREACH_EMAIL_FROM"),
}
EMAIL_HOST = os.environ.get("GOVREACH_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("GOVREACH_EMAIL_PORT", "25"))
EMAIL_USE_TLS = os.environ.get("GOVREACH_EMAIL_USE_TLS", "") == "1"
EMAIL_HOST_USER = os.environ.get("GOVREACH_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("GOVREACH_EMAIL_PASSWORD", "")
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("GOVREACH_EMAIL_FROM", "noreply@govreach.invalid")

# Accounts: staff sign in with a password and a TOTP code; citizens with their phone and an SMS code.
LOGIN_URL = "accounts:staff_login"
ACCOUNTS_DEFAULT_CALLING_CODE = os.environ.get("GOVREACH_DEFAULT_CALLING_CODE", "")
# Throttling counts live in the cache, which every worker process must share: a folder on one
# machine by default, Redis or Memcached (GOVREACH_CACHE_BACKEND/LOCATION) across machines.
CACHES = {
    "default": {
        "BACKEND": os.environ.get(
            "GOVREACH_CACHE_BACKEND", "django.core.cache.backends.filebased.FileBasedCache"
        ),
        "LOCATION": os.environ.get("GOVREACH_CACHE_LOCATION", str(VAR_DIR / "cache")),
    }
}

# Cases: links in SMS and the QR code on issued records are absolute, from the public address.
GOVREACH_PUBLIC_URL = os.environ.get("GOVREACH_PUBLIC_URL", "http://127.0.0.1:8000" if DEBUG else "")
CASES_PAYMENT_PROVIDER = os.environ.get(
    "GOVREACH_PAYMENT_PROVIDER", "govreach.cases.payments.DemoPaymentProvider"
)

# Record linkage: links at or above the upper threshold are accepted, below the lower one rejected,
# and those between go to the clerical-review queue.
GOVREACH_LINKAGE = {"upper_threshold": 0.95, "lower_threshold": 0.5}
