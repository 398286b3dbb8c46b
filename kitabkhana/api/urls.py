from django.urls import path

from kitabkhana.api import views

app_name = "api"
urlpatterns = [
    path("search", views.search, name="search"),
    path("records/<int:record_id>", views.record, name="record"),
    path("openapi.json", views.openapi, name="openapi"),
]
