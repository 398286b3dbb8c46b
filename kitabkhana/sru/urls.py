"""The SRU protocol endpoint; config/urls.py mounts this at "sru", so the URL is /sru."""

from django.urls import path

from kitabkhana.sru import views

app_name = "sru"
urlpatterns = [
    path("", views.sru_endpoint, name="endpoint"),
]
