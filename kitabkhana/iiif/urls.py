"""The IIIF faces, mounted at /iiif/: the Image API 3.0 (image_urls, /iiif/3/...), Presentation 3.0 manifests,
collections and downloads (presentation_urls), Content Search 2.0 (search_urls)."""

from django.urls import include, path

app_name = "iiif"
urlpatterns = [
    path("3/", include("kitabkhana.iiif.image_urls")),
    path("", include("kitabkhana.iiif.presentation_urls")),
    path("search/", include("kitabkhana.iiif.search_urls")),
]
