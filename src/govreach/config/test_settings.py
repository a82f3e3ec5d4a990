"""Settings for the test suite: production settings, less what needs a TLS front end and a real secret."""

import os

os.environ.setdefault("GOVREACH_ALLOW_INSECURE_KEY", "1")
os.environ.setdefault("GOVREACH_SSL_REDIRECT", "0")

from govreach.config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; never in production
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
