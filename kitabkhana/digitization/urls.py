"""Staff pages of the digitization lines, mounted at /staff/digitization/."""

app_name = "digitization"
urlpatterns: list = []
