"""image URLs of the IIIF face (filled in by its module)."""

urlpatterns: list = []
