from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "govreach.cases"
    verbose_name = "Applications and cases"
