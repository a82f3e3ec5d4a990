"""URL configuration: the public catalogue, the REST API and the admin.

In development (DEBUG) static files, such as the API docs page's Swagger UI shipped with
django-ninja, are served from the installed apps so the docs work without internet.
"""

from django.contrib import admin
from django.contrib.staticfiles.urls import staticfiles_urlpatterns
from django.urls import include, path

from govreach.api.api import api

urlpatterns = [
    # First: no page lives under api/, and an API call then skips matching every page's pattern.
    path("api/", api.urls),
    path("", include("govreach.web.urls")),
    path("", include("govreach.cases.urls")),
    path("", include("govreach.accounts.urls")),
    path("", include("govreach.programmes.urls")),
    path("", include("govreach.outreach.urls")),
    path("", include("govreach.entitlements.urls")),
    path("", include("govreach.ussd.urls")),
    path("", include("govreach.audit.urls")),
    path("", include("govreach.feedback.urls")),
    path("", include("govreach.transparency.urls")),
    path("", include("govreach.policy.urls")),
    path("", include("govreach.govstack.urls")),
    path("", include("govreach.ops.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    *staticfiles_urlpatterns(),  # empty unless DEBUG
]
