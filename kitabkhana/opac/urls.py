from django.urls import path

from kitabkhana.opac import views

app_name = "opac"
urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("records/<int:record_id>/", views.record, name="record"),
    path("records/<int:record_id>/marc/", views.record_marc, name="record-marc"),
    path("records/<int:record_id>/download/", views.record_download, name="record-download"),
    path("records/<int:record_id>/cite/", views.record_citation, name="record-citation"),
]
