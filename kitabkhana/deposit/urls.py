"""The deposit app has two faces, mounted separately: publisher_urls (the portal) and staff_urls (the CIP queue)."""

urlpatterns: list = []
