from django.urls import path

from kitabkhana.oai import views

app_name = "oai"
urlpatterns = [
    path("", views.oai_endpoint, name="endpoint"),
]
