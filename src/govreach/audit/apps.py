from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "govreach.audit"
    verbose_name = "Audit log (hash-chained)"
