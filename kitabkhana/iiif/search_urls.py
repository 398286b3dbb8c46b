"""Content Search 2.0 URLs of the IIIF face: search inside a book, and the OCR text of its pages."""

from django.urls import path

from kitabkhana.iiif import search_views

urlpatterns = [
    path("<int:record_id>", search_views.search, name="search"),
    path("<int:record_id>/text/<int:order>.txt", search_views.page_text, {"fmt": "txt"}, name="search-text"),
    path("<int:record_id>/text/<int:order>.hocr", search_views.page_text, {"fmt": "hocr"}, name="search-hocr"),
]
