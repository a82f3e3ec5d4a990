from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "govreach.feedback"
    verbose_name = "Feedback and grievances"
