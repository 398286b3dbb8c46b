"""IIIF Image API 3.0 URLs, mounted at /iiif/3/ (names: iiif:image-base, iiif:image-info, iiif:image).

Each parameter is one path segment (Django's ``str`` converter stops at "/"), so an identifier holding a slash,
escaped or not, matches nothing and is answered 404.
"""

from django.urls import path

from kitabkhana.iiif import image_views

urlpatterns = [
    path("<str:identifier>/info.json", image_views.image_information, name="image-info"),
    path("<str:identifier>/<str:region>/<str:size>/<str:rotation>/<str:quality_format>", image_views.image_request,
         name="image"),
    path("<str:identifier>", image_views.image_base, name="image-base"),
]
