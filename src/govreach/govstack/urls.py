from django.urls import URLPattern, URLResolver

app_name = "govstack"
urlpatterns: list[URLPattern | URLResolver] = []
