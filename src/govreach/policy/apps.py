from django.apps import AppConfig


class PolicyConfig(AppConfig):
    name = "govreach.policy"
    verbose_name = "Rule changes: dry runs, versions and pilots"
