from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "govreach.accounts"
    verbose_name = "People and access"
