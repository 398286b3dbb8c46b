"""Staff pages for copy cataloguing over SRU; mounted at "staff/sru/" (before "staff/") in config/urls.py."""

from django.urls import path

from kitabkhana.sru import staff_views

app_name = "sru-staff"
urlpatterns = [
    path("", staff_views.copy_search_page, name="copy-search"),
    path("import/", staff_views.copy_import, name="copy-import"),
]
