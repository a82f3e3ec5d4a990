"""GovStack building blocks: Registration at /govstack/registration/, Digital Registries at
/govstack/digital-registries/, with the older path spellings clients of the reference mocks still use.

Who may use what: services and e-forms are public; everything else needs a client system's API key
(``Authorization``) and, where the document says so, its ``Information-Mediator-Client`` header; what
the system may do then follows its permissions (govreach.govstack.models.ClientSystem).
"""

from django.urls import URLPattern, URLResolver, path, re_path

from govreach.govstack import views

app_name = "govstack"

R = "govstack/registration/"
D = "govstack/digital-registries/"
DATA = r"^govstack/digital-registries/data/(?P<registry_name>[^/]+)/(?P<version>[^/]+)"

urlpatterns: list[URLPattern | URLResolver] = [
    # -- Registration building block
    path(R + "openapi.json", views.registration_openapi, name="registration_openapi"),
    path(R + "statistics-openapi.json", views.statistics_openapi, name="statistics_openapi"),
    path(R + "services", views.services, name="services"),
    path(R + "services/<str:service_id>", views.service, name="service"),
    path(R + "services/<str:service_id>/eForms", views.service_eforms, name="service_eforms"),
    path(
        R + "services/<str:service_id>/applications", views.service_applications, name="service_applications"
    ),
    path(R + "eForms/<str:eform_id>", views.eform, name="eform"),
    path(R + "documents", views.documents, name="documents"),
    path(R + "applications", views.applications, name="applications"),
    path(R + "applications/<str:file_id>", views.application, name="application"),
    path(R + "tasks", views.tasks, name="tasks"),
    path(R + "tasks/<str:task_id>", views.task, name="task"),
    path(R + "tasks/<str:task_id>/complete", views.task_complete, name="task_complete"),
    path(R + "data/statistics", views.statistics, name="statistics"),
    path(R + "data/statistics/1.0", views.statistics, name="statistics_legacy"),
    # -- Digital Registries building block: the documents
    path(D + "openapi.json", views.registries_openapi, name="registries_openapi"),
    path(D + "database-openapi.json", views.database_openapi, name="database_openapi"),
    # -- database management
    path(D + "databases", views.databases, name="databases"),
    path(D + "database/modify", views.database_modify, name="database_modify"),
    path(D + "database/<int:database_id>", views.database, name="database"),
    # -- data: the fixed paths first, so no registry can be named after them
    path(D + "data/mypersonalDataUsage", views.my_personal_data_usage, name="data_usage"),
    path(D + "data/MyPersonalDataUsage/1.0", views.my_personal_data_usage, name="data_usage_legacy"),
    path(D + "data/mcts/createEntries", views.registry_create_entries, name="create_entries"),
    re_path(DATA + r"$", views.registry_list, name="registry_list"),
    re_path(DATA + r"/create$", views.registry_create, name="registry_create"),
    re_path(DATA + r"/exists$", views.registry_exists, name="registry_exists"),
    re_path(DATA + r"/read$", views.registry_read, name="registry_read"),
    re_path(DATA + r"/update$", views.registry_update, name="registry_update"),
    re_path(
        DATA + r"/(?:updateEntries|update-entries)$",
        views.registry_update_entries,
        name="registry_update_entries",
    ),
    re_path(
        DATA + r"/(?:updateOrCreate|update-or-create)$",
        views.registry_update_or_create,
        name="registry_update_or_create",
    ),
    re_path(DATA + r"/(?P<record_id>[^/]+)/delete$", views.registry_delete_record, name="registry_delete"),
    re_path(
        DATA + r"/(?P<record_id>[^/]+)/(?:readValue|read-value)/(?P<field>[^/]+)\.(?P<ext>[A-Za-z0-9]+)$",
        views.registry_read_value,
        name="registry_read_value",
    ),
]
