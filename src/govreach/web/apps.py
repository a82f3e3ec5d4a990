from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "govreach.web"
    verbose_name = "Citizen and staff web"

    def ready(self) -> None:
        """The person's chosen language comes back with them when they sign in."""
        from django.contrib.auth.signals import user_logged_in

        from govreach.web.language import language_on_sign_in

        user_logged_in.connect(language_on_sign_in, dispatch_uid="govreach.web.language_on_sign_in")
