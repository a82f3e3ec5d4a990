"""WSGI entry point for production servers (gunicorn govreach.config.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govreach.config.settings")
application = get_wsgi_application()
