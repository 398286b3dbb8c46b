"""Presentation URLs of the IIIF face: manifests per record, collections per project, PDF downloads, and the
staff page of an item's access log."""

from django.urls import path

from kitabkhana.iiif import presentation_views as views

urlpatterns = [
    path("manifest/<int:record_id>", views.manifest, name="manifest"),
    path("collection/<slug:project_code>", views.collection, name="collection"),
    path("download/<int:record_id>.pdf", views.download, name="download"),
    path("access-log/<int:record_id>/", views.access_log, name="access-log"),
]
