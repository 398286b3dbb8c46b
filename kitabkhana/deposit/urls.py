"""Deposited files for readers, under each file's access rule (mounted at /deposit-files/).

The publisher portal (publisher_urls) and the staff CIP queue (staff_urls) are mounted separately.
"""

from django.urls import path

from kitabkhana.deposit import views

app_name = "deposit-files"
urlpatterns = [
    path("<int:file_id>/", views.file_read, name="read"),
]
