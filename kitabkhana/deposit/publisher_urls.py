from django.urls import path

from kitabkhana.deposit import views

app_name = "publishers"
urlpatterns = [
    path("", views.publisher_home, name="home"),
    path("signup/", views.publisher_signup, name="signup"),
    path("profile/", views.publisher_profile, name="profile"),
    path("requests/new/", views.request_new, name="request-new"),
    path("requests/<int:request_id>/", views.request_detail, name="request"),
    path("requests/<int:request_id>/edit/", views.request_edit, name="request-edit"),
    path("requests/<int:request_id>/submit/", views.request_submit, name="request-submit"),
    path("requests/<int:request_id>/front-matter.pdf", views.request_front_matter, name="front-matter"),
    path("requests/<int:request_id>/cip.<str:fmt>", views.request_block, name="block"),
    path("requests/<int:request_id>/files/", views.request_file_upload, name="file-upload"),
]
