from django.apps import AppConfig


class ProgrammesConfig(AppConfig):
    name = "govreach.programmes"
    verbose_name = "Programme enrolment"
