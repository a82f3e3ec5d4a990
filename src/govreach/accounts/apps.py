from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "govreach.accounts"
    verbose_name = "People and access"

    def ready(self) -> None:
        """Put the admin behind the two-step staff sign-in (password, then authenticator code)."""
        from django.contrib import admin

        from govreach.accounts.adminsite import require_second_factor

        require_second_factor(admin.site)
